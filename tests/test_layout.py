"""The package's layout: one sub-package per pipeline stage, and no import cycles between modules.

Imports are read from the source (every ``import`` statement, also inside functions, which is where a cycle
hides; not those under ``if TYPE_CHECKING:``, which never run), so a cycle fails here even when no test
happens to take the path that would trip it at run time.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "mkdocs_hybrid"
STAGES = ("config", "model", "sources", "bundle", "publish", "gallery", "edge", "scale", "deploy", "media")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def runtime_imports(path: Path, modules: set[str]) -> set[str]:
    """Our modules that ``path`` imports when it runs (``from x import y`` counts ``x.y`` when that is a module)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    type_checking = {id(node) for block in ast.walk(tree) if isinstance(block, ast.If)
                     and ast.unparse(block.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING")
                     for node in ast.walk(block)}
    found = set()
    for node in ast.walk(tree):
        if id(node) in type_checking:
            continue
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return {name for name in found if name in modules} - {module_name(path)}


def import_graph() -> dict[str, set[str]]:
    files = {module_name(path): path for path in PACKAGE.rglob("*.py")}
    return {name: runtime_imports(path, set(files)) for name, path in files.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                return path[path.index(target):] + [target]
            if target not in state and (cycle := visit(target)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)):
            return cycle
    return None


def test_no_module_imports_itself_through_others() -> None:
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_the_cycle_check_finds_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


@pytest.mark.parametrize("stage", STAGES)
def test_each_stage_is_a_package_that_says_what_it_owns(stage: str) -> None:
    init = PACKAGE / stage / "__init__.py"
    assert init.is_file(), f"mkdocs_hybrid/{stage}/ is a package"
    assert ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))), f"{init} says what the stage owns"


def test_stages_do_not_reach_up_into_the_adapters() -> None:
    """The pipeline, the CLI and the plugin use the stages; no stage imports them."""
    adapters = {"mkdocs_hybrid.pipeline", "mkdocs_hybrid.cli", "mkdocs_hybrid.plugin"}
    graph = import_graph()
    upward = {(name, target) for name, targets in graph.items() for target in targets & adapters
              if name.split(".")[1:2] and name.split(".")[1] in STAGES}
    assert upward == set()


@pytest.mark.parametrize("module", ["mkdocs_hybrid", "mkdocs_hybrid.plugin", "mkdocs_hybrid.cli"])
def test_starting_the_plugin_or_cli_loads_no_deploy_client(module: str) -> None:
    """Every ``mkdocs build`` starts the plugin: the deploy stage's HTTP and S3 clients (httpx, boto3) load only
    when something deploys."""
    probe = (f"import sys, {module}\n"
             "names = ('httpx', 'boto3', 'botocore', 'mkdocs_hybrid.deploy')\n"
             "print(sorted(name for name in names if name in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"


def test_the_cli_uses_only_the_deploy_stages_public_names() -> None:
    tree = ast.parse((PACKAGE / "cli.py").read_text(encoding="utf-8"))
    private = [node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module
               and node.module.startswith("mkdocs_hybrid.deploy._")]
    assert private == []


# --- one site layout: only model/layout.py spells a folder name ------------------------------------------------

LAYOUT_MODULE = PACKAGE / "model" / "layout.py"
MAX_LINES = 500
PATH_CALLS = {"safe_join", "join", "joinpath", "Path", "PurePath", "PurePosixPath"}
"""Calls whose string arguments are path parts (``safe_join(site, "p", ...)``, ``os.path.join``, ``Path``)."""
STILL_SPELLED: dict[str, str] = {
    # A module that must spell a folder name for now, with why (none does: keep it that way).
}
"""Modules allowed to spell a folder name for now, each with why; an entry that spells none fails the test."""


def _layout_names() -> frozenset[str]:
    from mkdocs_hybrid.model.layout import FOLDERS

    return FOLDERS


def _path_positions(tree: ast.AST) -> set[int]:
    """The ids of the string constants that stand where a path part goes: in a path (``site / "p"``, a path
    call's argument), a comparison, a tuple or list, an assignment's or a return's value, an argument's default.
    Not a dictionary key, a subscript or another call's argument: there ``"vendor"`` is a JSON key."""
    found: set[int] = set()

    def add(*nodes: ast.AST | None) -> None:
        for node in nodes:
            if isinstance(node, (ast.Tuple, ast.List)):
                add(*node.elts)
            elif isinstance(node, ast.Constant):
                found.add(id(node))

    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            add(node.left, node.right)
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if name in PATH_CALLS:
                add(*node.args)
        elif isinstance(node, ast.Compare):
            add(node.left, *node.comparators)
        elif isinstance(node, (ast.Tuple, ast.List)):
            add(*node.elts)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.Return)):
            add(node.value)
        elif isinstance(node, ast.arguments):
            add(*node.defaults, *node.kw_defaults)
    return found


def layout_spellings(source: str, names: frozenset[str]) -> list[tuple[int, str]]:
    """``(line, text)`` of every string in ``source`` that spells one of the folder ``names``: one that holds it as
    a path segment (``"artifacts/"``, an f-string's ``"/p/"``, a route like ``"/vendor/*"``), or is exactly it
    where a path part goes (see :func:`_path_positions`). Docstrings are prose and may name folders."""
    tree = ast.parse(source)
    prose = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Expr)}
    positions = _path_positions(tree)
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Constant) or not isinstance(node.value, str) or id(node) in prose:
            continue
        text = node.value
        if ("/" in text and names & set(text.split("/"))) or (text in names and id(node) in positions):
            found.append((node.lineno, text))
    return sorted(found)


def test_the_layout_check_finds_a_folder_spelled_outside_the_layout() -> None:
    sample = '''
"""A docstring may name artifacts/ and p/."""
import os
ROOT = "artifacts"
share = f"{base}p/{thread}/"
vendor = site / "vendor"
gallery = os.path.join(site, "gallery")
trees = ("_u", other)
framed = name == "editor"
route = "/s/*"
latest = f"/{thread}/latest"
def folder(name="gallery"):
    return "p"
meta = {"vendor": 1}.get("vendor")
section = options(EditorOptions, "editor")
api = "/pages/assets/upload"
plural = "s" * 2
'''
    found = layout_spellings(sample, _layout_names())
    assert [line for line, _ in found] == [4, 5, 6, 7, 8, 9, 10, 11, 12, 13]


def test_the_layout_module_spells_every_folder_name_it_owns() -> None:
    """The check reads the layout module as it reads the others: it must find each name there."""
    names = _layout_names()
    assert {"artifacts", "p", "vendor", "_u", "gallery", "editor"} <= names
    spelled = {text for _, text in layout_spellings(LAYOUT_MODULE.read_text(encoding="utf-8"), names)}
    assert names <= spelled


def test_no_module_but_the_layout_spells_a_site_folder_name() -> None:
    names = _layout_names()
    spelled: dict[str, list[tuple[int, str]]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if path != LAYOUT_MODULE:
            found = layout_spellings(path.read_text(encoding="utf-8"), names)
            if found:
                spelled[path.relative_to(PACKAGE.parent).as_posix()] = found
    unexpected = {path: found for path, found in spelled.items() if path not in STILL_SPELLED}
    assert unexpected == {}, "use the names of mkdocs_hybrid/model/layout.py"
    assert sorted(set(STILL_SPELLED) - set(spelled)) == [], "these spell no folder name any more: drop them"


def test_no_module_is_over_500_lines() -> None:
    lengths = {path.relative_to(PACKAGE.parent).as_posix(): len(path.read_text(encoding="utf-8").splitlines())
               for path in PACKAGE.rglob("*.py")}
    assert lengths, "the package's modules were found"
    assert {path: count for path, count in lengths.items() if count > MAX_LINES} == {}
