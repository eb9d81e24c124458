"""The ``mkdocs-hybrid`` command line: the core pipeline without MkDocs.

Errors are caught here and printed as one line each; the exit status tells CI
what happened (0 ok, 1 failed snapshots with --strict, 2 bad manifest or tools).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from mkdocs_hybrid import __version__, gallery
from mkdocs_hybrid.errors import HybridError
from mkdocs_hybrid.manifest import load_manifest
from mkdocs_hybrid.pipeline import Export
from mkdocs_hybrid.sources import scan_sources

err = Console(stderr=True, highlight=False)
MANIFEST = click.option("--manifest", "-m", "manifest_path", type=click.Path(dir_okay=False, path_type=Path),
                        default="hybrid.yml", show_default=True, help="The manifest to read.")


@click.group()
@click.version_option(__version__, prog_name="mkdocs-hybrid")
def main() -> None:
    """Turn code snapshots into immutable share links and a gallery."""


@main.command()
@MANIFEST
@click.option("--site-dir", "-d", type=click.Path(file_okay=False, path_type=Path), default="site",
              show_default=True, help="Output folder.")
@click.option("--report", "report_path", type=click.Path(dir_okay=False, path_type=Path),
              default="hybrid-report.json", show_default=True, help="Where to write the JSON build report.")
@click.option("--site-url", default=None, help="Public URL of the site, for absolute share links.")
@click.option("--strict", is_flag=True, help="Exit 1 when any snapshot failed (after building the others).")
def build(manifest_path: Path, site_dir: Path, report_path: Path, site_url: str | None, strict: bool) -> None:
    """Build artifacts, share routes and a standalone gallery (no MkDocs needed)."""
    try:
        manifest = load_manifest(manifest_path)
        with _progress() as progress:
            task = progress.add_task("bundling", total=None)
            export = Export(manifest, progress=lambda done, total: progress.update(task, completed=done, total=total))
            catalog = export.run(site_dir)
        gallery.write_standalone(site_dir, catalog, site_url=site_url)
    except HybridError as exc:
        _fail(exc)
    report = export.report
    report.write(report_path)
    for error in report.failed:
        err.print(f"[red]error[/red] {error}", soft_wrap=True)
    click.echo("mkdocs-hybrid: " + report.summary())
    if strict and not report.ok:
        sys.exit(1)


@main.command()
@MANIFEST
def check(manifest_path: Path) -> None:
    """Validate the manifest and every snapshot without building anything."""
    try:
        scan = scan_sources(load_manifest(manifest_path))
    except HybridError as exc:
        _fail(exc)
    for error in scan.errors:
        err.print(f"[red]error[/red] {error}", soft_wrap=True)
    threads = {snapshot.thread for snapshot in scan.snapshots}
    click.echo(f"{len(scan.snapshots)} snapshots in {len(threads)} threads, {len(scan.errors)} errors")
    sys.exit(1 if scan.errors else 0)


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=err, transient=True)


def _fail(exc: HybridError) -> None:
    err.print(f"[red]error[/red] {exc}", soft_wrap=True)
    sys.exit(2)
