"""Render one built snapshot into its artifact and its share page.

``artifacts/{thread}/{version}/page.html, style.css, meta.json`` hold the demo;
``p/{thread}/{version}/index.html`` is the share link: a real path on any static
host that shows the artifact in a sandboxed frame (demos are untrusted code and
must not run with the site's origin).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from markupsafe import Markup

from mkdocs_hybrid.bundle.bundler import Bundle
from mkdocs_hybrid.bundle.html_entry import SCRIPT_MARK, STYLE_MARK
from mkdocs_hybrid.bundle.vendor import VendorFile
from mkdocs_hybrid.edge.sandbox import SAME_SITE, ArtifactOrigin
from mkdocs_hybrid.model.catalog import MediaFile
from mkdocs_hybrid.model.durable import copy_atomic, is_temporary, write_atomic
from mkdocs_hybrid.model.files import StatIndex, check_parts, safe_join, stat_signature
from mkdocs_hybrid.model.layout import ARTIFACTS, DERIVED_FILES, GALLERY, SHARE, SITE_ROOT, VENDOR, Parts
from mkdocs_hybrid.model.snapshot import SNAPSHOT_FORMAT, Snapshot
from mkdocs_hybrid.templates import environment

META_FORMAT = "mkdocs-hybrid/meta@1"
_SCRIPT_CLOSE = re.compile(r"</(script)", re.IGNORECASE)


@dataclass(frozen=True)
class ArtifactFiles:
    """The bytes of one artifact, keyed by file name, plus its share page."""

    files: Mapping[str, bytes]
    share_page: bytes


def render_artifact(snapshot: Snapshot, bundle: Bundle, info: Mapping[str, object], *,
                    gallery_listed: bool, vendor: VendorFile | None = None, with_source: bool = False,
                    origin: ArtifactOrigin = SAME_SITE, parts: Parts | None = None) -> ArtifactFiles:
    """Render page.html, style.css and meta.json (``info`` adds build facts to meta.json), and with
    ``with_source`` the version's ``source.json`` for the editor (see :func:`source_json`)."""
    vendor_src = f"{SITE_ROOT}{vendor.name}" if vendor else None
    page = _page_html(snapshot, bundle, vendor_src).encode("utf-8")
    files = {"page.html": page, "style.css": bundle.css}
    source = source_json(snapshot) if with_source else None
    if source is not None:
        files["source.json"] = source
    meta = {
        "format": META_FORMAT,
        "thread": snapshot.thread,
        "version": snapshot.version,
        "title": snapshot.title,
        "created": snapshot.created,
        "author": snapshot.author,
        "tags": list(snapshot.tags),
        "entry": snapshot.entry,
        **info,
        "files": {name: {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
                  for name, data in sorted(files.items())},
        "vendor": {"path": vendor.name, "sha256": hashlib.sha256(vendor.content).hexdigest(),
                   "size": len(vendor.content), "modules": list(vendor.specifiers)} if vendor else None,
        "video": None,
    }
    files["meta.json"] = _meta_bytes(meta)
    share_page = _share_html(snapshot, gallery_listed, origin, parts or _ids(snapshot)).encode("utf-8")
    return ArtifactFiles(files=files, share_page=share_page)


def source_json(snapshot: Snapshot) -> bytes | None:
    """The version's source as snapshot JSON (what the editor opens and the ``snapshots`` source reads back
    into the same version), or ``None`` when it cannot be one: an unlisted version (the public site never
    shows its source; the caller leaves out the versions of unlisted threads) or one with a file that is not
    UTF-8 text (the format holds text only)."""
    if snapshot.unlisted:
        return None
    try:
        files = {name: snapshot.files[name].decode("utf-8") for name in sorted(snapshot.files)
                 if name != snapshot.video}  # an attached video is not source: it has its own media files
    except UnicodeDecodeError:
        return None
    data = {"format": SNAPSHOT_FORMAT, "thread": snapshot.thread, "version": snapshot.version,
            "title": snapshot.title, "entry": snapshot.entry, "created": snapshot.created,
            "author": snapshot.author, "tags": list(snapshot.tags), "files": files,
            "dependencies": dict(sorted(snapshot.dependencies.items()))}
    return (json.dumps(data, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


def write_vendor_files(site_dir: Path, files: Iterable[VendorFile]) -> None:
    """Write shared vendor scripts (content-addressed: an existing one is already right)."""
    for vendor in files:
        target = safe_join(site_dir, *vendor.name.split("/"))
        if not target.is_file() or target.stat().st_size != len(vendor.content):
            target.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(target, vendor.content)


def keep_vendor_files(archive: Path, site_dir: Path, names: Iterable[str]) -> None:
    """Keep the site's vendor files ``names`` (``vendor/<hash>.js``) in ``archive``, and put every archived one
    back in the site: published pages may still load a vendor file that this build no longer makes (after an
    esbuild or dependency upgrade), so with a ledger every vendor file ever published stays in the site."""
    archive.mkdir(parents=True, exist_ok=True)
    for name in names:
        target = archive / Path(name).name
        if not target.is_file():
            copy_atomic(safe_join(site_dir, *name.split("/")), target)
    for kept in sorted(archive.glob("*.js")):
        destination = site_dir / VENDOR / kept.name
        if not destination.is_file():
            destination.parent.mkdir(parents=True, exist_ok=True)
            copy_atomic(kept, destination)


def write_artifact(site_dir: Path, snapshot: Snapshot, artifact: ArtifactFiles, parts: Parts | None = None) -> None:
    """Write the artifact and its share page, refusing any path outside ``site_dir``.

    Each file is whole or absent (see ``durable``), and ``meta.json`` goes last: a build that dies midway
    leaves an old or missing ``meta.json``, so the next build finds the artifact not current and writes it all."""
    where = parts or _ids(snapshot)
    folder = safe_join(site_dir, ARTIFACTS, *where)
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in artifact.files.items():
        if name != "meta.json":
            write_atomic(folder / name, data)
    share = safe_join(site_dir, SHARE, *where)
    share.mkdir(parents=True, exist_ok=True)
    write_atomic(share / "index.html", artifact.share_page)
    if "meta.json" in artifact.files:
        write_atomic(folder / "meta.json", artifact.files["meta.json"])


def read_artifact(site_dir: Path, snapshot: Snapshot, parts: Parts | None = None) -> dict[str, bytes]:
    """The files of a version's artifact as the site holds them (what the ledger publishes), by name: derived
    files left out, and ``meta.json`` as it was rendered (without its ``media``)."""
    folder = safe_join(site_dir, ARTIFACTS, *(parts or _ids(snapshot)))
    files = {path.name: path.read_bytes() for path in sorted(folder.iterdir())
             if path.is_file() and path.name not in DERIVED_FILES and not is_temporary(path.name)}
    if "meta.json" in files:
        files["meta.json"] = rendered_meta(files["meta.json"])
    return files


def rendered_meta(data: bytes) -> bytes:
    """``meta.json`` as :func:`render_artifact` wrote it, from one that :func:`write_media_meta` completed."""
    try:
        meta = json.loads(data)
    except ValueError:
        return data
    if not isinstance(meta, dict) or ("media" not in meta and "exports" not in meta):
        return data
    return _meta_bytes(_without_media(meta))


def _without_media(meta: dict[str, object]) -> dict[str, object]:
    """A parsed ``meta.json`` as rendered: no ``media`` or ``exports``, ``video`` unset (both are listed after
    rendering)."""
    meta.pop("media", None)
    meta.pop("exports", None)
    meta["video"] = None
    return meta


def _meta_bytes(meta: Mapping[str, object]) -> bytes:
    return (json.dumps(meta, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def write_media_meta(site_dir: Path, parts: Parts, media: Iterable[MediaFile]) -> None:
    """List a version's media in its ``meta.json`` (``media``: name -> sha256, size, dimensions, duration; and
    ``video``: the video's facts), written only when that changes it."""
    path = safe_join(site_dir, ARTIFACTS, *parts) / "meta.json"
    current = path.read_bytes()
    meta = _without_media(json.loads(current))
    exports = json.loads(current).get("exports")  # the version pages' listing (write_exports_meta), kept
    listed = {m.name: {key: value for key, value in (("role", m.role), ("sha256", m.sha256), ("size", m.size),
                                                      ("width", m.width), ("height", m.height),
                                                      ("duration", m.duration), ("fps", m.fps), ("url", m.url))
                       if value is not None} for m in sorted(media, key=lambda m: m.name)}
    if listed:
        meta["video"] = next(({"name": name, **info} for name, info in listed.items() if info["role"] == "video"),
                             None)
        meta["media"] = listed
    if exports:
        meta["exports"] = exports
    data = _meta_bytes(meta)
    if data != current:
        write_atomic(path, data)


def write_exports_meta(folder: Path, exports: Mapping[str, bytes | None]) -> None:
    """List a version's exports made from the catalog (the email card) in its ``meta.json`` (``exports``: name ->
    sha256, size), after its media; a ``None`` is an export it does not have. Written only when that changes it."""
    path = folder / "meta.json"
    try:
        current = path.read_bytes()
    except FileNotFoundError:
        return  # a folder being removed
    meta = json.loads(current)
    listed = dict(meta.pop("exports", None) or {})
    for name, data in exports.items():
        listed.pop(name, None)
        if data is not None:
            listed[name] = {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
    if listed:
        meta["exports"] = dict(sorted(listed.items()))
    data = _meta_bytes(meta)
    if data != current:
        write_atomic(path, data)


def media_links(meta: bytes) -> dict[str, str]:
    """name -> the URL a version's pages and ``meta.json`` link a medium by, for media hosted apart from the site
    (videos on R2: see :func:`write_media_meta`); media served from the artifact folder have none."""
    try:
        listed = json.loads(meta).get("media")
    except (ValueError, AttributeError):
        return {}
    if not isinstance(listed, dict):
        return {}
    return {name: info["url"] for name, info in listed.items()
            if isinstance(info, dict) and isinstance(info.get("url"), str)}


def artifact_digests(site_dir: Path, snapshot: Snapshot, parts: Parts | None = None) -> dict[str, tuple[str, int]]:
    """name -> (sha256, size) of each file of a version's artifact in the site."""
    return {name: (hashlib.sha256(data).hexdigest(), len(data))
            for name, data in read_artifact(site_dir, snapshot, parts).items()}


def write_published(site_dir: Path, snapshot: Snapshot, files: Mapping[str, bytes], *, gallery_listed: bool,
                    origin: ArtifactOrigin = SAME_SITE, parts: Parts | None = None) -> None:
    """Put a version's published files back in the site, as they were published, with its share page
    (files of a newer build that the published artifact lacks are removed)."""
    where = parts or _ids(snapshot)
    folder = safe_join(site_dir, ARTIFACTS, *where)
    if folder.is_dir():
        for stale in folder.iterdir():
            if stale.is_file() and stale.name not in files and stale.name not in DERIVED_FILES:
                stale.unlink()
    share_page = _share_html(snapshot, gallery_listed, origin, where).encode("utf-8")
    write_artifact(site_dir, snapshot, ArtifactFiles(files=dict(files), share_page=share_page), where)


def _ids(snapshot: Snapshot) -> Parts:
    return snapshot.thread, snapshot.version


def remove_version(site_dir: Path, parts: Parts) -> None:
    """Remove a version's artifact and share page at ``parts`` (and its thread folders left empty): where it
    no longer lives, once it became unlisted (or listed again)."""
    for tree in (ARTIFACTS, SHARE):
        folder = safe_join(site_dir, tree, *parts)
        if folder.is_dir():
            shutil.rmtree(folder)
            with contextlib.suppress(OSError):  # not empty
                folder.parent.rmdir()


def artifact_is_current(site_dir: Path, snapshot: Snapshot, build_key: str, index: StatIndex | None = None,
                        parts: Parts | None = None) -> bool:
    """Whether ``site_dir`` already holds this artifact for ``build_key``, with every file at its size.

    Lets a rebuild into an existing folder skip rendering and rewriting unchanged versions. Called once
    per version on every rebuild, so it works on plain strings, and with an ``index`` (the stat index of
    :mod:`mkdocs_hybrid.model.files`)
    an artifact whose files kept their stat is current without reading its ``meta.json``.
    """
    where = parts or _ids(snapshot)
    check_parts(where)
    artifact = os.path.join(site_dir, ARTIFACTS, *where)
    share = os.path.join(site_dir, SHARE, *where, "index.html")
    known = index.peek(artifact) if index is not None else None
    if index is not None and known is not None and known.get("build_key") == build_key:
        signature = _signature(artifact, known.get("files"), share)
        if signature is not None and index.lookup(artifact, signature[0]) is not None:
            return True
    try:
        with open(os.path.join(artifact, "meta.json"), "rb") as handle:
            meta = json.loads(handle.read())
        files: dict[str, Any] = meta["files"] if meta.get("build_key") == build_key else {}
        if not files or not os.path.isfile(share) or any(
                os.stat(os.path.join(artifact, name)).st_size != info["size"] for name, info in files.items()):
            return False
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False
    if index is not None:
        names = sorted(files)
        signature = _signature(artifact, names, share)
        if signature is not None:
            index.store(artifact, signature[0], signature[1], {"build_key": build_key, "files": names})
    return True


def _signature(artifact: str, names: object, share: str) -> tuple[str, int] | None:
    if not isinstance(names, list) or not all(isinstance(name, str) and "/" not in name for name in names):
        return None
    try:
        return stat_signature([(name, os.stat(os.path.join(artifact, name))) for name in names]
                              + [("share", os.stat(share))])
    except OSError:
        return None


def _page_html(snapshot: Snapshot, bundle: Bundle, vendor_src: str | None) -> str:
    js = _inline_script(bundle.js.decode("utf-8"))
    if bundle.html is None:
        return environment().get_template("page.html").render(
            title=snapshot.title, has_css=bool(bundle.css), js=Markup(js), vendor_src=vendor_src)
    style = '<link rel="stylesheet" href="style.css">' if bundle.css else ""
    script = f'<script type="module">{js}</script>' if js else ""
    if vendor_src:  # a classic script runs before any module script: the shims find their modules
        script = f'<script src="{vendor_src}"></script>' + script
    return bundle.html.template.replace(STYLE_MARK, style, 1).replace(SCRIPT_MARK, script, 1)


def _inline_script(js: str) -> str:
    # esbuild already escapes "</script" in strings; this covers any other occurrence.
    return _SCRIPT_CLOSE.sub(r"<\\/\1", js).strip()


def _share_html(snapshot: Snapshot, gallery_listed: bool, origin: ArtifactOrigin, parts: Parts) -> str:
    return share_html(snapshot.title, snapshot.thread, snapshot.version, gallery_listed=gallery_listed, origin=origin,
                      parts=parts)


def share_html(title: str, thread: str, version: str, *, gallery_listed: bool, origin: ArtifactOrigin, parts: Parts,
               social_head: str = "", editor_href: str | None = None) -> str:
    """The share page; ``social_head`` is its social card and oEmbed link (``social.share_head``), trusted HTML;
    ``editor_href`` the editor opened on this version (only where its ``source.json`` is published)."""
    base = SITE_ROOT
    return environment().get_template("share.html").render(
        social_head=Markup(social_head),
        title=title,
        thread=thread,
        version=version,
        description=None,
        artifact_href=origin.page(base, *parts),
        gallery_href=f"{base}{GALLERY}/{thread}/" if gallery_listed else None,
        sandbox=origin.sandbox,
        editor_href=editor_href,
    )
