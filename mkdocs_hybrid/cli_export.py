"""``mkdocs-hybrid export git REPO``: the editor's store written into a git repository, one commit per version
(:mod:`mkdocs_hybrid.sources.git_export`). Exit 0 when every version is in the branch, 1 when some were refused
(the others were appended), 2 when nothing could be done."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.markup import escape

from mkdocs_hybrid.cli_support import MANIFEST, err, fail
from mkdocs_hybrid.config.manifest import load_manifest
from mkdocs_hybrid.model.errors import HybridError
from mkdocs_hybrid.sources.git_export import export_to_git

__all__ = ["export"]


@click.group("export")
def export() -> None:
    """Write the saved versions somewhere else."""


@export.command("git")
@click.argument("repo", type=click.Path(path_type=Path))
@MANIFEST
@click.option("--store", "store_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The editor's store file to export [the manifest's store sources].")
@click.option("--branch", default="main", show_default=True, help="The branch the commits are appended to.")
@click.option("--path", "folder", default="", help="The folder of the repository the versions go under "
              "(e.g. demos/) [the repository's root].")
def git(repo: Path, manifest_path: Path, store_path: Path | None, branch: str, folder: str) -> None:
    """Append the store's versions to BRANCH of the git repository REPO (a bare one is created if REPO does not
    exist), one commit per version, as the directory and git sources read them; push it with `git push`."""
    try:
        stores = [store_path] if store_path is not None else _manifest_stores(manifest_path)
        result = export_to_git(stores, repo, branch=branch, path=folder)
    except HybridError as exc:
        fail(exc)
    for error in result.refused:
        err.print(f"[red]refused[/red] {escape(str(error))}", soft_wrap=True)
    for tree in result.checked_out:
        # Never touched (git refuses a push to a checked-out branch for the same reason): say how to catch up.
        err.print(f"note {escape(branch)} is checked out in {escape(tree)}, whose files were left as they were; "
                  f"`git -C {escape(tree)} restore --staged --worktree -- {escape(folder or '.')}` shows the "
                  "exported versions there", soft_wrap=True)
    click.echo(result.summary(branch))
    if result.refused:
        sys.exit(1)


def _manifest_stores(manifest_path: Path) -> list[Path]:
    stores = [source.path for source in load_manifest(manifest_path).sources if source.type == "store"]
    if not stores:
        raise HybridError(f"{manifest_path} has no store source ({{type: store, path: FILE.sqlite}}); name the "
                          "store file with --store")
    return stores
