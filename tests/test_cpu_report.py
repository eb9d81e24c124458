"""The opt-in per-file CPU report (``pytest -p tests.cpu_report``), in a pytest run of two small test files."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO

BUSY_CHILD = '''import subprocess, sys

def test_a_child_process_works_for_a_while():
    subprocess.run([sys.executable, "-c", "sum(i * i for i in range(3_000_000))"], check=True)
'''
IDLE = '''def test_nothing_much():
    assert True
'''


def test_each_file_gets_one_row_with_the_cpu_of_the_processes_it_started_heaviest_first(tmp_path: Path) -> None:
    (tmp_path / "test_busy.py").write_text(BUSY_CHILD, encoding="utf-8")
    (tmp_path / "test_idle.py").write_text(IDLE, encoding="utf-8")
    table = tmp_path / "cpu.tsv"
    env = {**os.environ, "CPU_REPORT": str(table),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    result = subprocess.run([sys.executable, "-m", "pytest", "-p", "tests.cpu_report", "-p", "no:cacheprovider",
                             "-n", "1", "-c", os.devnull, "--rootdir", str(tmp_path),
                             "test_busy.py", "test_idle.py"],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "CPU-seconds per test file (own + reaped children)" in result.stdout
    rows = [line.split("\t") for line in table.read_text(encoding="utf-8").splitlines()]
    assert [row[0] for row in rows] == ["test_busy.py", "test_idle.py"], "the worker's rows reach the controller"
    busy_children = float(rows[0][3])
    assert busy_children > float(rows[1][3]), "the child's CPU is counted under the file that started it"
    assert any(line.endswith("all 2 files") for line in result.stdout.splitlines())
