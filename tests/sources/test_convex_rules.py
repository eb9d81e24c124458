"""``convex/rules.json`` and ``convex/conformance.json`` are what Python generates from its own validator."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from mkdocs_hybrid.bundle.npm_spec import MAX_SPEC_LENGTH
from mkdocs_hybrid.config.manifest import BuildOptions
from mkdocs_hybrid.model.snapshot import SNAPSHOT_FORMAT
from mkdocs_hybrid.sources.convex_conformance import conformance_text
from mkdocs_hybrid.sources.convex_rules import js_source, main, rules_text

CONVEX = Path(__file__).resolve().parents[2] / "convex"
REGENERATE = "regenerate them: python -m mkdocs_hybrid.sources.convex_rules"


def test_the_committed_rules_file_is_what_python_generates() -> None:
    committed = (CONVEX / "rules.json").read_text(encoding="utf-8")
    assert committed == rules_text(), f"convex/rules.json is stale: {REGENERATE}"


def test_the_committed_conformance_corpus_is_what_python_generates() -> None:
    committed = (CONVEX / "conformance.json").read_text(encoding="utf-8")
    assert committed == conformance_text(), f"convex/conformance.json is stale: {REGENERATE}"


def test_the_rules_carry_the_python_validators_constants() -> None:
    rules = json.loads(rules_text())
    defaults = BuildOptions()
    assert rules["limits"] == {"maxFiles": defaults.max_files, "maxFileBytes": defaults.max_file_bytes,
                               "maxSnapshotBytes": defaults.max_snapshot_bytes}
    assert rules["snapshotFormat"] == SNAPSHOT_FORMAT
    assert rules["ids"]["reserved"] == ["latest"]
    assert rules["npm"]["maxSpecLength"] == MAX_SPEC_LENGTH
    assert rules["npm"]["caseFolds"] == {"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"}


def test_the_corpus_holds_good_and_hostile_cases_of_every_kind_with_pythons_message() -> None:
    cases = json.loads(conformance_text())["cases"]
    for kind in ("id", "path", "dependency", "snapshot"):
        verdicts = [case["ok"] for case in cases if case["kind"] == kind]
        assert True in verdicts and False in verdicts, kind
    refused = [case for case in cases if not case["ok"]]
    assert all(case["python"] for case in refused)
    assert any(case.get("spec") == "github:user/repo" and "a git repository" in case["python"] for case in refused)


def test_python_m_writes_both_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(tmp_path)]) == 0
    assert capsys.readouterr().out == f"wrote {tmp_path / 'rules.json'} and {tmp_path / 'conformance.json'}\n"
    assert (tmp_path / "rules.json").read_text(encoding="utf-8") == rules_text()
    assert json.loads((tmp_path / "conformance.json").read_text(encoding="utf-8"))["cases"]


def test_a_python_only_regex_is_refused_rather_than_misread_by_javascript() -> None:
    assert js_source(re.compile(r"^a\Z")) == "^a$"
    for source in (r"\Aa", r"(?P<x>a)", r"(?i)a"):
        with pytest.raises(ValueError, match="Python-only syntax"):
            js_source(source)
