"""What the command modules share: the error console, the ``--manifest`` option, the one-line failure, the site
facts read from ``mkdocs.yml`` when a command is run beside one, and dask's executor for ``--executor``."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, cast

import click

from mkdocs_hybrid.config.yaml_loader import load_yaml
from mkdocs_hybrid.model.errors import HybridError
from mkdocs_hybrid.model.snapshot import read_regular

if TYPE_CHECKING:
    from concurrent.futures import Executor

    from rich.console import Console

__all__ = ["MANIFEST", "dask_executor", "err", "fail", "mkdocs_site_name", "mkdocs_site_url", "print_error",
           "rich_console"]


class _Stderr:
    """rich's console on stderr, made (and rich imported) when something is first printed on it: a command that
    prints no error and no bar, such as a no-op ``build -q``, never loads rich (issue 24)."""

    def __init__(self) -> None:
        self._console: Console | None = None

    def made(self) -> Console:
        if self._console is None:
            from rich.console import Console

            self._console = Console(stderr=True, highlight=False)
        return self._console

    def __getattr__(self, name: str) -> Any:
        return getattr(self.made(), name)


err = cast("Console", _Stderr())


def rich_console(console: Console) -> Console:
    """``console`` itself, or the one behind the lazy :data:`err`: rich's bars use their console as a context
    manager, which a stand-in cannot pass on (Python looks ``__enter__`` up on the type)."""
    return console.made() if isinstance(console, _Stderr) else console
MANIFEST = click.option("--manifest", "-m", "manifest_path", type=click.Path(dir_okay=False, path_type=Path),
                        default="hybrid.yml", show_default=True, help="The manifest to read.")


def fail(exc: HybridError, code: int = 2) -> NoReturn:
    """Print ``exc`` as one line and exit with ``code`` (2: bad manifest, tools or store)."""
    print_error(exc)
    sys.exit(code)


def print_error(message: object, label: str = "[red]error[/red]") -> None:
    """``message`` as one line on stderr after ``label`` (rich markup: the message is escaped, so a file named
    [/x] is not markup)."""
    from rich.markup import escape

    err.print(f"{label} {escape(str(message))}", soft_wrap=True)


def mkdocs_site_url() -> str | None:
    """``site_url`` of ``./mkdocs.yml``, if there is one."""
    return _mkdocs_text("site_url")


def mkdocs_site_name() -> str | None:
    """``site_name`` of ``./mkdocs.yml``, if there is one (pages name the site in their social cards)."""
    return _mkdocs_text("site_name")


def _mkdocs_text(key: str) -> str | None:
    try:
        # The project's one YAML loader (no aliases, bounded nesting); MkDocs' own tags (!ENV, !!python/name)
        # read as nothing rather than failing the file, since only plain keys are wanted.
        config = load_yaml(read_regular("mkdocs.yml", limit=1 << 20), lenient_tags=True) or {}
    except (OSError, ValueError):  # YamlError and NotRegularFile are ValueErrors
        return None
    value = config.get(key) if isinstance(config, dict) else None
    return value if isinstance(value, str) and value else None


@contextmanager
def dask_executor(address: str | None) -> Iterator[Executor | None]:
    """dask.distributed's Executor for a scheduler address (the optional ``dask`` extra)."""
    if not address:
        yield None
        return
    try:
        from distributed import Client
    except ImportError:
        raise HybridError("--executor needs dask.distributed: pip install 'mkdocs-hybrid[dask]'") from None
    with Client(address, timeout="30s") as client:
        yield client.get_executor(pure=False)
