"""The ``mkdocs-hybrid`` command line: the core pipeline without MkDocs.

Errors are caught here and printed as one line each; the exit status tells CI
what happened (0 ok, 1 failed snapshots with --strict, 2 bad manifest or tools).
"""

from __future__ import annotations

import importlib
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict, TypeVar

import click

from mkdocs_hybrid import __version__
from mkdocs_hybrid.cli_support import MANIFEST, dask_executor, err, mkdocs_site_url, print_error, rich_console
from mkdocs_hybrid.cli_support import fail as _fail
from mkdocs_hybrid.config.manifest import BuildOptions, DeployOptions, Manifest, load_manifest
from mkdocs_hybrid.model.durable import storage_error
from mkdocs_hybrid.model.errors import HybridError
from mkdocs_hybrid.model.words import counted
from mkdocs_hybrid.progress import ProgressLines
from mkdocs_hybrid.sources.starters import STARTERS

if TYPE_CHECKING:  # the rest is imported by the command that runs it (issue 24: start-up loads what `build` needs)
    from rich.progress import Progress
    from typing_extensions import Unpack

    from mkdocs_hybrid.publish.ledger import Ledger
    from mkdocs_hybrid.report import BuildReport
    from mkdocs_hybrid.scale.shards import Shard


class _Commands(click.Group):
    """The commands, with a last net under them: an error of ours that a command did not catch, and a full
    disk (or quota, or read-only folder) from anywhere, is one line naming the folder, not a traceback. The
    commands of their own modules are imported when asked for by name (or listed in the help)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in LAZY_COMMANDS and cmd_name not in self.commands:
            module, name = LAZY_COMMANDS[cmd_name]
            self.add_command(getattr(importlib.import_module(f"mkdocs_hybrid.{module}"), name))
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except (OSError, sqlite3.Error) as exc:
            error = storage_error(exc)
            if error is None:
                raise
            _fail(error)
        except HybridError as exc:
            _fail(exc)


LAZY_COMMANDS = {"export": ("cli_export", "export"), "verify": ("cli_verify", "verify"), "pin": ("cli_live", "pin"),
                 "publish-version": ("cli_live", "publish_version"), "worker": ("cli_live", "worker")}
"""``export git`` (issue 23), ``verify`` (issue 25) and the live commands, by module and name: a start-up (a no-op
``build`` above all, issue 24) loads none of them."""


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
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
@click.option("--quiet", "-q", is_flag=True, help="Print errors only: no progress bar, no summary.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None, help="esbuild batches at once [CPUs].")
@click.option("--shard", default=None, help="Build shard I/N only (by thread); combine with `merge`.")
@click.option("--executor", "executor_address", default=None,
              help="A dask.distributed scheduler (tcp://host:8786) to run the batches on.")
@click.option("--republish", multiple=True, metavar="THREAD/VERSION",
              help="Replace a published version's bytes with this build's (new template/esbuild); repeatable.")
@click.option("--republish-all", is_flag=True, help="Replace the published bytes of every rebuilt version.")
@click.option("--no-media", is_flag=True,
              help="Make no posters or videos (a quick build; the gallery shows monograms).")
def build(manifest_path: Path, site_dir: Path, report_path: Path, site_url: str | None, strict: bool,
          jobs: int | None, shard: str | None, executor_address: str | None, republish: tuple[str, ...] = (),
          republish_all: bool = False, quiet: bool = False, no_media: bool = False) -> None:
    """Build artifacts, share routes and a standalone gallery (no MkDocs needed)."""
    from mkdocs_hybrid.pipeline import Export
    from mkdocs_hybrid.publish.site import SitePages

    try:
        manifest = load_manifest(manifest_path)
        if republish and not republish_all:
            _check_republish(manifest, republish)
        with _progress(quiet) as progress, dask_executor(executor_address) as executor:
            task = progress.add_task("bundling", total=None)
            media_task = progress.add_task("posters and videos", total=None, visible=False)
            pages_task = progress.add_task("pages", total=None, visible=False)
            export = Export(manifest, progress=lambda done, total: progress.update(task, completed=done, total=total),
                            jobs=jobs, executor=executor, shard=_shard(shard) if shard else None,
                            republish=True if republish_all else set(republish),
                            pages=SitePages(standalone_gallery=True, site_url=site_url),
                            media=False if no_media else None,
                            media_progress=lambda done, total: progress.update(media_task, completed=done,
                                                                               total=total, visible=True),
                            pages_progress=lambda done, total: progress.update(pages_task, completed=done,
                                                                               total=total, visible=True))
            catalog = export.run(site_dir)
        if export.shard:
            from mkdocs_hybrid.scale.shards import write_shard_files

            write_shard_files(site_dir, export.shard, catalog, manifest, export.editor_inputs())
    except HybridError as exc:
        _fail(exc)
    report = export.report
    report.write(report_path)
    for error in report.failed:
        print_error(error)
    if not quiet:
        click.echo("mkdocs-hybrid: " + report.summary())
    if strict and not report.ok:
        sys.exit(1)


def _check_republish(manifest: Manifest, refs: tuple[str, ...]) -> None:
    """Every --republish names a snapshot of the sources, checked before anything is built."""
    from mkdocs_hybrid.publish.names import unknown_refs
    from mkdocs_hybrid.publish.share_link import known_names

    unknown = unknown_refs(known_names(manifest), refs)
    if unknown:
        raise HybridError(f"build --republish: not in the sources of {manifest.origin}: {'; '.join(unknown)}; "
                          "nothing was built")


@main.command()
@click.argument("shard_dirs", nargs=-1, required=True, type=click.Path(file_okay=False, exists=True, path_type=Path))
@MANIFEST
@click.option("--site-dir", "-d", type=click.Path(file_okay=False, path_type=Path), default="site",
              show_default=True, help="Output folder for the merged site.")
@click.option("--site-url", default=None, help="Public URL of the site, for absolute share links.")
def merge(shard_dirs: tuple[Path, ...], manifest_path: Path, site_dir: Path, site_url: str | None) -> None:
    """Merge shard builds (build --shard I/N) into one site and the project's publish ledger."""
    from mkdocs_hybrid.publish.site import SitePages
    from mkdocs_hybrid.scale.shards import merge_shards

    try:
        # Without a manifest there is no project ledger: merge_shards refuses shards that carry one.
        manifest = load_manifest(manifest_path) if manifest_path.exists() else None
        merged = merge_shards(list(shard_dirs), site_dir, manifest,
                              SitePages(standalone_gallery=True, site_url=site_url))
    except HybridError as exc:
        _fail(exc)
    notices = "".join(f"; {notice}" for notice in merged.notices)  # as a build's summary line has them
    click.echo(f"mkdocs-hybrid: merged {counted(len(shard_dirs), 'shard')}: "
               f"{counted(len(merged.catalog.threads), 'thread')} into {site_dir}; the ledger took "
               f"{counted(len(merged.published), 'newly published version')}{notices}")


def _shard(text: str) -> Shard:
    """``--shard I/N``: the merge's stages load only for a shard's build."""
    from mkdocs_hybrid.scale.shards import Shard

    return Shard.parse(text)


@main.command()
@MANIFEST
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None, help="esbuild batches at once [CPUs].")
def check(manifest_path: Path, jobs: int | None) -> None:
    """Validate the manifest and bundle every snapshot as `build` does, writing no site and no ledger.

    Bundles go into the bundle cache only, so a second check (and the build) reuses them. Exits 1 when any
    snapshot fails, naming each with its error.
    """
    from mkdocs_hybrid.pipeline import Export

    try:
        manifest = load_manifest(manifest_path)
        with _progress() as progress:
            task = progress.add_task("bundling", total=None)
            export = Export(manifest, ledger=False, jobs=jobs,
                            progress=lambda done, total: progress.update(task, completed=done, total=total))
            scan = export.check()
    except HybridError as exc:
        _fail(exc)
    report = export.report
    for error in report.failed:
        print_error(error)
    click.echo(f"{counted(len(scan.snapshots), 'snapshot')} in {counted(report.threads, 'thread')}, "
               f"{counted(len(report.failed), 'error')}; "
               f"{len(report.built)} bundled, {len(report.cached)} from the bundle cache")
    sys.exit(0 if report.ok else 1)


@main.command()
@click.argument("thread")
@click.option("--template", "-t", "starter", type=click.Choice(STARTERS), default=STARTERS[0], show_default=True,
              help="What the first version starts from.")
@MANIFEST
@click.option("--into", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="The source to save into [the manifest's first directory source, else its store].")
def new(thread: str, starter: str, manifest_path: Path, into: Path | None) -> None:
    """Start THREAD with a first version (v1) that builds at once."""
    from mkdocs_hybrid.publish.share_link import known_names
    from mkdocs_hybrid.sources.starters import FIRST_VERSION, load_starter, scaffold

    try:
        manifest = load_manifest(manifest_path)
        taken = known_names(manifest, thread).has_thread(thread)  # reads only this thread's folder and rows
        target = scaffold(manifest, thread, load_starter(starter), taken=taken, into=into)
    except HybridError as exc:
        _fail(exc)
    click.echo(f"{thread}/{FIRST_VERSION} ({starter}) saved in {target.source.path}; build it with "
               "`mkdocs-hybrid build`, or edit it with `mkdocs-hybrid serve`")


@main.command()
@click.option("--config-file", "-f", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The MkDocs config to build [mkdocs.yml when it exists, else the standalone site].")
@MANIFEST
@click.option("--site-dir", "-d", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Output folder [the MkDocs config's site_dir, else site].")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", "-p", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="Port to listen on (0: any free port).")
@click.option("--allow-remote", is_flag=True, help="Allow a --host other machines can reach.")
@click.option("--store", "store_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Save versions as files into this directory source of the manifest [the manifest's store].")
def serve(config_file: Path | None, manifest_path: Path, site_dir: Path | None, host: str, port: int,
          allow_remote: bool, store_dir: Path | None) -> None:
    """Build the site, serve it with the editor, and save the editor's versions."""
    from mkdocs_hybrid.serve import ServeOptions
    from mkdocs_hybrid.serve import serve as run_serve

    try:
        run_serve(ServeOptions(config_file=config_file, manifest_path=manifest_path, site_dir=site_dir, host=host,
                               port=port, allow_remote=allow_remote, store_dir=store_dir), say=click.echo)
    except HybridError as exc:
        _fail(exc)
    except OSError as exc:
        _fail(HybridError(f"cannot serve on {host}:{port}: {exc.strerror or exc}"))


@main.command()
@click.argument("thread")
@click.argument("version")
@MANIFEST
@click.option("--site-url", default=None, help="The site's public URL [site_url of mkdocs.yml].")
@click.option("--expires", default=None, metavar="DURATION",
              help="A signed link to an unlisted version that stops working after DURATION (30m, 12h, 7d), "
                   "checked at the edge; needs deploy.artifacts: r2 and MKDOCS_HYBRID_SHARE_KEYS.")
def share(thread: str, version: str, manifest_path: Path, site_url: str | None, expires: str | None) -> None:
    """Print the share link of a published VERSION of THREAD: /p/THREAD/VERSION/ when it is listed, its
    unguessable path (keyed by MKDOCS_HYBRID_UNLISTED_KEY) when it is unlisted.

    With --expires (deploy.artifacts: r2, unlisted versions), a signed link that the site's edge stops
    answering after that long.
    """
    from mkdocs_hybrid.publish.share_link import share_path

    try:
        base = site_url or mkdocs_site_url()
        path = share_path(load_manifest(manifest_path), thread, version, expires)
        if not base:
            raise HybridError("share: pass --site-url (or set site_url in mkdocs.yml), the site's public URL")
    except (HybridError, ValueError) as exc:
        _fail(exc if isinstance(exc, HybridError) else HybridError(f"share: {exc}"))
    click.echo(f"{base.rstrip('/')}/{path}")


@main.command()
@click.argument("thread")
@MANIFEST
def history(thread: str, manifest_path: Path) -> None:
    """Show THREAD's latest history and its published versions with their file hashes."""
    from mkdocs_hybrid.publish.ledger import open_existing_ledger
    from mkdocs_hybrid.publish.share_link import known_names

    try:
        manifest = load_manifest(manifest_path)
        ledger = open_existing_ledger(manifest)
        try:
            text = _format_history(ledger, thread)
            recorded = ledger.history(thread) or ledger.published(thread) or thread in ledger.pins()
        finally:
            ledger.close()
        if not recorded and not (known := known_names(manifest, thread)).has_thread(thread):
            raise known.thread_error(thread, "history")
    except HybridError as exc:
        _fail(exc)
    click.echo(text)


def _format_history(ledger: Ledger, thread: str) -> str:
    lines = [f"thread {thread}"]
    pins = ledger.pins()
    lines.append(f"pinned latest: {pins[thread]}" if thread in pins else "pinned latest: (none)")
    lines.append("latest history (changed_at, version, reason):")
    lines += [f"  {at}  {version}  {reason}" for at, version, reason in ledger.history(thread)] or ["  (none)"]
    lines.append("published versions (published_at, version, build key, files):")
    rows = sorted(ledger.published(thread).values(), key=lambda r: (r.published_at, r.version))
    for row in rows:
        lines.append(f"  {row.published_at}  {row.version}  build {row.build_key[:12]}")
        lines += [f"      {name}  sha256 {sha}  {size} bytes" for name, (sha, size) in sorted(row.files.items())]
    if not rows:
        lines.append("  (none)")
    return "\n".join(lines)

class _DeployFlags(TypedDict):
    """The options :func:`_deploy_options` adds, as click passes them."""

    project: str | None
    branch: str | None
    dry_run: bool
    as_json: bool
    create_project: bool
    commit_hash: str | None
    commit_message: str | None
    commit_dirty: bool | None
    site_url: str | None


class _GitFacts(TypedDict, total=False):
    hash: str
    message: str
    dirty: bool


_Command = TypeVar("_Command", bound=Callable[..., None])


def _deploy_options(function: _Command) -> _Command:
    options = [
        click.option("--project", "-p", default=None, help="Pages project (default: deploy.pages_project)."),
        click.option("--branch", "-b", default=None, help="Branch to deploy (default: deploy.branch)."),
        click.option("--dry-run", is_flag=True, help="Show what would be uploaded; change nothing."),
        click.option("--json", "as_json", is_flag=True, help="Print the result as JSON (for CI)."),
        click.option("--create-project", is_flag=True, help="Create the Pages project if it does not exist."),
        click.option("--commit-hash", default=None, help="Recorded on the deployment (default: git HEAD)."),
        click.option("--commit-message", default=None, help="Recorded on the deployment (default: git's)."),
        click.option("--commit-dirty/--commit-clean", default=None, help="Recorded on the deployment."),
        click.option("--site-url", default=None,
                     help="The site's public URL: with deploy.artifacts: r2 the bucket's CORS rules allow its origin "
                          "only (publish defaults to the MkDocs site_url)."),
    ]
    for option in reversed(options):
        function = option(function)
    return function


@main.command()
@click.argument("site_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--manifest", "-m", "manifest_path", type=click.Path(dir_okay=False, path_type=Path),
              default="hybrid.yml", show_default=True, help="Read deploy defaults from this manifest, if present.")
@_deploy_options
def deploy(site_dir: Path, manifest_path: Path, **options: Unpack[_DeployFlags]) -> None:
    """Deploy a built site to Cloudflare Pages, uploading only what changed."""
    try:
        manifest = load_manifest(manifest_path) if manifest_path.is_file() else None
        _run_deploy(site_dir, manifest, **options)
    except HybridError as exc:
        _fail(exc)


@main.command()
@click.option("--config-file", "-f", type=click.Path(dir_okay=False, path_type=Path), default="mkdocs.yml",
              show_default=True, help="The MkDocs config to build (with the hybrid plugin).")
@click.option("--allow-failures", is_flag=True, help="Deploy even if some snapshots failed to build.")
@_deploy_options
def publish(config_file: Path, allow_failures: bool, **options: Unpack[_DeployFlags]) -> None:
    """Build the site with MkDocs, then deploy it, only after a clean build."""
    from mkdocs.commands.build import build as mkdocs_build
    from mkdocs.config import load_config
    from mkdocs.exceptions import MkDocsException

    try:
        config = load_config(str(config_file))
        mkdocs_build(config)
    except (MkDocsException, OSError) as exc:
        _fail(HybridError(f"{config_file}: the build failed, nothing was deployed: {exc}"))
    plugin = config.plugins.get("hybrid")
    export = getattr(plugin, "export", None)
    if plugin is None or export is None:
        _fail(HybridError(f"{config_file}: the hybrid plugin is not enabled; add it under plugins"))
    _stop_on_failures(export.report, allow_failures)
    options["site_url"] = options["site_url"] or config.get("site_url") or None
    try:
        _run_deploy(Path(config.site_dir), plugin.manifest, **options)
    except HybridError as exc:
        _fail(exc)


def _stop_on_failures(report: BuildReport, allow_failures: bool) -> None:
    if report.ok:
        return
    refs = ", ".join(sorted({error.ref for error in report.failed}))
    if not allow_failures:
        _fail(HybridError(f"{counted(len(report.failed), 'snapshot')} failed, nothing was deployed: {refs}; "
                          "fix them or pass --allow-failures"), code=1)
    print_error(refs, "[yellow]warning[/yellow] not published (build failed):")


def _run_deploy(site_dir: Path, manifest: Manifest | None, *, project: str | None, branch: str | None,
                dry_run: bool, as_json: bool, create_project: bool, commit_hash: str | None,
                commit_message: str | None, commit_dirty: bool | None, site_url: str | None) -> None:
    import json

    from mkdocs_hybrid.deploy import DeployRequest, deploy_target, run_deploy

    settings = manifest.deploy if manifest else DeployOptions()
    target = deploy_target(settings.target, manifest.origin if manifest else "manifest")
    if manifest is not None and settings.ledger_bucket and not dry_run:
        from mkdocs_hybrid.deploy import claim_versions  # boto3: only a deploy with a durable ledger loads it

        claim_versions(manifest)  # the durable ledger first: a version published elsewhere stops it here
    left = _pages_left(site_dir, manifest) if manifest is not None and settings.artifacts == "r2" else frozenset()
    git = _git_facts() if None in (commit_hash, commit_message, commit_dirty) else {}
    # The build cache keeps the site's stat index of hashes; without a manifest, where one here would put it.
    cache_dir = manifest.cache_dir if manifest is not None else Path(BuildOptions.cache_dir).resolve()
    with _progress() as progress:
        r2_task = progress.add_task("uploading to R2", total=None, visible=False)
        task = progress.add_task("uploading", total=None)
        request = DeployRequest(
            site_dir, dry_run=dry_run, site_url=site_url, project=project, branch=branch,
            create_project=create_project, commit_hash=commit_hash or git.get("hash"),
            commit_message=commit_message or git.get("message"),
            commit_dirty=commit_dirty if commit_dirty is not None else git.get("dirty"),
            progress=lambda done, total: progress.update(task, completed=done, total=total),
            r2_progress=lambda done, total: progress.update(r2_task, completed=done, total=total, visible=True),
            left_pages=left, cache_dir=cache_dir)
        result = run_deploy(target, settings.settings, request)
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2))
    else:
        click.echo(f"mkdocs-hybrid: {'dry run: ' if dry_run else ''}{result.summary()}")
    refusal = result.refusal()
    if refusal is not None:  # a dry run lists changed artifacts instead of stopping at them; CI still sees it
        raise HybridError(f"dry run: {refusal}")


def _pages_left(site_dir: Path, manifest: Manifest) -> frozenset[str]:
    """The pages of threads another publisher changed since this site was built, which the deploy leaves alone."""
    from mkdocs_hybrid.edge.unlisted import UnlistedKey
    from mkdocs_hybrid.publish.freshness import pages_left, read_ledger_facts
    from mkdocs_hybrid.publish.ledger import ledger_path

    key = UnlistedKey.from_env()
    stale, pages = pages_left(site_dir, read_ledger_facts(ledger_path(manifest)), key.token if key else None)
    if stale:
        from mkdocs_hybrid.history.online import refresh_stale  # their histories as the ledger holds them now

        refresh_stale(ledger_path(manifest), site_dir, stale)
        named = ", ".join(sorted(stale)[:5]) + (", ..." if len(stale) > 5 else "")
        click.echo(f"mkdocs-hybrid: {counted(len(stale), 'thread')} changed since this build ({named}): their thread "
                   "and latest pages stay as the other publisher wrote them; the next build shows both", err=True)
    return pages


def _git_facts() -> _GitFacts:
    """HEAD's hash and subject, and whether the tree is dirty, as wrangler records them."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], capture_output=True, text=True, timeout=10, check=True).stdout.strip()

    try:
        return {"hash": git("rev-parse", "HEAD"), "message": git("log", "-1", "--format=%s"),
                "dirty": bool(git("status", "--porcelain"))}
    except (OSError, subprocess.SubprocessError):
        return {}


def _progress(quiet: bool = False) -> Progress | ProgressLines:
    """Bars in a terminal; elsewhere (CI, a pipe) a few plain lines on stderr, so a long build is not silent;
    with ``quiet``, nothing (lines that go nowhere: rich's bars are not even loaded)."""
    if quiet:
        return ProgressLines(lambda line: None)
    if err.is_terminal:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        console=rich_console(err), transient=True)
    return ProgressLines(lambda line: click.echo(line, err=True))

