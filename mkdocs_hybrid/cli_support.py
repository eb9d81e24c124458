"""What the command modules share: the error console, the ``--manifest`` option, the one-line failure, and the
site facts read from ``mkdocs.yml`` when a command is run beside one."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NoReturn

import click
from rich.console import Console
from rich.markup import escape

from mkdocs_hybrid.config.yaml_loader import load_yaml
from mkdocs_hybrid.model.errors import HybridError
from mkdocs_hybrid.model.snapshot import read_regular

__all__ = ["MANIFEST", "err", "fail", "mkdocs_site_name", "mkdocs_site_url"]

err = Console(stderr=True, highlight=False)
MANIFEST = click.option("--manifest", "-m", "manifest_path", type=click.Path(dir_okay=False, path_type=Path),
                        default="hybrid.yml", show_default=True, help="The manifest to read.")


def fail(exc: HybridError, code: int = 2) -> NoReturn:
    """Print ``exc`` as one line and exit with ``code`` (2: bad manifest, tools or store)."""
    err.print(f"[red]error[/red] {escape(str(exc))}", soft_wrap=True)  # a file named [/x] is not markup
    sys.exit(code)


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
