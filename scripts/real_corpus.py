#!/usr/bin/env python3
"""Turn the Paper.js examples published on npm into mkdocs-hybrid snapshots: a corpus nobody here wrote.

Source
    The npm package ``paper`` (Paper.js, the vector graphics library), pinned to exactly
    ``paper@0.12.20`` and checked against the registry's sha512 integrity below. Its tarball ships the
    project's own ``examples/`` folder: 115 standalone HTML pages (PaperScript demos from paperjs.org,
    import/export tests, interactive tools), each loading the library with
    ``<script type="text/javascript" src="../../dist/paper-full.js">`` and ``../css/style.css``.
    The tarball is fetched with ``npm pack`` (the npm registry is the only host needed) and read in
    memory; nothing in it is run.

Licence
    MIT, (c) Jürg Lehni and Jonathan Puckey. Every snapshot carries the package's ``LICENSE.txt``.

What a snapshot is
    ``<out>/<thread>/v1/`` holds the files of one example at their paths in the package, so every
    relative link in the page stays as the authors wrote it:

    - ``examples/<Folder>/<Name>.html``: the example (the snapshot's entry, named in ``snapshot.yml``);
    - ``examples/css/style.css``: the stylesheet every example links;
    - any other file beside the example in its folder (``Worker/Worker.js``);
    - ``LICENSE.txt``, ``package.json`` (``{"dependencies": {"paper": "0.12.20"}}``) and ``snapshot.yml``
      (title from the page's ``<title>``, entry, tags).

    ``thread.yml`` records where the example came from and, for some, why it cannot fully work from a
    share link (see ``RUNTIME_NOTES``). The thread id is ``<folder>-<name>`` lower-cased, with every run
    of other characters made one ``-`` (``SVG Export/Circle Testing.html`` -> ``svg-export-circle-testing``).

What is rewritten, and why
    One thing only: the tag that loads the library from the package's ``dist/`` folder, which is not part
    of an example, becomes an import of the same file from the same pinned npm package::

        <script type="module">
        import paper from "paper";
        window.paper = paper;
        </script>

    ``paper``'s ``main`` is ``dist/paper-full.js``, the very file the tag loaded, and the global assignment
    keeps the ``paper`` global that the classic script defined. The one difference is timing: a module
    script runs after the page is parsed instead of where it stands. PaperScript (``text/paperscript``)
    runs on the window's ``load`` event, after module scripts, so every PaperScript example behaves as
    before; ``Scripts/BooleanOperations.html`` uses the global from an inline classic script at parse
    time and so breaks at run time (its build is unaffected; noted in its ``thread.yml``).

    Nothing else is changed: pages that load scripts from paperjs.org, or images and sounds from other
    sites, are converted as they are. mkdocs-hybrid refuses a page that loads a script from another site
    (a share link must work offline), and the corpus test lists those refusals as expected failures.

Not converted
    ``examples/Node.js/``: Node scripts (``require('paper')``, ``fs``, the ``canvas`` package), not
    browser pages.

The output is deterministic: the same package gives byte-identical folders, in sorted order.

Usage::

    python scripts/real_corpus.py OUT [--cache DIR] [--limit N]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import html
import json
import os
import posixpath
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

PACKAGE = "paper"
VERSION = "0.12.20"
INTEGRITY = "sha512-il3NkXmeQKZvTSp0bVUHWecXbf+QmThhG1H2zV3ZQXVK/iD7paWbUJXaYqgM8nL1Dzr7fMYV26BMfYeJs2hdxQ=="
"""``npm view paper@0.12.20 dist.integrity``: a tarball with other bytes is refused."""
LICENSE = "MIT"
TARBALL = f"{PACKAGE}-{VERSION}.tgz"
SNAPSHOT_VERSION = "v1"

EXAMPLES = "package/examples/"
SHARED_FILES = ("examples/css/style.css", "LICENSE.txt")
"""Package files copied into every snapshot (package-relative)."""
SKIPPED_FOLDERS = {"Node.js": "Node scripts (require('paper'), fs, the canvas package), not browser pages"}

LIBRARY_TAG = re.compile(
    r"""<script\s+type=["']text/javascript["']\s+src=["']\.\./\.\./dist/paper-full\.js["']\s*>\s*</script>""")
LIBRARY_IMPORT = f'<script type="module">\nimport paper from "{PACKAGE}";\nwindow.paper = paper;\n</script>'

RUNTIME_NOTES = {
    "Paperjs.org/NyanRainbow.html": "loads mediaelement.js and an mp3 from other sites",
    "Paperjs.org/Voronoi.html": "loads rhill-voronoi-core.js from paperjs.org",
    "Paperjs.org/SatieLikedToDraw.html": "fetches its music from assets.paperjs.org at run time",
    "Rasters/Raster.html": "loads its image from assets.paperjs.org at run time",
    "Worker/Main.html": "starts Worker.js by URL, which a single-page artifact does not serve",
    "Scripts/BooleanOperations.html": "an inline classic script uses the paper global before the "
                                      "(deferred) module import has run",
}
"""Why an example cannot fully work from a share link; written to its thread.yml. Builds are unaffected
except for pages loading a script from another site, which mkdocs-hybrid refuses."""

_ID_CHARS = re.compile(r"[^a-z0-9._-]+")
ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
_TITLE = re.compile(r"<title>(.*?)</title>", re.S | re.I)


class CorpusError(Exception):
    """The package could not be fetched, or is not what this script expects."""


@dataclass(frozen=True)
class Example:
    """One converted example."""

    thread: str
    source: str
    """Its path in the package (``examples/Animated/AnimatedStar.html``)."""
    entry: str
    title: str
    uses_package: bool
    files: dict[str, bytes] = field(repr=False)
    note: str | None = None

    @property
    def ref(self) -> str:
        return f"{self.thread}/{SNAPSHOT_VERSION}"


def thread_id(source: str) -> str:
    """``examples/SVG Export/Circle Testing.html`` -> ``svg-export-circle-testing``."""
    folder, name = source.split("/")[-2:]
    stem = name.rsplit(".", 1)[0]
    value = _ID_CHARS.sub("-", f"{folder}-{stem}".lower()).strip("-._")[:64].rstrip("-._")
    if not ID_PATTERN.fullmatch(value) or value == "latest":
        raise CorpusError(f"{source}: no valid thread id ({value!r})")
    return value


def integrity_of(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def fetch_tarball(cache_dir: Path, npm: str | None = None) -> Path:
    """The pinned tarball in ``cache_dir``, from ``npm pack`` unless a verified copy is already there."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    target = cache_dir / TARBALL
    if target.is_file() and integrity_of(target.read_bytes()) == INTEGRITY:
        return target
    npm = npm or shutil.which("npm")
    if npm is None:
        raise CorpusError("npm is not on PATH: it is needed to download the package")
    with tempfile.TemporaryDirectory(dir=cache_dir) as scratch:
        run = subprocess.run([npm, "pack", f"{PACKAGE}@{VERSION}", "--pack-destination", scratch, "--ignore-scripts",
                              "--silent"],
                             cwd=scratch, capture_output=True, text=True, timeout=300)
        packed = Path(scratch) / TARBALL
        if run.returncode != 0 or not packed.is_file():
            raise CorpusError(f"npm pack {PACKAGE}@{VERSION} failed: {(run.stderr or run.stdout).strip()}")
        found = integrity_of(packed.read_bytes())
        if found != INTEGRITY:
            raise CorpusError(f"{TARBALL} has integrity {found}, expected {INTEGRITY}")
        os.replace(packed, target)
    return target


def read_package(tarball: Path) -> dict[str, bytes]:
    """Every regular file of the tarball: package-relative path -> bytes (read in memory, never extracted)."""
    files = {}
    with tarfile.open(tarball, "r:gz") as archive:
        for member in archive.getmembers():
            if member.isfile() and member.name.startswith("package/"):
                handle = archive.extractfile(member)
                assert handle is not None
                files[member.name[len("package/"):]] = handle.read()
    return files


def convert_examples(package: dict[str, bytes], limit: int | None = None) -> list[Example]:
    """The examples of the package as snapshots, sorted by source path."""
    missing = [name for name in SHARED_FILES if name not in package]
    if missing:
        raise CorpusError(f"the package has no {', '.join(missing)}: not the expected {PACKAGE}@{VERSION}")
    pages = sorted(path for path in package if path.startswith("examples/") and path.endswith(".html")
                   and path.count("/") == 2 and path.split("/")[1] not in SKIPPED_FOLDERS)
    examples: list[Example] = []
    seen: dict[str, str] = {}
    for source in pages[:limit]:
        example = _convert(source, package)
        if example.thread in seen:
            raise CorpusError(f"{source} and {seen[example.thread]} both become thread {example.thread!r}")
        seen[example.thread] = source
        examples.append(example)
    return examples


def _convert(source: str, package: dict[str, bytes]) -> Example:
    page = package[source].decode("utf-8")
    page, count = LIBRARY_TAG.subn(LIBRARY_IMPORT, page)
    folder = posixpath.dirname(source)
    siblings = {path: data for path, data in package.items()
                if posixpath.dirname(path) == folder and not path.endswith(".html")}
    files = {**{name: package[name] for name in SHARED_FILES}, **siblings, source: page.encode("utf-8")}
    match = _TITLE.search(page)
    title = html.unescape(match[1]).strip() if match else ""
    relative = source[len("examples/"):]
    return Example(thread=thread_id(source), source=source, entry=source,
                   title=title or posixpath.basename(source).rsplit(".", 1)[0], uses_package=count > 0,
                   files=dict(sorted(files.items())), note=RUNTIME_NOTES.get(relative))


def write_corpus(examples: list[Example], out: Path) -> None:
    """Write ``<out>/<thread>/v1/...`` for each example; ``out`` must be new or empty."""
    if out.exists() and any(out.iterdir()):
        raise CorpusError(f"{out} is not empty: give a new folder")
    for example in examples:
        version_dir = out / example.thread / SNAPSHOT_VERSION
        for name, data in example.files.items():
            path = version_dir / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        folder = example.source.split("/")[1]
        meta = {"title": example.title, "entry": example.entry, "tags": ["paper.js", folder]}
        (version_dir / "snapshot.yml").write_text(_yaml(meta), encoding="utf-8")
        if example.uses_package:
            package_json = {"private": True, "license": LICENSE, "dependencies": {PACKAGE: VERSION}}
            (version_dir / "package.json").write_text(json.dumps(package_json, indent=2) + "\n", encoding="utf-8")
        description = (f"Paper.js example {example.source} from the npm package {PACKAGE}@{VERSION} "
                       f"({LICENSE}, (c) Jürg Lehni and Jonathan Puckey).")
        if example.note:
            description += f" Needs more than a share link gives: {example.note}."
        thread = {"title": example.title, "description": description, "tags": ["paper.js", folder]}
        (out / example.thread / "thread.yml").write_text(_yaml(thread), encoding="utf-8")


def _yaml(data: dict[str, object]) -> str:
    """A small YAML writer (JSON scalars are YAML), so this script needs only the standard library."""
    lines = []
    for key, value in data.items():
        if isinstance(value, list):
            value = "[" + ", ".join(json.dumps(item, ensure_ascii=False) for item in value) + "]"
        else:
            value = json.dumps(value, ensure_ascii=False)
        lines.append(f"{key}: {value}")
    return "\n".join(lines) + "\n"


def build_corpus(out: Path, cache_dir: Path, limit: int | None = None) -> list[Example]:
    """Fetch (or reuse) the pinned package, convert its examples, and write them under ``out``."""
    examples = convert_examples(read_package(fetch_tarball(cache_dir)), limit)
    write_corpus(examples, out)
    return examples


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("out", type=Path, help="new or empty folder for <thread>/v1/ snapshots")
    parser.add_argument("--cache", type=Path, default=Path(".cache/real-corpus"),
                        help="where the npm tarball is kept (default: .cache/real-corpus)")
    parser.add_argument("--limit", type=int, default=None, help="convert only the first N examples")
    args = parser.parse_args(argv)
    try:
        examples = build_corpus(args.out, args.cache, args.limit)
    except CorpusError as exc:
        print(f"real_corpus: {exc}", file=sys.stderr)
        return 1
    for example in examples:
        print(f"{example.ref}\t{example.source}" + (f"\t({example.note})" if example.note else ""))
    print(f"{len(examples)} examples of {PACKAGE}@{VERSION} written to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
