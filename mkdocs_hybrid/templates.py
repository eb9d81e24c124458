"""Where the site templates live, and the one Jinja2 environment that renders them.

Every module that renders HTML (gallery, share routes, standalone pages) goes
through :func:`environment` so that escaping rules are the same everywhere, and
every build key includes :func:`template_digest` so that a template change
rebuilds what it affects.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import jinja2

__all__ = ["compiled_template_cache", "environment", "template_digest", "template_dir"]


def template_dir() -> Path:
    """The ``site_template`` folder: inside the package when installed, else at the repo root.

    The wheel force-includes the repo's ``site_template/`` as
    ``mkdocs_hybrid/site_template`` (see ``pyproject.toml``); a source checkout
    keeps it next to the package.
    """
    package = Path(__file__).resolve().parent.parent
    packaged = package / "site_template"
    if packaged.is_dir():
        return packaged
    return package.parent / "site_template"


@cache
def environment() -> jinja2.Environment:
    """The shared Jinja2 environment: autoescape on, undefined names are errors. Jinja2 is imported here, not
    with the module: a build that renders nothing (the whole-build short cut) never loads it."""
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(template_dir()),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,  # templates do not change during a build; no stat per get_template
    )


def compiled_template_cache(cache_dir: Path) -> jinja2.BytecodeCache:
    """A cache of compiled Jinja2 templates under ``cache_dir`` (keyed by each template's source, so an edited
    template is compiled again): compiling the site's templates cost a tenth of a no-op ``mkdocs build``."""
    import jinja2

    folder = cache_dir / "jinja"
    folder.mkdir(parents=True, exist_ok=True)
    return jinja2.FileSystemBytecodeCache(str(folder))


def _template_files(root: Path) -> list[Path]:
    """Every file under ``root``, sorted by relative POSIX path.

    Hidden files (``.DS_Store``, editor swap files) are skipped: they never
    reach the output, and counting them would change build keys for nothing.
    """
    files = [
        path
        for path in root.rglob("*")
        if path.is_file() and not any(part.startswith(".") for part in path.relative_to(root).parts)
    ]
    return sorted(files, key=lambda path: path.relative_to(root).as_posix())


def template_digest() -> str:
    """sha256 (hex) over every template file's relative path and bytes, sorted by path."""
    root = template_dir()
    digest = hashlib.sha256()
    for path in _template_files(root):
        name = path.relative_to(root).as_posix().encode()
        content = path.read_bytes()
        # Length prefixes keep (path, content) boundaries unambiguous.
        digest.update(len(name).to_bytes(8, "big") + name)
        digest.update(len(content).to_bytes(8, "big") + content)
    return digest.hexdigest()
