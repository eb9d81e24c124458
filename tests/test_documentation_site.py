"""The project's documentation is a MkDocs site (``documentation/mkdocs.yml``), built here with ``--strict`` as CI
builds it: the README's test command is all CI runs, so this test is the docs build. The README keeps the short
path and links every page of the site."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "documentation" / "mkdocs.yml"
PAGES = ROOT / "documentation" / "docs"


def nav_pages() -> dict[str, str]:
    """The site's nav: page file -> its title in the nav."""
    nav = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))["nav"]
    return {page: title for entry in nav for title, page in entry.items()}


def build(config: Path, site: Path) -> subprocess.CompletedProcess[str]:
    # No -q: MkDocs' --strict counts only the warnings it logs, and -q drops them (a broken link would pass).
    return subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(config), "-d", str(site)],
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The documentation site, built once with ``--strict``."""
    site = tmp_path_factory.mktemp("documentation") / "site"
    result = build(CONFIG, site)
    assert result.returncode == 0, result.stderr
    return site


def html_of(site: Path, page: str) -> str:
    html = site / ("index.html" if page == "index.md" else f"{page.removesuffix('.md')}/index.html")
    assert html.is_file(), page
    return html.read_text(encoding="utf-8")


def test_the_documentation_site_builds_with_strict_and_has_a_page_for_every_nav_entry(site: Path) -> None:
    for page, title in nav_pages().items():
        assert f">{title}<" in html_of(site, page), f"{page}: no nav entry {title!r}"


def test_no_page_shows_a_list_as_one_run_of_text(site: Path) -> None:
    """Python-Markdown (MkDocs) wants a blank line before a list and 4-space nesting, where GitHub takes less: a
    list written GitHub's way renders as a paragraph with "- " in it, or flat."""
    swallowed = {page: block[:60] for page in nav_pages()
                 for block in re.findall(r"<(?:p|li)>(.*?)</(?:p|li)>", html_of(site, page), re.DOTALL)
                 if re.search(r"\n\s*[-*] ", block)}
    assert swallowed == {}


def test_every_page_in_the_docs_folder_is_in_the_nav() -> None:
    assert sorted(path.name for path in PAGES.glob("*.md")) == sorted(nav_pages())


def test_a_broken_link_between_pages_fails_the_strict_build(tmp_path: Path) -> None:
    copy = tmp_path / "documentation"
    shutil.copytree(CONFIG.parent, copy, ignore=shutil.ignore_patterns("site"))
    with (copy / "docs" / "editor.md").open("a", encoding="utf-8") as page:
        page.write("\nSee [the old section](no-such-page.md).\n")
    result = build(copy / "mkdocs.yml", tmp_path / "site")
    assert result.returncode != 0
    assert "editor.md" in result.stderr and "no-such-page.md" in result.stderr


def test_the_readme_links_every_reference_page_and_each_link_exists() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    linked = re.findall(r"\]\((documentation/docs/[^)#]+)", readme)
    assert all((ROOT / link).is_file() for link in linked), linked
    assert {Path(link).name for link in linked} >= set(nav_pages()) - {"index.md"}


def test_the_readme_still_opens_with_the_two_commands_a_newcomer_and_ci_run() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Two commands\n", 1)[1].split("\n## ", 1)[0]
    assert "\nbash scripts/install.sh && .venv/bin/mkdocs serve\n" in section
    assert "\nbash scripts/install.sh && .venv/bin/python -m pytest\n" in section
    assert readme.index("## Two commands") < readme.index("## Reference")
