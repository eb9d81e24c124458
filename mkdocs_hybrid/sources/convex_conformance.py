"""The conformance corpus of ``convex/rules.ts`` (``convex/conformance.json``): good and hostile ids, paths,
dependencies and whole snapshots, each with the verdict of the real Python validator (``check_id``,
``check_relative_path``, ``check_dependency``, ``parse_snapshot_json``), which ``convex/rules.test.ts`` replays
through the TypeScript validator expecting the same accept/refuse verdict."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from typing import Any, cast

from mkdocs_hybrid.bundle.npm_spec import MAX_NAME_LENGTH, MAX_SPEC_LENGTH, check_dependency
from mkdocs_hybrid.config.manifest import BuildOptions
from mkdocs_hybrid.model.errors import HybridError
from mkdocs_hybrid.model.layout import LATEST
from mkdocs_hybrid.model.snapshot import SNAPSHOT_FORMAT, check_id, check_relative_path
from mkdocs_hybrid.sources.snapshot_json import parse_snapshot_json

__all__ = ["conformance_cases", "conformance_text"]

IDS: list[object] = [
    "a", "v1", "my-thread", "x.y_z-1", "0", "9lives", "a" * 64, "a" * 65, "", LATEST, "Latest", "LATEST", "latest2",
    "-a", ".a", "_a", "a b", "a/b", "a\\b", "a\nb", "a\n", "é", "café", "a\u202eb", "\u0430bc",
    "thread\x00", "v 1", "V1", "1.0.0", "..", ".", "a..b", "a" * 63 + "é", 7, None, ["a"], {"a": 1}, True]

PATHS: list[object] = ["index.html", "src/index.tsx", "a/b/c.js", "src/a.b.c.ts", "é/ü.js", "emoji-😀.js", "日本語.css",
         "_private.js", "__proto__", "constructor", ".hidden", ".a/b", "a/.b", "node_modules/x.js",
         "", "/abs.js", "//x.js", "a//b.js", "a/", "a/./b.js", "./a.js", "../a.js", "a/../b.js", "a/..", "..",
         ".", "a\\b.js", "C:/x.js", "c:x.js", "1:x.js", "a:b.js", "a\x00b.js", "a\nb.js", "a\rb.js", "a\tb.js",
         "a\x1fb.js", "a\x7fb.js", "a\x85b.js", "a\x9fb.js", "a\xa0b.js", "a\u061cb.js", "a\u200eb.js",
         "a\u200fb.js", "a\u2028b.js", "a\u2029b.js", "a\u202ab.js", "a\u202eb.js", "a\u2066b.js", "a\u2069b.js",
         "a\u206ab.js", "a\u200db.js", "a\ufeffb.js", "a\ud800b.js", "a\udc80b.js", "a\udfff", "\ud83d",
         "x" * 1000 + ".js", "a b.js", "a%2e%2e/b.js", "~/a.js", "a?b.js", "a#b.js", "a*b.js", "CON", 5, None]

NAMES: list[object] = ["react", "react-dom", "@scope/name", "@types/react", "lodash.merge", "a", "a" * MAX_NAME_LENGTH,
         "a" * (MAX_NAME_LENGTH + 1), "React", "@Scope/name", "", ".hidden", "_private", "-dash", "node_modules",
         "favicon.ico", "a b", "a/b", "@scope", "@scope/", "@/name", "@scope/name/extra", "a~b", "a!b", "a(b)",
         "é", "a\u202eb", " react", "react ", "foo.tar", "foo.tgz", "x.tar.gz", "http:", "git+ssh", 1, None]

SPECS: list[object] = [
         "18.2.0", "^18.2.0", "~1.2.3", ">=1 <2", "1.x", "1.2.x", "*", "", " ", LATEST, "next", "beta-1",
         "~1.2.3 || >=2", "1.2.3 - 2.3.4", "1.2 - 2", ">1.x", "<=1.2.x", ">=1.2.3-alpha.1", "v1.2.3", "=1.2.3",
         "1.2.3+build.5", "1.2.3-rc.1+b", "^0.0.1", "~0", "^0.x", "x", "X", "1.2.3 ||", "|| 1", "1 || || 2",
         "  ^1.2.3  ", "\t1.2.3", "1.2.3\t", "\ufeff1.2.3", "1.2.3\xa0", "1.2.3 foo", "foo bar", "1.2.3 foo:bar",
         "1.2.3 a@gist.github.com:x", ":x 1.2.3", "\u017f:x 1.2.3", "\u212a:x 1.2.3", "github:user/repo",
         "user/repo", "user/repo#v1", "git+https://github.com/a/b.git", "git://github.com/a/b",
         "git@github.com:a/b.git", "https://example.com/x.tgz", "http://example.com/x", "file:../x", "file:x.tgz",
         "../folder", "./x.tgz", "/abs/x", "~/x", "C:\\x", "x.tgz", "x.tar.gz", "x.tar", "npm:react@^18",
         "npm:@scope/x@1", "npm:react@github:a/b", "npm:", "gitlab:a/b", "bitbucket:a/b", "gist:abc",
         "sourcehut:a/b", "a:b", "1.2.3 || github:x", "9007199254740991.0.0", "9007199254740992.0.0",
         "1.2.3-" + "a" * 250, "1." * 128, "^" + "1" * 300, "x" * MAX_SPEC_LENGTH, "x" * (MAX_SPEC_LENGTH + 1),
         "tag with space", "t%61g", "tag!", "@tag", "'quoted'", "1.2.3\n", "1.2.3\u2028", ">=", "<", "~>1.2",
         "^", "~", ">= 1.2.3", "< 2", "1.2.3 - ", " - 2", "1 2 3", "a.b.c", "0.0.0-0", "1.2.3-01", "01.2.3",
         "1.2.3.4", "^1.2.3-beta", "~1.2.3-beta.2+meta", "> =1", "*.*.*", "x.x.x", "1.*", "=*", ">*", "<*",
         "\u2003^1", "\x1c1.2.3", "\x851.2.3", "\U0001f600" * 130 + " 1.2.3", "\U0001f600" * 100 + " 1.2.3",
         "#a/b/", "1.2.3 #x", "1.2.3 x@www.github.com:a", "1.2.3 x@[github.com:a", "\u0131:x 1.2.3",
         "\u0130:x 1.2.3", "1.2.3 \u2028 2", "^1.2.3 <2 >=1.5", ">1 <1", "1.2.3 - 2.x || ~3", 18, None, ["1"]]

_PIECES = ("1", "2.3", "0", ".", "x", "X", "*", "^", "~", ">", "<", "=", "-", " - ", "||", " ", "\t", "v", "a",
           "beta", "+", "@", ":", "/", "#", "git+", "https", "://", "npm:", "file:", ".tgz", "github.com", "gist:",
           "\xa0", "\u017f", "\u2028", "\x1c", "\U0001f600", "'", "%")
"""What the seeded random specs are made of: semver's syntax, npm's refused prefixes and hostile characters."""


def _random_specs(count: int = 600) -> list[str]:
    """Seeded (the corpus is committed): the same specs on every run."""
    rng = random.Random(21)
    return ["".join(rng.choice(_PIECES) for _ in range(rng.randint(1, 9))) for _ in range(count)]


GOOD = {"format": SNAPSHOT_FORMAT, "thread": "demo", "version": "v1",
        "files": {"index.html": "<p>hi</p>", "src/app.js": "console.log(1)"}}


def _verdict(check: Callable[[], object]) -> dict[str, Any]:
    try:
        check()
    except (ValueError, HybridError) as exc:
        return {"ok": False, "python": str(exc)}
    return {"ok": True}


def _id_cases() -> list[dict[str, Any]]:
    return [{"kind": "id", "value": value, **_verdict(partial(check_id, value, "thread"))} for value in IDS]


def _path_cases() -> list[dict[str, Any]]:
    # Non-strings go in on purpose: the validator refuses them too.
    return [{"kind": "path", "value": value, **_verdict(partial(check_relative_path, cast(str, value)))}
            for value in PATHS]


def _dependency_cases() -> list[dict[str, Any]]:
    pairs = [(name, "^1.0.0") for name in NAMES] + [("react", spec) for spec in [*SPECS, *_random_specs()]]
    pairs += [("@scope/name", "^1"), ("foo.tar", "1.0.0"), ("@scope/x", "1.2.3 a@gist.github.com:x")]
    return [{"kind": "dependency", "name": name, "spec": spec,
             **_verdict(partial(check_dependency, name, spec))} for name, spec in pairs]


def _snapshot(name: str, limits: dict[str, int] | None = None, **changes: Any) -> dict[str, Any]:
    document = {**GOOD, **changes}
    document = {key: value for key, value in document.items() if value is not _DROP}
    given = limits or {}
    default = BuildOptions()
    options = replace(default, max_files=given.get("maxFiles", default.max_files),
                      max_file_bytes=given.get("maxFileBytes", default.max_file_bytes),
                      max_snapshot_bytes=given.get("maxSnapshotBytes", default.max_snapshot_bytes))
    case: dict[str, Any] = {"kind": "snapshot", "name": name, "document": document}
    if limits:
        case["limits"] = limits
    return {**case, **_verdict(lambda: parse_snapshot_json(document, options, "conformance.json"))}


_DROP = object()


def _snapshot_cases() -> list[dict[str, Any]]:
    many = {f"f{i}.js": "" for i in range(6)}
    return [
        _snapshot("a good snapshot"),
        _snapshot("no version", version=_DROP),
        _snapshot("a bad thread id", thread="Bad Id"),
        _snapshot("the reserved version id latest", version="latest"),
        _snapshot("a long version id", version="v" * 65),
        _snapshot("no format", format=_DROP),
        _snapshot("another format", format="mkdocs-hybrid/snapshot@2"),
        _snapshot("an unknown key", extra=1),
        _snapshot("files missing", files=_DROP),
        _snapshot("files empty", files={}),
        _snapshot("files a list", files=[{"path": "index.html", "text": ""}]),
        _snapshot("a file not a string", files={"index.html": 1}),
        _snapshot("a file with a lone surrogate", files={"index.html": "a\ud800"}),
        _snapshot("a file climbing out", files={"index.html": "", "../x.js": ""}),
        _snapshot("an absolute file", files={"index.html": "", "/x.js": ""}),
        _snapshot("a backslash path", files={"index.html": "", "a\\b.js": ""}),
        _snapshot("a bidi control in a path", files={"index.html": "", "a\u202e.js": ""}),
        _snapshot("unicode paths and text", files={"index.html": "<p>é😀</p>", "données/é.js": "'日本'"}),
        _snapshot("a file at the size limit", {"maxFileBytes": 10}, files={"index.html": "x" * 10}),
        _snapshot("a file over the size limit", {"maxFileBytes": 10}, files={"index.html": "x" * 11}),
        _snapshot("multibyte text over the size limit", {"maxFileBytes": 10}, files={"index.html": "é" * 6}),
        _snapshot("a total at the limit", {"maxSnapshotBytes": 20}, files={"index.html": "x" * 10, "a.js": "y" * 10}),
        _snapshot("a total over the limit", {"maxSnapshotBytes": 20}, files={"index.html": "x" * 11, "a.js": "y" * 10}),
        _snapshot("files at the count limit", {"maxFiles": 7}, files={"index.html": "", **many}),
        _snapshot("files over the count limit", {"maxFiles": 6}, files={"index.html": "", **many}),
        _snapshot("entry detected: src/index.tsx", files={"src/index.tsx": "", "a.css": ""}),
        _snapshot("entry detected: index.js", files={"index.js": "", "index.ts": ""}),
        _snapshot("no entry to detect", files={"app.js": "", "a.css": ""}),
        _snapshot("an entry named", entry="src/app.js"),
        _snapshot("an entry not among the files", entry="missing.js"),
        _snapshot("an entry that is css", entry="a.css", files={"a.css": "", "index.html": ""}),
        _snapshot("an entry that climbs", entry="../index.html"),
        _snapshot("an entry of a .mts file", entry="m.mts", files={"m.mts": ""}),
        _snapshot("a title", title="  My demo  "),
        _snapshot("a title not text", title=5),
        _snapshot("tags", tags=["a", "b", "a"]),
        _snapshot("an empty tag", tags=["a", " "]),
        _snapshot("tags not a list", tags="a"),
        _snapshot("unlisted", unlisted=True),
        _snapshot("unlisted not a flag", unlisted="yes"),
        _snapshot("dependencies", dependencies={"react": "^18.2.0", "@scope/x": "latest"}),
        _snapshot("a git dependency", dependencies={"react": "github:facebook/react"}),
        _snapshot("a URL dependency", dependencies={"x": "https://example.com/x.tgz"}),
        _snapshot("a file dependency", dependencies={"x": "file:../x"}),
        _snapshot("an alias dependency", dependencies={"x": "npm:react@18"}),
        _snapshot("a bad dependency name", dependencies={"React": "1"}),
        _snapshot("dependencies a list", dependencies=["react"]),
        _snapshot("a dependency version not text", dependencies={"react": 18}),
        _snapshot("an over-long spec", dependencies={"react": "1" * (MAX_SPEC_LENGTH + 1)}),
    ]


def conformance_cases() -> list[dict[str, Any]]:
    """Every case with Python's verdict (``ok``, and the message when refused)."""
    cases = [*_id_cases(), *_path_cases(), *_dependency_cases(), *_snapshot_cases()]
    # A value JSON cannot carry (two lone surrogates read back as one astral character) would replay as another.
    changed = [case for case in cases if json.loads(json.dumps(case)) != case]
    if changed:
        raise ValueError(f"conformance cases that JSON changes: {changed[:3]!r}; leave them out")
    return cases


def conformance_text() -> str:
    """``convex/conformance.json`` as committed (ASCII: lone surrogates and controls escaped)."""
    document = {"comment": "Generated by `python -m mkdocs_hybrid.sources.convex_rules` with the Python "
                           "validator's verdict on each case; do not edit.", "cases": conformance_cases()}
    return json.dumps(document, indent=1, ensure_ascii=True) + "\n"
