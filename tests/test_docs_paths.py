"""Docs that stay true: every repository path a README or a docstring names exists.

A name is checked when it is unambiguous: a path under one of the repository's top-level folders
(``tests/edge/test_edge.py``), a source file under a stage (``bundle/vendor.py``), or a dotted reference
to a module and its attribute (``bundle.confinement.SNAPSHOT_TSCONFIG``, ``mkdocs_hybrid.deploy.MediaStore``).
Paths with placeholders (``{thread}``), URLs and site paths (``/p/...``, ``editor/index.html``) and the
manifest's dotted keys (``build.ledger``) are not repository paths, so they are left alone. Paths the wheel
maps (``pyproject.toml``'s ``force-include``) count as existing.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "mkdocs_hybrid"
# The README, the documentation site's pages (documentation/docs/, the reference moved there) and the rest.
DOCS = (ROOT / "README.md", ROOT / "editor_src" / "README.md", ROOT / "BENCHMARKS.md",
        *sorted((ROOT / "documentation" / "docs").glob("*.md")))
_TOKEN = re.compile(r"``([^`\s]+)``|`([^`\s]+)`")
_SOURCE_SUFFIXES = (".py", ".js", ".json", ".md", ".sh", ".html", ".css", ".toml", ".yml")


_HOST_SUFFIXES = frozenset({"com", "org", "net", "dev", "io", "app", "cloud", "site", "test"})


def _top_level() -> set[str]:
    return {path.name for path in ROOT.iterdir() if path.name not in {"node_modules", ".git", ".venv"}}


def _stages() -> set[str]:
    return {path.name for path in PACKAGE.iterdir() if (path / "__init__.py").is_file()}


def _wheel_paths() -> set[str]:
    """The right-hand sides of ``[tool.hatch.build.targets.wheel.force-include]`` (read without ``tomllib``,
    which Python 3.10 lacks)."""
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    section = text.split("[tool.hatch.build.targets.wheel.force-include]", 1)[-1].split("\n[", 1)[0]
    return set(re.findall(r'^"[^"]+"\s*=\s*"([^"]+)"', section, re.MULTILINE))


def names_in(text: str) -> Iterator[str]:
    for match in _TOKEN.finditer(text):
        yield (match[1] or match[2]).split(":", 1)[0].split("#", 1)[0].rstrip(".,;")


def docstrings(path: Path) -> Iterator[str]:
    """The module's, its classes' and functions' docstrings, and the attribute docstrings after assignments."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            yield node.value.value


def problem(name: str) -> str | None:
    """Why ``name`` names no repository path, or ``None`` (it exists, or it is no repository path)."""
    if any(mark in name for mark in "{}<>*$?&") or name.startswith(("/", "~", "http", ".")):
        return None
    if "/" in name:
        return _path_problem(name.strip("/"))
    if name.rsplit(".", 1)[-1] in _HOST_SUFFIXES:
        return None  # a host name (gallery.example.com), not a module reference
    return _dotted_problem(name)


def _path_problem(path: str) -> str | None:
    first = path.split("/", 1)[0]
    if first in _top_level():
        found = (ROOT / path).exists() or path in _wheel_paths()
    elif first in _stages() and path.endswith(_SOURCE_SUFFIXES) and not path.endswith((".html", ".css")):
        found = (PACKAGE / path).exists()
    else:
        return None  # a site path (gallery/, editor/assets/) or a folder of the output
    return None if found else "no such file in the repository"


def _dotted_problem(name: str) -> str | None:
    parts = name.split(".")
    prefixed = parts[0] == "mkdocs_hybrid"
    parts = parts[1:] if prefixed else parts
    if not parts or parts[0] not in _stages() or (not prefixed and len(parts) < 3) or name.endswith(_SOURCE_SUFFIXES):
        return None  # a manifest key (build.ledger) or a file name, not a module reference
    folder = PACKAGE
    while parts and (folder / parts[0]).is_dir():
        folder, parts = folder / parts[0], parts[1:]
    module = folder / f"{parts[0]}.py" if parts and (folder / f"{parts[0]}.py").is_file() else folder / "__init__.py"
    parts = parts[1:] if module.stem != "__init__" else parts
    if not module.is_file():
        return "no such module"
    if parts and not _defines(module.read_text(encoding="utf-8"), parts[0]):
        return f"{module.relative_to(ROOT)} defines no {parts[0]}"
    return None


def _defines(source: str, name: str) -> bool:
    """Whether ``source`` defines or imports ``name`` at its top level or in a class (a def, a class, an
    assignment or annotation, or an import)."""
    word = re.escape(name)
    pattern = (rf"^\s*(?:(?:async\s+)?def|class)\s+{word}\b|^\s*{word}\s*[:=]"
               rf"|^(?:from\s+\S+\s+)?import\b[^\n]*\b{word}\b|^\s+{word},?\s*$")
    return re.search(pattern, source, re.MULTILINE) is not None


def _sources() -> Iterator[tuple[Path, str]]:
    for doc in DOCS:
        yield doc, doc.read_text(encoding="utf-8")
    for module in sorted(PACKAGE.rglob("*.py")):
        for text in docstrings(module):
            yield module, text


def test_every_path_the_docs_name_exists() -> None:
    wrong = sorted({f"{where.relative_to(ROOT)}: {name} ({why})" for where, text in _sources()
                    for name in names_in(text) if (why := problem(name))})
    assert wrong == []


@pytest.mark.parametrize(("name", "expected"), [
    ("tests/test_edge.py", "no such file in the repository"),
    ("tests/edge/test_edge.py", None),
    ("bundle/vendor.py", None),
    ("bundle/no_such.py", "no such file in the repository"),
    ("bundle.snapshot.ENTRY_CANDIDATES", "mkdocs_hybrid/bundle/__init__.py defines no snapshot"),
    ("bundle.confinement.SNAPSHOT_TSCONFIG", None),
    ("bundle.confinement.NO_SUCH_NAME", "mkdocs_hybrid/bundle/confinement.py defines no NO_SUCH_NAME"),
    ("mkdocs_hybrid.deploy.MediaStore", None),
    ("mkdocs_hybrid/site_template", None),
    ("build.ledger", None), ("editor/assets/", None), ("/p/{thread}/latest", None), ("artifacts/{t}/{v}/", None),
    ("gallery.example.com", None),
])
def test_the_check_tells_a_stale_path_from_one_that_exists_or_is_no_repository_path(name: str,
                                                                                 expected: str | None) -> None:
    assert problem(name) == expected


def test_the_docs_do_not_call_what_ships_missing() -> None:
    """The README's "Not in this release" (now in the docs site's Guarantees and limits) once said videos, posters
    and the editor were missing (and `video.enabled: true` refused) while all three shipped: the paragraph names
    them as shipping, and the code that makes them exists."""
    text = (ROOT / "documentation" / "docs" / "guarantees.md").read_text(encoding="utf-8")
    paragraph = text[text.index("**Not in this release.**"):].split("\n- ", 1)[0].split("\n### ", 1)[0]
    assert "is refused" not in paragraph and "Video previews" not in paragraph
    assert re.search(r"Videos, posters, the editor and embeds ship", " ".join(paragraph.split()))
    shipped = (PACKAGE / "media" / "_capture.py", PACKAGE / "media" / "_encode.py", PACKAGE / "editor" / "__init__.py",
               PACKAGE / "publish" / "oembed.py")
    assert all(path.is_file() for path in shipped)
