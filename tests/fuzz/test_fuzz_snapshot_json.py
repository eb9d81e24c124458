"""Fuzzing the one validator of snapshot JSON (files, the editor's store, ``serve``'s API) and of dependency specs.

For every generated document: ``parse_snapshot_json`` returns a snapshot or raises one ``SnapshotError`` line,
within the bound; what it accepts is safe to write and to bundle (ids of the id pattern, file names without
control characters, each file's text encodable, the entry a file of the snapshot). For every dependency spec:
what npm would fetch from elsewhere than the registry (git, URL, path, alias, in any letter case) is refused, and
plain registry versions, ranges and tags are accepted.
"""

from __future__ import annotations

import re
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from mkdocs_hybrid.config.manifest import BuildOptions
from mkdocs_hybrid.model.errors import SnapshotError
from mkdocs_hybrid.model.snapshot import ID_PATTERN
from mkdocs_hybrid.sources.scan import SNAPSHOT_FORMAT, check_dependencies, parse_snapshot_json
from tests.fuzz.harness import assert_no_traceback, assert_one_line, bounded, count
from tests.fuzz.hostile import NON_REGISTRY_SPECS, NPM_NAMES, REGISTRY_SPECS, snapshot_documents

LIMITS = BuildOptions(max_file_bytes=4096, max_snapshot_bytes=16384, max_files=20)
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _deep(levels: int) -> Any:
    value: Any = "x"
    for _ in range(levels):
        value = [value]
    return value


def _accepted(document: Any) -> dict[str, Any]:
    snapshot = parse_snapshot_json(document, LIMITS, "fuzz.json")
    names = list(snapshot.files)
    for name in names:
        snapshot.files[name]
    return {"thread": snapshot.thread, "version": snapshot.version, "names": names, "entry": snapshot.entry,
            "dependencies": dict(snapshot.dependencies)}


KNOWN = [  # one of each hostile family, drawn as often as any generated document
    {"format": SNAPSHOT_FORMAT, "thread": "t", "version": "v1", "files": {"index.js": "\ud800"}},
    {"format": SNAPSHOT_FORMAT, "thread": "t", "version": "v1", "files": {"index.js": "x", "a\nb.js:1:1: error": "x"}},
    {"format": SNAPSHOT_FORMAT, "thread": "t", "version": "v1", "files": {"index.js": "x"}, "title": _deep(100000)},
    {"format": SNAPSHOT_FORMAT, "thread": "t", "version": "v1", "files": {"index.js": "x"},
     "dependencies": {"x": "HTTP://127.0.0.1:9/x.tgz"}},
    {"format": SNAPSHOT_FORMAT, "thread": "t", "version": "v1", "files": {"index.js": "x", "\ud800.js": "x"}},
    # Found by this test in CI: a caller's dict (not JSON's) with a key that is not text; sorting it raised TypeError.
    {"format": SNAPSHOT_FORMAT, "thread": "t", "version": "v1", "files": {"": None, 0: None}},
]


@given(document=st.one_of(snapshot_documents(), st.sampled_from(KNOWN)))
@example(document=KNOWN[-1])  # the one CI found: tried on every run
def test_parse_snapshot_json(document: dict[str, Any]) -> None:
    count("snapshot JSON document")
    outcome = bounded(lambda: _accepted(document))
    assert_no_traceback(outcome)
    if outcome.kind == "raised":
        assert outcome.error.startswith(f"{SnapshotError.__module__}.SnapshotError"), outcome.describe()
        assert_one_line([outcome.message])
        return
    accepted = outcome.value
    assert ID_PATTERN.fullmatch(accepted["thread"]) and ID_PATTERN.fullmatch(accepted["version"])
    assert accepted["entry"] in accepted["names"]
    bad = [name for name in accepted["names"] if CONTROL.search(name)]
    assert not bad, f"file names with control characters accepted: {bad!r}"


@given(name=NPM_NAMES, spec=NON_REGISTRY_SPECS)
def test_non_registry_specs_are_refused(name: str, spec: str) -> None:
    count("dependency spec, not from the registry")
    try:
        accepted = check_dependencies({name: spec})
    except SnapshotError as exc:
        assert_one_line([str(exc)])
        return
    raise AssertionError(f"{name}: {spec!r} is not a registry spec, but was accepted as {accepted}")


@given(name=NPM_NAMES, spec=REGISTRY_SPECS)
def test_registry_specs_are_accepted(name: str, spec: str) -> None:
    count("dependency spec, from the registry")
    assert check_dependencies({name: spec}) == {name: spec.strip()}


@given(value=st.one_of(st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=3), st.integers(),
                       st.lists(st.text(max_size=3), max_size=3)))
def test_dependencies_of_any_shape(value: Any) -> None:
    count("dependencies of any shape")
    outcome = bounded(lambda: check_dependencies(value))
    assert_no_traceback(outcome)
