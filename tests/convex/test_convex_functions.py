"""The Convex functions shipped in ``convex/`` under vitest and convex-test (Convex's own mock backend): the
README's test command runs them through these tests, with the repository's pinned ``node_modules``."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VITEST = ROOT / "node_modules" / "vitest" / "vitest.mjs"


def run_vitest(*files: str) -> subprocess.CompletedProcess[str]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node runs vitest (scripts/install.sh installs it)")
    assert VITEST.is_file(), "node_modules/vitest is missing: run scripts/install.sh (npm ci)"
    env = {**os.environ, "NO_COLOR": "1", "CI": "1"}
    return subprocess.run([node, str(VITEST), "run", "--config", "convex/vitest.config.mts", *files], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=600, check=False)


def assert_passed(run: subprocess.CompletedProcess[str], at_least: int) -> None:
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-20000:]
    counts = [line for line in output.splitlines() if line.strip().startswith("Tests ")]
    assert counts and "failed" not in counts[-1], output[-5000:]
    passed = int(counts[-1].split("passed")[0].split()[-1])
    assert passed >= at_least, output[-5000:]


def test_the_typescript_validator_gives_pythons_verdict_on_every_conformance_case() -> None:
    assert_passed(run_vitest("rules.test.ts"), at_least=300)


@pytest.mark.slow
def test_the_convex_functions_pass_their_convex_test_suites() -> None:
    """Refusals, immutability, ownership, next ids, 10,000 versions paged, unlisted hidden, binary files."""
    assert_passed(run_vitest("versions.test.ts", "listing.test.ts"), at_least=45)


def test_the_convex_functions_typecheck_as_convex_deploy_checks_them() -> None:
    """``npx convex deploy`` runs ``tsc`` over ``convex/`` first and refuses to push on a type error; the pinned
    TypeScript checks the same here, so a type error fails the tests and not a team's deploy."""
    node = shutil.which("node")
    tsc = ROOT / "node_modules" / "typescript" / "bin" / "tsc"
    if node is None:
        pytest.skip("node runs tsc (scripts/install.sh installs it)")
    assert tsc.is_file(), "node_modules/typescript is missing: run scripts/install.sh (npm ci)"
    run = subprocess.run([node, str(tsc), "--noEmit", "--pretty", "false", "-p", "convex"], cwd=ROOT,
                         capture_output=True, text=True, timeout=300, check=False)
    assert run.returncode == 0, (run.stdout + run.stderr)[-10000:]
