"""What starting ``mkdocs-hybrid`` or the MkDocs plugin loads (issue 24): a no-op build takes the whole-build short
cut, which needs the manifest, the sources' listing and the last build's record, so a start-up that loaded every
stage (the bundler, the media stage, the gallery's templates, the editor, rich's bars) cost more than the no-op's
own work. Each check runs in a fresh interpreter, since this one has loaded everything already."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.factory import cli_env, write_tree

SKIPPED_STAGES = ("mkdocs_hybrid.bundle.bundler", "mkdocs_hybrid.bundle.plan", "mkdocs_hybrid.media.stage",
                  "mkdocs_hybrid.publish.artifacts", "mkdocs_hybrid.editor.site", "mkdocs_hybrid.scale.shards")
"""What only a build with work to do runs: bundling, media, artifacts, the editor's site, shards."""
OTHER_KINDS = ("mkdocs_hybrid.sources.convex", "mkdocs_hybrid.sources.convex_export", "mkdocs_hybrid.sources.git")
"""Source kinds a manifest of directory sources does not use (the registry imports a kind when asked for it)."""
NO_OP_SKIPS = SKIPPED_STAGES + OTHER_KINDS + ("jinja2", "rich", "mkdocs_hybrid.gallery.pages",
                                              "mkdocs_hybrid.cli_live", "mkdocs_hybrid.cli_verify")
"""What a no-op ``mkdocs-hybrid build -q`` of directory sources does not load either: the templates, the bars, the
other commands, the other source kinds."""
CLI_ONLY = NO_OP_SKIPS + ("mkdocs_hybrid.pipeline", "mkdocs_hybrid.history.publish")
"""What ``mkdocs-hybrid --version`` does not load: no command's work at all."""
PROBE = """
import atexit, json, sys
from mkdocs_hybrid.model import files
files.RACY_SECONDS = -60  # files written a moment ago are trusted by their stat, as the tests' `trusting` does
atexit.register(lambda: print(json.dumps(sorted(sys.modules))))
sys.argv[0] = "mkdocs-hybrid"
from mkdocs_hybrid.cli import main
main()
"""


def loaded(*args: str, cwd: Path) -> set[str]:
    """The modules loaded by the end of ``mkdocs-hybrid ARGS`` (its stdout is the probe's list only)."""
    run = subprocess.run([sys.executable, "-c", PROBE, *args], cwd=cwd, env=cli_env(), capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    return set(json.loads(run.stdout.splitlines()[-1]))


@pytest.mark.parametrize(("module", "not_loaded"), [
    ("mkdocs_hybrid", CLI_ONLY),
    ("mkdocs_hybrid.cli", CLI_ONLY),
    ("mkdocs_hybrid.plugin", SKIPPED_STAGES),
])
def test_importing_the_package_the_cli_or_the_plugin_loads_no_stage_of_a_full_build(module: str,
                                                                                   not_loaded: tuple[str, ...]
                                                                                   ) -> None:
    probe = f"import json, sys, {module}\nprint(json.dumps(sorted(sys.modules)))"
    run = subprocess.run([sys.executable, "-c", probe], env=cli_env(), capture_output=True, text=True, check=True)
    assert sorted(set(not_loaded) & set(json.loads(run.stdout))) == []


def test_a_no_op_cli_build_loads_no_stage_it_skips_and_a_build_with_work_loads_them(tmp_path: Path) -> None:
    project = write_tree(tmp_path / "project", {
        "hybrid.yml": "sources:\n  - type: directory\n    path: demos\n",
        "demos/t/v1/index.js": "document.title = 'v1'\n",
        "demos/t/v2/index.js": "document.title = 'v2'\n",
    })
    full = loaded("build", "-q", "--no-media", cwd=project)
    assert set(SKIPPED_STAGES) <= full, "the first build bundles, writes and publishes"
    no_op = loaded("build", "-q", "--no-media", cwd=project)
    report = json.loads((project / "hybrid-report.json").read_text(encoding="utf-8"))
    assert report["counts"]["unchanged"] == 2, "the second build took the whole-build short cut"
    assert sorted(set(NO_OP_SKIPS) & no_op) == []
    assert {"mkdocs_hybrid.whole_build", "mkdocs_hybrid.sources.scan"} <= no_op
