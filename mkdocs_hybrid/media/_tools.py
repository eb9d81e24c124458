"""Finding the programs media are made with: Chromium (through Playwright), ffmpeg and ffprobe.

Media are optional: a build without these tools still builds, and says once what to install. Their versions
are part of the media cache key (other versions render or encode other bytes), so ``find`` reads them, once per
process and binary, without starting a browser.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from mkdocs_hybrid.model.durable import write_atomic

__all__ = ["CHROMIUM_CANDIDATES", "CHROMIUM_ENV", "FFMPEG_ENV", "MEDIA_ENV", "MediaTools"]

MEDIA_ENV = "MKDOCS_HYBRID_MEDIA"
"""``off`` makes no posters or videos (a quick local build; the test suite's default)."""
CHROMIUM_ENV = "MKDOCS_HYBRID_CHROMIUM"
FFMPEG_ENV = "MKDOCS_HYBRID_FFMPEG"
CHROMIUM_CANDIDATES = (Path("/usr/lib/chromium/chromium-headless-shell"), Path("/usr/lib/chromium/chromium"))
"""Debian's binaries, headless shell first; not the ``/usr/bin/chromium`` wrapper, which injects its own flags."""
VERSION_TIMEOUT = 20.0
VERSIONS_FILE = "tool_versions.json"
"""In the media cache: the versions of the binaries earlier builds asked (see ``_KnownVersions``)."""


@dataclass(frozen=True)
class MediaTools:
    """The binaries found (``None`` when missing) and one line naming their versions."""

    chromium: Path | None
    ffmpeg: Path | None
    ffprobe: Path | None
    versions: str
    """E.g. ``chromium=Chromium 156.0.8078.108; ffmpeg=ffmpeg version 5.1.9-0+deb12u1``: part of the cache key."""

    @classmethod
    def find(cls, cache: Path | None = None) -> MediaTools:
        """The environment's overrides, else Debian's Chromium and ffmpeg/ffprobe from ``PATH``; with a ``cache``
        folder, a binary's version is read once per binary (its path and stat), not once per build."""
        chromium = _chromium() if importlib.util.find_spec("playwright") is not None else None
        ffmpeg = _executable(os.environ.get(FFMPEG_ENV)) if os.environ.get(FFMPEG_ENV) else _which("ffmpeg")
        ffprobe = _ffprobe(ffmpeg)
        known = _KnownVersions(cache / VERSIONS_FILE if cache is not None else None)
        versions = "; ".join([f"chromium={known.version(chromium)}", f"ffmpeg={known.version(ffmpeg)}"])
        known.save()
        return cls(chromium, ffmpeg, ffprobe, versions)

    def missing_for_posters(self) -> str | None:
        """``None``, or one line saying what is missing for posters and how to install it."""
        return _missing("posters", self._browser_missing(), [])

    def missing_for_video(self) -> str | None:
        """``None``, or one line saying what is missing for videos (posters' needs, ffmpeg and ffprobe)."""
        tools = [name for name, path in (("ffmpeg", self.ffmpeg), ("ffprobe", self.ffprobe)) if path is None]
        return _missing("videos", self._browser_missing(), tools)

    def _browser_missing(self) -> tuple[str, str] | None:
        """(what, how to install it) when the browser side is missing."""
        if self.chromium is not None:
            return None
        if importlib.util.find_spec("playwright") is None:
            return ("Playwright", "pip install playwright")
        where = os.environ.get(CHROMIUM_ENV) or CHROMIUM_CANDIDATES[0]
        return (f"Chromium ({where} not found)", "apt-get install chromium-headless-shell")


def _missing(what: str, browser: tuple[str, str] | None, tools: list[str]) -> str | None:
    """One line: ``videos need Chromium (...) and ffmpeg (not found): apt-get install ...; apt-get install ffmpeg``."""
    needs = ([browser[0]] if browser else []) + ([f"{' and '.join(tools)} (not found)"] if tools else [])
    if not needs:
        return None
    installs = ([browser[1]] if browser else []) + (["apt-get install ffmpeg"] if tools else [])
    return f"{what} need {' and '.join(needs)}: {'; '.join(installs)}"


def _chromium() -> Path | None:
    override = os.environ.get(CHROMIUM_ENV)
    if override:
        return _executable(override)
    return next((path for path in CHROMIUM_CANDIDATES if _is_executable(path)), None)


def _ffprobe(ffmpeg: Path | None) -> Path | None:
    """Next to an overridden ffmpeg first (they come as a pair), else from ``PATH``."""
    if ffmpeg is not None and os.environ.get(FFMPEG_ENV):
        sibling = ffmpeg.with_name(ffmpeg.name.replace("ffmpeg", "ffprobe"))
        if sibling != ffmpeg and _is_executable(sibling):
            return sibling
    return _which("ffprobe")


def _which(name: str) -> Path | None:
    found = shutil.which(name)
    return Path(found) if found else None


def _executable(value: str | None) -> Path | None:
    if not value:
        return None
    path = Path(value) if os.sep in value else _which(value)
    return path if path is not None and _is_executable(path) else None


def _is_executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def _version(path: Path | None) -> str:
    """The first line of ``--version``/``-version``, read once per binary (path, size, mtime)."""
    if path is None:
        return "missing"
    stat = path.stat()
    return _version_of(str(path.resolve()), stat.st_size, stat.st_mtime_ns)


class _KnownVersions:
    """Versions read by earlier builds, by binary: its real path and stat (size, mtime, ctime, inode), which an
    upgrade changes (a package manager writes a new file). Starting Chromium to ask cost 0.1-0.3 s a build."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.known: dict[str, str] = {}
        self.dirty = False
        try:
            loaded = json.loads(path.read_bytes()) if path is not None else {}
            self.known = {k: v for k, v in loaded.items() if isinstance(k, str) and isinstance(v, str)}
        except (OSError, ValueError, AttributeError):
            pass  # only a cache

    def version(self, binary: Path | None) -> str:
        if binary is None:
            return "missing"
        real = binary.resolve()
        stat = real.stat()
        key = f"{real}\0{stat.st_size}:{stat.st_mtime_ns}:{stat.st_ctime_ns}:{stat.st_ino}"
        if key not in self.known:
            found = _version(binary)
            if found.startswith("unknown"):
                return found  # not kept: asked again next build
            self.known[key], self.dirty = found, True
        return self.known[key]

    def save(self) -> None:
        if self.path is None or not self.dirty:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(self.path, json.dumps(self.known, indent=1, sort_keys=True))
        except OSError:
            pass  # only a cache


@functools.lru_cache(maxsize=16)
def _version_of(path: str, size: int, mtime_ns: int) -> str:
    flag = "-version" if "ff" in Path(path).name else "--version"
    try:
        result = subprocess.run([path, flag], capture_output=True, text=True, timeout=VERSION_TIMEOUT,
                                stdin=subprocess.DEVNULL, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"unknown ({type(error).__name__})"
    lines = (result.stdout or result.stderr).strip().splitlines()
    # ffmpeg's first line ends with a copyright notice whose year is not a version
    return lines[0].split(" Copyright")[0].strip() if lines else f"unknown (exit {result.returncode})"
