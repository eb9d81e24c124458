"""The live commands: ``publish-version`` (one thread online now), ``worker`` (publish what the sources get, as
they get it) and ``pin`` (which, in the artifact store mode, moves ``latest`` online at once).

They adapt :mod:`mkdocs_hybrid.live` to the command line: each error is one line; the exit status is 0 when
everything asked for is online, 1 when a version failed (the others are online), 2 when nothing could be done.
"""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path
from types import FrameType

import click

from mkdocs_hybrid.cli_support import MANIFEST, err, fail, mkdocs_site_name, mkdocs_site_url, print_error
from mkdocs_hybrid.config.manifest import Manifest, load_manifest
from mkdocs_hybrid.live.follow import DEFAULT_INTERVAL, DEFAULT_SETTLE, Follower
from mkdocs_hybrid.live.publisher import LivePublisher, LiveResult, live_work_dir
from mkdocs_hybrid.model.errors import HybridError
from mkdocs_hybrid.model.layout import LATEST, SHARE
from mkdocs_hybrid.publish.ledger import open_existing_ledger
from mkdocs_hybrid.publish.share_link import known_names

__all__ = ["pin", "publish_version", "worker"]

SITE_URL = click.option("--site-url", default=None, help="The site's public URL [site_url of mkdocs.yml].")
WORK_DIR = click.option("--work-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
                        help="Where publications build [the cache's live/site].")
NO_MEDIA = click.option("--no-media", is_flag=True, help="Make no posters or videos.")


@click.command("publish-version")
@click.argument("thread")
@click.argument("version", required=False)
@MANIFEST
@SITE_URL
@WORK_DIR
@NO_MEDIA
def publish_version(thread: str, version: str | None, manifest_path: Path, site_url: str | None,
                    work_dir: Path | None, no_media: bool) -> None:
    """Put THREAD online now, without rebuilding or redeploying the site (deploy.artifacts: r2): its new
    versions, its share pages, its thread page and its latest link. With VERSION, check that it is online."""
    publisher = _publisher(load_manifest(manifest_path), site_url, work_dir, no_media)
    result = publisher.publish([thread])
    if not result.threads:
        raise known_names(publisher.manifest, thread).thread_error(thread, "publish-version")
    _print_failures(result)
    online = {v.version for entry in result.threads for v in entry.versions}
    if version is not None and version not in online:
        failed = any(error.version == version for error in result.failed)
        fail(HybridError(f"{thread}/{version} is not online: " + (
            "it failed (above); fix it and publish again" if failed else
            f"the sources have no version {version!r} of {thread} (online: {', '.join(sorted(online))})")),
            1 if failed else 2)
    click.echo(result.summary())
    if version is None and result.failed:
        sys.exit(1)


@click.command()
@MANIFEST
@SITE_URL
@WORK_DIR
@NO_MEDIA
@click.option("--follow", is_flag=True, help="Keep watching the sources until stopped (SIGTERM or Ctrl+C).")
@click.option("--interval", type=click.FloatRange(min=0.05), default=DEFAULT_INTERVAL, show_default=True,
              help="Seconds between polls of the sources.")
@click.option("--settle", type=click.FloatRange(min=0.0), default=DEFAULT_SETTLE, show_default=True,
              help="Seconds a folder version's newest file must be old before it is published.")
def worker(manifest_path: Path, site_url: str | None, work_dir: Path | None, no_media: bool, follow: bool,
           interval: float, settle: float) -> None:
    """Publish every new version of the sources (and every moved latest) without a site deploy; with --follow,
    keep doing it as versions are saved (deploy.artifacts: r2)."""
    publisher = _publisher(load_manifest(manifest_path), site_url, work_dir, no_media)
    follower = Follower(publisher, settle=settle, report=_say)
    follower.prepare()
    if not follow:
        if follower.poll() is None:
            click.echo("nothing new to publish")
        return
    stop = threading.Event()
    _stop_on_signals(stop)
    _say(f"following {len(publisher.manifest.sources)} source(s) every {interval:g} s; Ctrl+C stops")
    follower.run(stop, interval)
    _say("stopped")


@click.command()
@click.argument("thread")
@click.argument("version", required=False)
@click.option("--clear", is_flag=True, help="Remove the pin: latest follows thread.yml / the newest again.")
@MANIFEST
@SITE_URL
@WORK_DIR
@NO_MEDIA
@click.option("--no-publish", is_flag=True, help="Only record the pin (the artifact store mode moves latest online "
                                                 "at once otherwise).")
def pin(thread: str, version: str | None, clear: bool, manifest_path: Path, site_url: str | None,
        work_dir: Path | None, no_media: bool, no_publish: bool) -> None:
    """Point THREAD's latest at a published VERSION (rollback). In the artifact store mode (deploy.artifacts: r2)
    /p/THREAD/latest moves at once; otherwise from the next build and deploy."""
    if clear == bool(version):
        fail(HybridError("pin: give THREAD VERSION, or THREAD --clear"))
    manifest = load_manifest(manifest_path)
    live = manifest.deploy.artifacts == "r2" and not no_publish
    publisher = _publisher(manifest, site_url, work_dir, no_media) if live else None  # errors first
    ledger = open_existing_ledger(manifest)
    try:
        ledger.pin(thread, None if clear else version)
    finally:
        ledger.close()
    route = f"/{SHARE}/{thread}/{LATEST}"
    if publisher is None:
        click.echo(f"{thread}: latest is no longer pinned; the next build follows thread.yml or the newest version"
                   if clear else f"{thread}: latest pinned to {version}; rebuild and deploy the site to move {route}")
        return
    result = publisher.publish([thread])
    _print_failures(result)
    click.echo(f"{thread}: {'pin cleared' if clear else 'latest pinned'}; {route} now leads to "
               f"{result.latest(thread)} ({result.seconds:.1f} s)")


def _publisher(manifest: Manifest, site_url: str | None, work_dir: Path | None, no_media: bool) -> LivePublisher:
    url = site_url or mkdocs_site_url()
    if not url:
        raise HybridError("pass --site-url (or set site_url in mkdocs.yml): the site's public URL, which its pages "
                          "and the artifact bucket's CORS rules name")
    return LivePublisher(manifest, site_url=url, work_dir=work_dir or live_work_dir(manifest),
                         site_name=mkdocs_site_name(), media=False if no_media else None, progress=_say)


def _print_failures(result: LiveResult) -> None:
    for error in result.failed:
        print_error(error)


def _say(line: str) -> None:
    err.print(line, soft_wrap=True, markup=False, highlight=False)


def _stop_on_signals(stop: threading.Event) -> None:
    """The first SIGTERM or SIGINT lets the publication under way finish, then stops; a second one stops now."""
    def handle(number: int, frame: FrameType | None) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()
        _say("stopping after the publication under way (again to stop now)")

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)
