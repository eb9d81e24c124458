"""The manifest: which sources to read and how to build them (``hybrid.yml``).

Validation is strict: an unknown key, a wrong type or a missing source folder is
a :class:`ManifestError` naming the file and the key.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from mkdocs_hybrid.config.editor_store import EditorStore, parse_editor_store
from mkdocs_hybrid.config.keys import unknown_keys as unknown_keys
from mkdocs_hybrid.config.yaml_loader import YamlError, load_yaml
from mkdocs_hybrid.model import capture as defaults
from mkdocs_hybrid.model.errors import ManifestError, clipped, shown
from mkdocs_hybrid.model.problems import Problems
from mkdocs_hybrid.model.snapshot import file_kind
from mkdocs_hybrid.sources.kind import SourceConfig as SourceConfig
from mkdocs_hybrid.sources.registry import SOURCE_KINDS, kind_named

TARGETS = ("es2015", "es2016", "es2017", "es2018", "es2019", "es2020", "es2021", "es2022", "es2023", "es2024", "esnext")


@dataclass(frozen=True)
class BuildOptions:
    """How snapshots are bundled, and the limits a snapshot must stay within."""

    target: str = "es2020"
    minify: bool = True
    batch_size: int = 50
    """Entry points per esbuild call (one failure is isolated and the rest rebuilt)."""
    max_file_bytes: int = 2 * 1024 * 1024
    """Largest single file a snapshot may contain (2 MiB)."""
    max_snapshot_bytes: int = 10 * 1024 * 1024
    """Largest total size of one snapshot's files (10 MiB)."""
    max_files: int = 500
    """Most files one snapshot may contain."""
    vendor: bool = True
    """Bundle npm dependencies once per pinned set into a shared ``vendor/<hash>.js`` (one React for all demos)
    instead of into every page."""
    cache_dir: str = ".cache/mkdocs-hybrid"
    """Where bundles and npm installs are cached, relative to the manifest; safe to delete."""
    ledger: str = ".mkdocs-hybrid/ledger.sqlite"
    """The publish ledger (SQLite, relative to the manifest, holding the published bytes too): NOT safe to
    delete, it is what keeps published versions immutable. ``false`` disables it."""


@dataclass(frozen=True)
class VideoOptions:
    """Posters and video previews, made from each version's artifact in headless Chromium (``media``)."""

    enabled: bool = False
    """Make an MP4 preview of every version (``snapshot.yml: video: true/false`` decides per version)."""
    posters: bool = True
    """Make a poster of every version whenever Chromium is available (the build says once when it is not)."""
    seconds: int = defaults.SECONDS
    """Length of a generated video (1 to 30)."""
    fps: int = defaults.FPS
    """Frames per second of a generated video (1 to 60); attached videos are capped at it."""
    width: int = defaults.WIDTH
    """Video and poster width in pixels (even, 160 to 1920); attached videos are scaled to fit."""
    height: int = defaults.HEIGHT
    """Video and poster height in pixels (even, 90 to 1080)."""
    poster_at: float = defaults.POSTER_AT
    """The virtual time, in seconds, of the poster frame (0 to ``seconds``)."""
    attached_max_mb: int = defaults.ATTACHED_MAX_MB
    """Largest attached video file (``snapshot.yml: video: demo.mov``), in MiB (at most 1024)."""
    attached_max_seconds: int = defaults.ATTACHED_MAX_SECONDS
    """Longest attached video, in seconds (at most 600)."""
    hls_after_seconds: int = defaults.HLS_AFTER_SECONDS
    """Attached videos longer than this are also published as HLS (a 360p/720p/1080p ladder, never upscaled)."""
    host: str = "site"
    """Where those long videos stream from: ``site`` (the ladder in the artifact folder) or ``stream``
    (uploaded to Cloudflare Stream, credentials from CLOUDFLARE_ACCOUNT_ID/CLOUDFLARE_API_TOKEN)."""


VIDEO_LIMITS = {"seconds": (1, 30), "fps": (1, 60), "width": (160, 1920), "height": (90, 1080),
                "attached_max_mb": (1, 1024), "attached_max_seconds": (1, 600),
                "hls_after_seconds": (1, 600)}
"""Documented caps: a manifest cannot ask for a capture that would take the build machine's hours."""


@dataclass(frozen=True)
class ExportOptions:
    """Per-version exports beside the media (``exports:``), both off unless asked for."""

    pdf: bool = False
    """A one-page PDF of each demo at the poster's time (``demo.pdf``, printed by the poster's capture; for an
    attached video, by a capture that only prints)."""
    email: bool = False
    """An email-safe HTML card of each version (``email.html``: poster, title, share link); needs a site URL."""


@dataclass(frozen=True)
class EditorOptions:
    """The Mode A editor published at ``editor/`` (esbuild-wasm in the browser)."""

    enabled: bool = True
    """Publish ``editor/`` and, for every version made of text files, its ``source.json``."""
    store: EditorStore | None = None
    """Where the editor saves versions (``config/editor_store.py``): ``None`` is the browser's IndexedDB (and
    serve's API under ``mkdocs-hybrid serve``); ``{type: convex, url, auth}`` a Convex deployment."""


@dataclass(frozen=True)
class CloudflarePagesOptions:
    """The ``cloudflare-pages`` deploy target's section (``deploy.cloudflare-pages``, or these keys flat under
    ``deploy:``, as every manifest wrote them before ``deploy.target``); CLI flags override these."""

    pages_project: str | None = None
    branch: str = "main"
    r2_bucket: str | None = None
    """R2 bucket for videos and files over Pages' 25 MiB limit (credentials from R2_ACCESS_KEY_ID/...)."""
    r2_public_url: str | None = None
    """Public URL of that bucket (r2.dev or a custom domain); the site links media there."""
    r2_endpoint_url: str | None = None
    """S3 endpoint; default ``https://{CLOUDFLARE_ACCOUNT_ID}.r2.cloudflarestorage.com``."""
    artifacts: str = "pages"
    """Where demos live: ``pages`` (in the site, the default) or ``r2``: the artifact store mode, where
    ``artifacts/`` and ``vendor/`` go to ``r2_bucket`` and are served from ``artifacts_url``, their own origin,
    and Pages keeps the gallery, the share pages and the routes."""
    artifacts_url: str | None = None
    """The artifact origin in the ``r2`` mode (the bucket's custom domain), e.g. ``https://demos.example.com``:
    another origin than the site's, so a demo keeps its own storage and never reaches the gallery's."""
    r2_private_bucket: str | None = None
    """The ``r2`` mode's private bucket for unlisted versions (``artifacts/_u/``), reached only through signed
    links checked by the site's ``_worker.js`` (its R2 binding ``UNLISTED``); a deploy with unlisted versions
    and no private bucket is refused."""
    ledger_bucket: str | None = None
    """Opt-in: a private bucket that keeps the publish ledger's records (``mkdocs-hybrid/ledger.json``), restored
    before a build and saved after a deploy with a compare-and-swap, so a fresh CI runner never re-publishes a
    published version (``publish/ledger_store.py``); never the public ``r2_bucket``."""


@dataclass(frozen=True)
class DeployOptions(CloudflarePagesOptions):
    """Where ``mkdocs-hybrid deploy``/``publish`` send the site: ``deploy.target`` and that target's section.

    The inherited fields are the ``cloudflare-pages`` section (at their defaults when another target is chosen):
    the build reads them too (the artifact origin, media URLs on R2).
    """

    target: str = "cloudflare-pages"
    """The deploy target (``mkdocs_hybrid.deploy.targets.TARGETS``; the default is ``DEFAULT_TARGET``)."""
    section: Any = None
    """Another target's section, an instance of its ``options`` dataclass; ``None`` for ``cloudflare-pages``."""

    @property
    def settings(self) -> Any:
        """The chosen target's section, as its ``plan`` takes it."""
        return self if self.section is None else self.section


_Section = TypeVar("_Section", BuildOptions, VideoOptions, EditorOptions, CloudflarePagesOptions, ExportOptions)
"""A manifest section: its dataclass is its schema (:func:`_options`)."""


@dataclass(frozen=True)
class Manifest:
    """A validated manifest. Relative paths are resolved against ``base_dir``."""

    sources: tuple[SourceConfig, ...]
    base_dir: Path
    origin: str
    build: BuildOptions = field(default_factory=BuildOptions)
    video: VideoOptions = field(default_factory=VideoOptions)
    deploy: DeployOptions = field(default_factory=DeployOptions)
    editor: EditorOptions = field(default_factory=EditorOptions)
    exports: ExportOptions = field(default_factory=ExportOptions)

    @property
    def cache_dir(self) -> Path:
        return (self.base_dir / self.build.cache_dir).resolve()


def load_manifest(path: str | Path) -> Manifest:
    """Read and validate a ``hybrid.yml`` file."""
    path = Path(path)
    try:
        text = path.read_bytes()
    except OSError as exc:
        raise ManifestError(f"{path}: cannot read the manifest ({exc.strerror}); check the path") from None
    try:
        data = load_yaml(text)
    except YamlError as exc:
        raise ManifestError(f"{path}: {exc}") from None
    return parse_manifest(data, base_dir=path.parent, origin=str(path))


def parse_manifest(data: object, *, base_dir: str | Path, origin: str = "manifest") -> Manifest:
    """Validate manifest data (as loaded from YAML or given inline in ``mkdocs.yml``)."""
    base = Path(base_dir).resolve()
    mapping = _mapping(data, origin, "the manifest")
    problems = Problems()  # every problem of the manifest at once, not only the first
    problems.check(lambda: _reject_unknown(mapping, {"sources", "build", "video", "deploy", "editor", "exports"},
                                           origin, "the manifest"), None)
    sources: list[SourceConfig] = problems.check(lambda: _sources(mapping.get("sources"), base, origin), [])
    video = problems.check(lambda: _video_options(mapping.get("video"), origin), VideoOptions())
    deploy = problems.check(lambda: _deploy_options(mapping.get("deploy"), origin), DeployOptions())
    build = problems.check(lambda: _build_options(mapping.get("build"), base, origin), BuildOptions())
    editor = problems.check(lambda: _editor_options(mapping.get("editor"), origin), EditorOptions())
    exports = problems.check(lambda: _options(ExportOptions, mapping.get("exports"), origin, "exports"),
                             ExportOptions())
    problems.raise_any()
    return Manifest(sources=tuple(sources), base_dir=base, origin=origin, build=build, video=video, deploy=deploy,
                    editor=editor, exports=exports)


def _sources(raw_sources: object, base: Path, origin: str) -> list[SourceConfig]:
    if not isinstance(raw_sources, list) or not raw_sources:
        raise ManifestError(f"{origin}: 'sources' must be a non-empty list, "
                            "e.g. [{type: directory, path: sample_projects}]")
    problems = Problems()
    sources = [problems.check(partial(_source, item, index, base, origin), None)
               for index, item in enumerate(raw_sources)]
    problems.raise_any()
    return [source for source in sources if source is not None]


def _source(item: object, index: int, base: Path, origin: str) -> SourceConfig:
    """One entry of ``sources``, parsed by the kind its ``type:`` names (:mod:`mkdocs_hybrid.sources.registry`).

    Keys no kind knows are refused before an unknown ``type:``, as they were when there was one set of keys."""
    where = f"sources[{index}]"
    mapping = _mapping(item, origin, where)
    kind = kind_named(mapping.get("type"))
    allowed = kind.keys if kind else frozenset().union(*(known.keys for known in SOURCE_KINDS.values()))
    _reject_unknown(mapping, set(allowed), origin, where)
    if kind is None:
        raise ManifestError(f"{origin}: {where}.type must be one of {', '.join(SOURCE_KINDS)}, "
                            f"not {shown(mapping.get('type'))}")
    return kind.parse(SourceSection(mapping, where, origin, base))


@dataclass(frozen=True)
class SourceSection:
    """One entry of ``sources`` as its kind's ``parse`` gets it: the data, and the manifest's checks of a path
    (every :class:`ManifestError` names the manifest and the key)."""

    data: Mapping[str, Any]
    where: str
    """``sources[N]``, for messages."""
    origin: str
    base: Path

    def error(self, message: str) -> ManifestError:
        return ManifestError(f"{self.origin}: {message}")

    def path(self, key: str = "path") -> tuple[str, Path]:
        """The path under ``key`` as written and resolved against the manifest's folder."""
        raw = self.data.get(key)
        if not isinstance(raw, str) or not raw:
            raise self.error(f"{self.where}.{key} must be a path")
        return raw, _resolved(self.base, raw, self.origin, f"{self.where}.{key}")

    def kind_of(self, path: Path, key: str = "path") -> str | None:
        """What is at ``path``: ``a folder``, ``a file``, another kind, or ``None`` (see :func:`_kind`)."""
        return _kind(path, self.origin, f"{self.where}.{key}")


def _resolved(base: Path, raw_path: str, origin: str, key: str) -> Path:
    try:
        return (base / raw_path).resolve()
    except (OSError, RuntimeError, ValueError) as exc:  # a symlink loop, a NUL byte
        raise ManifestError(f"{origin}: {key} {shown(raw_path)} cannot be resolved ({clipped(str(exc))}); "
                            "fix the path") from None


def _kind(path: Path, origin: str, key: str) -> str | None:
    """What is at ``path`` (following symlinks): ``a folder``, ``a file``, another kind, or ``None`` if nothing.

    Only folders and regular files are used: a FIFO, a device or a socket where the build reads or writes
    would block it or lose what it writes (``/dev/null`` as the ledger).
    """
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ManifestError(f"{origin}: {key}: cannot use {clipped(str(path))} ({exc.strerror}); "
                            "fix the path") from None
    return file_kind(mode)


def _deploy_options(data: object, origin: str) -> DeployOptions:
    """``deploy:``: ``target`` and the target's own section, ``deploy.<target>``, which its module checks. Keys
    written flat are the ``cloudflare-pages`` section (the default target), as before targets existed; a section
    for a target other than the chosen one is refused, so that what deploys is what the manifest shows."""
    # Imported here: the manifest module loads with every plugin start, the deploy package only when parsing.
    from mkdocs_hybrid.deploy.targets import DEFAULT_TARGET, TARGETS, deploy_target

    mapping = {} if data is None else _mapping(data, origin, "deploy")
    name = mapping.get("target", DEFAULT_TARGET)
    target = deploy_target(name, origin)
    flat = {key: value for key, value in mapping.items() if key != "target" and key not in TARGETS}
    nested = {key: value for key, value in mapping.items() if key in TARGETS}
    others = sorted(set(nested) - {name})
    if others:
        raise ManifestError(f"{origin}: deploy.{others[0]} configures another target than deploy.target ({name}); "
                            f"remove it or set deploy.target: {others[0]}")
    keys = ", ".join(sorted(clipped(str(key), 40) for key in flat))
    if flat and name in nested:
        raise ManifestError(f"{origin}: deploy: {keys} and deploy.{name}: give the {name} keys flat under deploy "
                            f"or under deploy.{name}, not both")
    if flat and name != DEFAULT_TARGET:
        raise ManifestError(f"{origin}: deploy: {keys}: keys written flat under deploy are the {DEFAULT_TARGET} "
                            f"section; with deploy.target: {name}, put {name}'s keys under deploy.{name}")
    where = f"deploy.{name}" if name in nested else "deploy"
    options = _options(target.options, nested.get(name, flat), origin, where)
    target.check(options, origin, where)
    if name != DEFAULT_TARGET:
        return DeployOptions(target=name, section=options)
    return DeployOptions(**{f.name: getattr(options, f.name) for f in fields(CloudflarePagesOptions)})


def _editor_options(data: object, origin: str) -> EditorOptions:
    """``editor:``: its flat keys as every section's, and ``store`` checked by its own module."""
    if not isinstance(data, dict) or "store" not in data:
        return _options(EditorOptions, data, origin, "editor")
    problems = Problems()
    options = problems.check(lambda: _options(EditorOptions, {**data, "store": None}, origin, "editor"),
                             EditorOptions())
    store = problems.check(lambda: parse_editor_store(data["store"], origin), None)
    problems.raise_any()
    return replace(options, store=store)


def _video_options(data: object, origin: str) -> VideoOptions:
    options = _options(VideoOptions, data, origin, "video")
    problems = []
    for name, (low, high) in VIDEO_LIMITS.items():
        value = getattr(options, name)
        if not low <= value <= high:
            problems.append(f"video.{name} must be between {low} and {high}, not {shown(value)}")
    for name in ("width", "height"):
        if getattr(options, name) % 2:
            problems.append(f"video.{name} must be even (H.264 with yuv420p), not {shown(getattr(options, name))}")
    if options.host not in ("site", "stream"):
        problems.append(f"video.host must be site or stream, not {shown(options.host)}")
    if not 0 <= options.poster_at <= options.seconds:
        problems.append(f"video.poster_at must be between 0 and video.seconds ({options.seconds}), "
                        f"not {shown(options.poster_at)}")
    if problems:
        raise ManifestError(f"{origin}: {'; '.join(problems)}")
    return replace(options, poster_at=float(options.poster_at))


def _build_options(data: object, base: Path, origin: str) -> BuildOptions:
    if isinstance(data, dict) and data.get("ledger") is False:
        data = {**data, "ledger": ""}  # `ledger: false` disables the publish ledger
    options = _options(BuildOptions, data, origin, "build")
    problems = []
    if options.target not in TARGETS:
        problems.append(f"build.target must be one of {', '.join(TARGETS)}, not {shown(options.target)}")
    problems += [f"build.{name} must be a positive integer"
                 for name in ("batch_size", "max_file_bytes", "max_snapshot_bytes", "max_files")
                 if getattr(options, name) < 1]
    if problems:
        raise ManifestError(f"{origin}: {'; '.join(problems)}")
    _check_places(options, base, origin)
    return options


def _check_places(options: BuildOptions, base: Path, origin: str) -> None:
    """``cache_dir`` must be a folder and ``ledger`` a regular file (or not exist yet): a FIFO, a device or a file
    in their place would block the build or swallow what it keeps (``ledger: /dev/null``)."""
    places = [("build.cache_dir", options.cache_dir, "a folder")]
    if options.ledger:
        places.append(("build.ledger", options.ledger, "a file"))
    for key, raw, wanted in places:
        path = _resolved(base, raw, origin, key)
        found = _kind(path, origin, key)
        if found not in (None, wanted):
            raise ManifestError(f"{origin}: {key} {shown(raw)} is {found} ({clipped(str(path))}), not {wanted}; "
                                f"point it at {wanted} or at a path that does not exist yet")
        if wanted == "a file" and _kind(path.parent, origin, key) not in (None, "a folder"):
            raise ManifestError(f"{origin}: {key} {shown(raw)}: {clipped(str(path.parent))} is not a folder; "
                                "fix the path")


def _options(cls: type[_Section], data: object, origin: str, section: str) -> _Section:
    """Build a frozen options dataclass from a mapping, checking keys and value types.

    The one validator of the ``build``, ``video`` and ``deploy`` sections: the allowed keys are the
    dataclass's fields and each value must have its default's type (``str`` where the default is ``None``).
    """
    if data is None:
        return cls()
    mapping = _mapping(data, origin, section)
    known = {f.name: f for f in fields(cls)}
    unknown = unknown_keys(mapping, set(known))
    problems = [f"{section}: {unknown}"] if unknown else []
    defaults = cls()
    for key, value in mapping.items():
        if key not in known:
            continue
        expected = type(getattr(defaults, key))
        if getattr(defaults, key) is None:
            expected = str
        if expected is float and type(value) is int:
            continue  # `poster_at: 1` means 1.0
        if value is not None and (type(value) is not expected):
            problems.append(f"{section}.{key} must be {expected.__name__}, not {type(value).__name__} "
                            f"({shown(value)})")
    if problems:  # every bad key of the section at once
        raise ManifestError(f"{origin}: {'; '.join(problems)}")
    return cls(**mapping)


def _mapping(data: object, origin: str, where: str) -> Mapping[str, Any]:
    if not isinstance(data, dict):
        raise ManifestError(f"{origin}: {where} must be a mapping, not {type(data).__name__}")
    return data


def _reject_unknown(mapping: Mapping[str, object], allowed: set[str], origin: str, where: str) -> None:
    problem = unknown_keys(mapping, allowed)
    if problem:
        raise ManifestError(f"{origin}: {where}: {problem}")
