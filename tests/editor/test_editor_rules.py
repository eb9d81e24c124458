"""The editor checks snapshots by the site build's own rules: the recipe carries the validator's constants,
the editor's ``SnapshotFormat`` (run in Node) decides as the Python validator does, and no JavaScript in
``editor_src`` keeps a copy of the rules that could drift from them."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from mkdocs_hybrid.config.manifest import BuildOptions
from mkdocs_hybrid.editor.assets import editor_source_dir
from mkdocs_hybrid.editor.recipe import editor_recipe
from mkdocs_hybrid.model.errors import SnapshotError
from mkdocs_hybrid.model.snapshot import (
    ENTRY_CANDIDATES,
    ID_PATTERN,
    RESERVED_IDS,
    SNAPSHOT_FORMAT,
    check_id,
    detect_entry,
)
from mkdocs_hybrid.sources.snapshot_json import SNAPSHOT_JSON_KEYS, parse_snapshot_json

RUNNER = """import { SnapshotFormat } from "./snapshot_format.mjs";
let text = "";
for await (const chunk of process.stdin) text += chunk;
const input = JSON.parse(text);
const format = new SnapshotFormat(input.rules);
const refusal = (data) => {
  try {
    format.checkSnapshot(data);
    return null;
  } catch (error) {
    return error.message;
  }
};
process.stdout.write(JSON.stringify({
  ids: input.ids.map((id) => format.isId(id)),
  entries: input.entries.map((paths) => format.detectEntry(paths)),
  snapshots: input.snapshots.map(refusal),
}));
"""

IDS = ["a", "0", "v1", "react-todo", "a.b_c-d", "a" * 64, "a" * 65, "-a", ".a", "_a", "A", "a b", "a/b", "é",
       "latest", "latest2", "", "a\n", "v1$", "a\u0131"]
ENTRIES = [["index.html", "index.js"], ["index.js", "src/index.js"], ["src/index.js", "src/index.tsx"],
           ["index.ts", "index.jsx"], ["main.js", "style.css"], ["src/index.mjs"], ["index.js"], []]


def recipe_rules() -> dict[str, Any]:
    recipe = json.loads(editor_recipe("0.0.0", BuildOptions(), locked={}, sets=[], threads={}))
    rules: dict[str, Any] = recipe["snapshot"]
    return rules


def snapshot(**changes: object) -> dict[str, Any]:
    data: dict[str, Any] = {"format": SNAPSHOT_FORMAT, "thread": "demo", "version": "v1", "title": None,
                            "entry": "index.js", "created": "2026-01-01T00:00:00Z",
                            "files": {"index.js": "console.log(1);\n"}, "dependencies": {}}
    data.update(changes)
    return {key: value for key, value in data.items() if value is not ...}


SNAPSHOTS = [
    snapshot(), snapshot(author="me", tags=["a"], unlisted=False), snapshot(format="mkdocs-hybrid/snapshot@2"),
    snapshot(format=...), snapshot(thread="Demo"), snapshot(version="latest"), snapshot(thread=7),
    snapshot(video="clip.mp4"), snapshot(extra=1),
]


def python_refuses(data: dict[str, Any]) -> bool:
    try:
        parse_snapshot_json(data, BuildOptions(), "")
    except SnapshotError:
        return True
    return False


def python_takes_id(value: str) -> bool:
    try:
        check_id(value, "thread")
    except ValueError:
        return False
    return True


def test_the_recipe_carries_the_snapshot_rules_of_the_python_validator() -> None:
    assert recipe_rules() == {
        "format": SNAPSHOT_FORMAT, "id_pattern": ID_PATTERN.pattern, "reserved_ids": sorted(RESERVED_IDS),
        "entry_candidates": list(ENTRY_CANDIDATES), "keys": sorted(SNAPSHOT_JSON_KEYS)}


def test_the_editors_snapshot_format_decides_as_the_python_validator_does(tmp_path: Path) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node runs the editor's module")
    shutil.copy(editor_source_dir() / "snapshot_format.js", tmp_path / "snapshot_format.mjs")
    (tmp_path / "runner.mjs").write_text(RUNNER, encoding="utf-8")
    request = {"rules": recipe_rules(), "ids": IDS, "entries": ENTRIES, "snapshots": SNAPSHOTS}
    run = subprocess.run([node, "runner.mjs"], cwd=tmp_path, input=json.dumps(request), capture_output=True,
                         text=True, timeout=60, check=False)
    assert run.returncode == 0, run.stderr
    answer = json.loads(run.stdout)
    assert answer["ids"] == [python_takes_id(value) for value in IDS]
    assert answer["entries"] == [detect_entry(frozenset(paths)) for paths in ENTRIES]
    assert [message is not None for message in answer["snapshots"]] == [python_refuses(data) for data in SNAPSHOTS]
    assert answer["snapshots"][2] == f'not a snapshot file: "format" must be "{SNAPSHOT_FORMAT}"'
    assert answer["snapshots"][5] == f'"version" must match {ID_PATTERN.pattern} (and not be "latest")'


def test_no_javascript_in_the_editor_keeps_a_copy_of_the_rules() -> None:
    # "index.html" and "index.js" are also ordinary file names (the starter project, a shim's "main").
    spelled = [SNAPSHOT_FORMAT, ID_PATTERN.pattern, *(f'"{name}"' for name in RESERVED_IDS),
               *(f'"{name}"' for name in ENTRY_CANDIDATES if "/" in name)]
    string_list = re.compile(r'\[\s*(?:"[^"\n]*"\s*,\s*)+"[^"\n]*"\s*,?\s*\]')
    copies = []
    for path in sorted(editor_source_dir().rglob("*.js")):
        text = path.read_text(encoding="utf-8")
        where = path.relative_to(editor_source_dir()).as_posix()
        copies += [f"{where}: {rule}" for rule in spelled if rule in text]
        for found in string_list.finditer(text):
            items = set(re.findall(r'"([^"\n]*)"', found.group()))
            # checkSnapshot names "thread" and "version"; a longer list of keys, or of entries, is a copy.
            if len(items & SNAPSHOT_JSON_KEYS) > 2 or len(items & set(ENTRY_CANDIDATES)) > 1:
                copies.append(f"{where}: {found.group()}")
    assert copies == []
