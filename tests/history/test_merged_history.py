"""A sharded build (the nightly workflow's shards and merge) is signed by its merge: shard builds hold part of the
ledger each and sign nothing, the merge signs what the merged ledger published, and the next night's merge
appends to the same chain."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from mkdocs_hybrid.cli import main
from mkdocs_hybrid.history.keys import KEY_ENV
from tests.factory import manifest_for
from tests.history.test_verify import KEY_A, check, demos, lines


def cli(project: Path, *args: str) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def night(project: Path, monkeypatch: pytest.MonkeyPatch, site: str) -> str:
    """Both shards, then their merge into ``site``: the merge's output."""
    monkeypatch.chdir(project)
    for index in (1, 2):
        cli(project, "build", "-d", f"shard{index}", "--shard", f"{index}/2", "--no-media", "--quiet")
    return cli(project, "merge", "shard1", "shard2", "-d", site)


def records(site: Path, thread: str) -> list[dict[str, object]]:
    found: list[dict[str, object]] = json.loads((site / "gallery" / thread / "history.json").read_bytes())["records"]
    return found


def test_the_merge_of_a_sharded_build_signs_it_and_the_next_nights_merge_appends(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for thread in ("a", "b", "c", "d"):
        demos(tmp_path, "v1", thread=thread)
    manifest_for(tmp_path)
    monkeypatch.setenv(KEY_ENV, KEY_A)

    night(tmp_path, monkeypatch, "site1")
    first = tmp_path / "site1"
    assert not [path for i in (1, 2) for path in (tmp_path / f"shard{i}").rglob("history.json")], "shards sign nothing"
    assert check(first).ok, lines(check(first))
    assert [(r["kind"], r.get("version")) for r in records(first, "a")] == [("version", "v1"), ("latest", "v1")]

    demos(tmp_path, "v2", thread="c")
    night(tmp_path, monkeypatch, "site2")
    second = tmp_path / "site2"
    assert check(second).ok, lines(check(second))
    assert records(second, "c")[:2] == records(first, "c"), "the chain goes on"
    assert [(r["kind"], r.get("version")) for r in records(second, "c")[2:]] == [("version", "v2"), ("latest", "v2")]
    assert records(second, "a") == records(first, "a")


def test_a_merge_without_the_key_after_signed_ones_says_its_versions_go_unsigned(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    demos(tmp_path, "v1", thread="a")
    demos(tmp_path, "v1", thread="b")
    manifest_for(tmp_path)
    monkeypatch.setenv(KEY_ENV, KEY_A)
    night(tmp_path, monkeypatch, "site1")
    monkeypatch.delenv(KEY_ENV)
    demos(tmp_path, "v2", thread="a")

    output = night(tmp_path, monkeypatch, "site2")

    assert f"{KEY_ENV} is not set: this build's versions are not in the signed history" in output
