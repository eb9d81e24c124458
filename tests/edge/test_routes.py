"""Fast tests of ``routes.write_routes``: files written, escaping, determinism, limits at scale.

The routing files are read back with small parsers that follow Cloudflare's
rules (the same ones wrangler 4.86 uses): comments and blank lines ignored, a
redirect source is dynamic if it holds ``*`` or a ``:placeholder``, and every
rule after the first dynamic one counts as dynamic. ``test_edge.py`` checks the
same files against the real asset server.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from mkdocs_hybrid.edge.cloudflare import DEFAULT_WORKER_THRESHOLD, write_routes
from mkdocs_hybrid.edge.headers import IMMUTABLE
from mkdocs_hybrid.edge.static import RoutesError
from mkdocs_hybrid.model.catalog import Catalog, ThreadEntry, VersionEntry
from mkdocs_hybrid.model.layout import LATEST_MAP

IMMUTABLE_VALUE = "public, max-age=31536000, immutable"


# --- catalog builders -------------------------------------------------------------


def make_version(version: str, *, title: str | None = None) -> VersionEntry:
    return VersionEntry(
        version=version,
        title=title or f"Version {version}",
        created=None,
        author=None,
        tags=(),
        entry="index.html",
        unlisted=False,
        build_key=f"key-{version}",
    )


def make_thread(
    thread_id: str,
    versions: tuple[str, ...] = ("v2", "v1"),
    *,
    latest: str | None = None,
    title: str | None = None,
    unlisted: bool = False,
) -> ThreadEntry:
    """A thread whose versions are given newest first; latest defaults to the newest."""
    return ThreadEntry(
        id=thread_id,
        title=title or f"Thread {thread_id}",
        description=None,
        tags=(),
        versions=tuple(make_version(version) for version in versions),
        latest=latest or versions[0],
        unlisted=unlisted,
    )


def make_catalog(*threads: ThreadEntry) -> Catalog:
    return Catalog(threads=tuple(threads))


# --- Cloudflare-style readers -----------------------------------------------------

PLACEHOLDER = re.compile(r":[A-Za-z]\w*")


@dataclass(frozen=True)
class ParsedHeaderRule:
    path: str
    detach: tuple[str, ...]
    headers: tuple[tuple[str, str], ...]


def significant_lines(text: str) -> list[str]:
    """Lines Cloudflare reads: stripped, without blank lines and ``#`` comments."""
    stripped = (line.strip() for line in text.split("\n"))
    return [line for line in stripped if line and not line.startswith("#")]


def parse_redirects(text: str) -> list[tuple[str, str, int]]:
    rules = []
    for line in significant_lines(text):
        tokens = re.sub(r"\s+#.*$", "", line).split()
        assert len(tokens) in (2, 3), f"malformed _redirects line: {line!r}"
        source, target, status = (*tokens, "302")[:3]
        rules.append((source, target, int(status)))
    return rules


def count_static_dynamic(sources: list[str]) -> tuple[int, int]:
    static = dynamic = 0
    for source in sources:
        if dynamic or "*" in source or PLACEHOLDER.search(source):
            dynamic += 1
        else:
            static += 1
    return static, dynamic


def parse_headers(text: str) -> list[ParsedHeaderRule]:
    rules: list[ParsedHeaderRule] = []
    path: str | None = None
    detach: list[str] = []
    headers: list[tuple[str, str]] = []
    for line in significant_lines(text) + ["/"]:  # a final path line flushes the last rule
        if line.startswith("/"):
            if path is not None:
                rules.append(ParsedHeaderRule(path, tuple(detach), tuple(headers)))
            path, detach, headers = line, [], []
        elif line.startswith("! "):
            detach.append(line[2:].strip())
        else:
            name, _, value = line.partition(":")
            assert value, f"malformed _headers line: {line!r}"
            headers.append((name.strip(), value.strip()))
    return rules


def rule_regex(path: str) -> re.Pattern[str]:
    """Cloudflare's matcher: ``*`` is a greedy splat, ``:name`` one path segment."""
    pattern = "(?P<splat>.*)".join(re.escape(part) for part in path.split("*"))
    pattern = re.sub(r":([A-Za-z]\w*)", r"(?P<\1>[^/]+)", pattern)
    return re.compile(f"^{pattern}$")


def response_headers(rules: list[ParsedHeaderRule], pathname: str) -> dict[str, str]:
    """Headers the asset server attaches: rules in order, ``!`` deletes, repeats join with ", "."""
    result: dict[str, str] = {}
    set_by_rules: set[str] = set()
    for rule in rules:
        if not rule_regex(rule.path).match(pathname):
            continue
        for name in rule.detach:
            result.pop(name.lower(), None)
        for name, value in rule.headers:
            key = name.lower()
            if key in set_by_rules and key in result:
                result[key] = f"{result[key]}, {value}"
            else:
                result[key] = value
                set_by_rules.add(key)
    return result


def files_under(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


ARTIFACT_PAGE_REWRITES = [(f"/artifacts/:thread/:version/{name}.html", f"/artifacts/:thread/:version/{name}", 200)
                          for name in ("page", "diff", "email")]
"""Serve page.html and the derived pages (a version's diff, its email card) without the 308 Pages gives ``.html``
URLs (see test_edge.py)."""

LATEST_META = re.compile(r'<meta name="mkdocs-hybrid-latest" content="([^"]+)">')


# --- tests --------------------------------------------------------------------------


def test_writes_only_its_own_files(tmp_path: Path) -> None:
    catalog = make_catalog(make_thread("alpha"), make_thread("beta", unlisted=True))

    summary = write_routes(tmp_path, catalog)

    assert sorted(files_under(tmp_path)) == [  # no latest link for the unlisted beta: it would name it
        "404.html",
        "_headers",
        "_redirects",
        "p/alpha/latest/index.html",
    ]
    assert "beta" not in (tmp_path / "_redirects").read_text()
    assert summary.mode == "redirects"
    assert summary.latest_pages == 1
    assert summary.worker_route_rules == 0


def test_latest_page_points_relatively_at_the_latest_version(tmp_path: Path) -> None:
    write_routes(tmp_path, make_catalog(make_thread("alpha", ("v3", "v2", "v1"))))

    page = (tmp_path / "p/alpha/latest/index.html").read_text()

    assert '<meta http-equiv="refresh" content="0; url=../v3/">' in page
    assert '<link rel="canonical" href="../v3/">' in page
    assert '<a href="../v3/">' in page
    assert '<meta name="robots" content="noindex">' in page
    assert LATEST_META.findall(page) == ["v3"]
    assert "/p/" not in page, "links must stay relative so the page works under a subpath"


def test_pinned_latest_wins_over_newest(tmp_path: Path) -> None:
    write_routes(tmp_path, make_catalog(make_thread("alpha", ("v3", "v2", "v1"), latest="v2")))

    assert LATEST_META.findall((tmp_path / "p/alpha/latest/index.html").read_text()) == ["v2"]
    assert ("/p/alpha/latest", "/p/alpha/v2/", 302) in parse_redirects((tmp_path / "_redirects").read_text())


def test_titles_are_html_escaped(tmp_path: Path) -> None:
    title = '<script>alert("x")</script> & \'quotes\''
    thread = ThreadEntry(
        id="alpha",
        title=title,
        description=None,
        tags=(),
        versions=(make_version("v1", title='"><img src=x onerror=alert(1)>'),),
        latest="v1",
        unlisted=False,
    )

    write_routes(tmp_path, make_catalog(thread))
    page = (tmp_path / "p/alpha/latest/index.html").read_text()

    assert "<script>" not in page
    assert "<img" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#39;quotes&#39;" in page


def test_redirect_rules_cover_both_latest_paths_sorted_by_thread(tmp_path: Path) -> None:
    catalog = make_catalog(make_thread("zeta", ("b", "a")), make_thread("alpha", ("v9",)))

    write_routes(tmp_path, catalog)

    assert parse_redirects((tmp_path / "_redirects").read_text()) == [
        ("/p/alpha/latest", "/p/alpha/v9/", 302),
        ("/p/alpha/latest/", "/p/alpha/v9/", 302),
        ("/p/zeta/latest", "/p/zeta/b/", 302),
        ("/p/zeta/latest/", "/p/zeta/b/", 302),
        *ARTIFACT_PAGE_REWRITES,
    ]


@pytest.mark.parametrize(
    ("pathname", "cache_control"),
    [
        ("/artifacts/alpha/v1/page.html", IMMUTABLE_VALUE),
        ("/artifacts/alpha/v1/style.css", IMMUTABLE_VALUE),
        ("/p/alpha/v1/", IMMUTABLE_VALUE),
        ("/p/alpha/v1/index.html", IMMUTABLE_VALUE),
        ("/p/alpha/latest", "no-cache"),
        ("/p/alpha/latest/", "no-cache"),
        ("/p/alpha/latest/index.html", "no-cache"),
        ("/gallery/", None),
    ],
)
def test_headers_give_one_cache_control_per_path(tmp_path: Path, pathname: str, cache_control: str | None) -> None:
    write_routes(tmp_path, make_catalog(make_thread("alpha")))

    headers = response_headers(parse_headers((tmp_path / "_headers").read_text()), pathname)

    assert headers.get("cache-control") == cache_control


def test_artifacts_are_nosniff(tmp_path: Path) -> None:
    write_routes(tmp_path, make_catalog(make_thread("alpha")))

    headers = response_headers(parse_headers((tmp_path / "_headers").read_text()), "/artifacts/alpha/v1/meta.json")

    assert headers["x-content-type-options"] == "nosniff"
    assert IMMUTABLE == IMMUTABLE_VALUE


def test_not_found_page_links_the_gallery_root_absolute(tmp_path: Path) -> None:
    write_routes(tmp_path, make_catalog(make_thread("alpha")))
    assert '<a href="/gallery/">' in (tmp_path / "404.html").read_text()

    write_routes(tmp_path, make_catalog(make_thread("alpha")), gallery_url="/demos/gallery/")
    assert '<a href="/demos/gallery/">' in (tmp_path / "404.html").read_text()


@pytest.mark.parametrize("worker_threshold", [DEFAULT_WORKER_THRESHOLD, 0])
def test_output_is_deterministic(tmp_path: Path, worker_threshold: int) -> None:
    threads = [make_thread(f"t{index:02d}", ("v2", "v1"), title=f"Ünïcode {index}") for index in range(12)]

    write_routes(tmp_path / "one", make_catalog(*threads), worker_threshold=worker_threshold)
    write_routes(tmp_path / "two", make_catalog(*reversed(threads)), worker_threshold=worker_threshold)

    assert files_under(tmp_path / "one") == files_under(tmp_path / "two")


def test_unchanged_files_are_not_rewritten(tmp_path: Path) -> None:
    catalog = make_catalog(make_thread("alpha"))
    write_routes(tmp_path, catalog)
    before = {path: path.stat().st_mtime_ns for path in tmp_path.rglob("*") if path.is_file()}
    for path in before:
        os.utime(path, ns=(1, 1))

    write_routes(tmp_path, catalog)

    assert all(path.stat().st_mtime_ns == 1 for path in before)


def test_worker_mode_can_be_forced_on_a_small_site(tmp_path: Path) -> None:
    summary = write_routes(tmp_path, make_catalog(make_thread("alpha")), worker_threshold=0)

    assert summary.mode == "worker"
    assert parse_redirects((tmp_path / "_redirects").read_text()) == ARTIFACT_PAGE_REWRITES
    assert (tmp_path / "_worker.js").is_file()
    assert_valid_routes_json(tmp_path / "_routes.json")
    assert summary.worker_route_rules == len(json.loads((tmp_path / "_routes.json").read_text())["include"])


def test_worker_regex_reads_what_the_latest_template_writes(tmp_path: Path) -> None:
    write_routes(tmp_path, make_catalog(make_thread("a.b_c-1", ("2024.01.02-rc_1",))), worker_threshold=0)

    worker_meta = worker_latest_meta_regex(tmp_path / "_worker.js")
    page = (tmp_path / "p/a.b_c-1/latest/index.html").read_text()

    assert [match.group(1) for match in worker_meta.finditer(page)] == ["2024.01.02-rc_1"]


def test_switching_back_to_redirects_removes_generated_worker_files(tmp_path: Path) -> None:
    catalog = make_catalog(make_thread("alpha"))
    write_routes(tmp_path, catalog, worker_threshold=0)

    summary = write_routes(tmp_path, catalog)

    assert summary.mode == "redirects"
    assert not (tmp_path / "_worker.js").exists()
    assert not (tmp_path / "_routes.json").exists()


def test_a_hand_written_worker_is_not_overwritten(tmp_path: Path) -> None:
    (tmp_path / "_worker.js").write_text("export default { fetch() { return new Response('mine') } }\n")

    with pytest.raises(RoutesError, match="hand-written worker"):
        write_routes(tmp_path, make_catalog(make_thread("alpha")), worker_threshold=0)
    assert not (tmp_path / "_redirects").exists(), "nothing is written when the worker is refused"
    write_routes(tmp_path, make_catalog(make_thread("alpha")))  # redirects mode leaves it alone

    assert "mine" in (tmp_path / "_worker.js").read_text()


@pytest.mark.parametrize("worker_threshold", [-1, DEFAULT_WORKER_THRESHOLD + 1])
def test_threshold_outside_cloudflare_limits_is_refused(tmp_path: Path, worker_threshold: int) -> None:
    with pytest.raises(RoutesError, match="worker_threshold"):
        write_routes(tmp_path, make_catalog(make_thread("alpha")), worker_threshold=worker_threshold)


@pytest.mark.parametrize(
    "thread",
    [
        make_thread("has space"),
        make_thread("latest"),
        make_thread("alpha", ("v2", "v1"), latest="v7"),
        make_thread("alpha", ("latest", "v1")),
    ],
    ids=["space-in-id", "reserved-thread-id", "latest-not-built", "reserved-version-id"],
)
def test_ids_that_would_corrupt_routes_are_refused(tmp_path: Path, thread: ThreadEntry) -> None:
    with pytest.raises(RoutesError):
        write_routes(tmp_path, make_catalog(thread))
    assert not (tmp_path / "_redirects").exists()


def test_default_threshold_is_the_static_rule_limit(tmp_path: Path) -> None:
    threads = [make_thread(f"t{index:04d}", ("v1",)) for index in range(DEFAULT_WORKER_THRESHOLD + 1)]

    at_limit = write_routes(tmp_path / "at", make_catalog(*threads[:-1]))
    over_limit = write_routes(tmp_path / "over", make_catalog(*threads))

    sources = [source for source, _, _ in parse_redirects((tmp_path / "at/_redirects").read_text())]
    assert at_limit.mode == "redirects"
    assert count_static_dynamic(sources) == (2_000, 3)
    assert (at_limit.static_redirect_rules, at_limit.dynamic_redirect_rules) == (2_000, 3)
    assert_static_rules_first(sources)
    assert over_limit.mode == "worker"


def test_ten_thousand_threads_stay_within_cloudflare_limits(tmp_path: Path) -> None:
    versions = ("v4", "v3", "v2", "v1")
    threads = [
        make_thread(f"thread-{index:05d}", versions, latest=versions[index % len(versions)], unlisted=index % 7 == 0)
        for index in range(10_000)
    ]

    summary = write_routes(tmp_path, make_catalog(*threads))

    assert summary.mode == "worker"
    header_rules = parse_headers((tmp_path / "_headers").read_text())
    assert len(header_rules) <= 100 and summary.header_rules == len(header_rules)
    sources = [source for source, _, _ in parse_redirects((tmp_path / "_redirects").read_text())]
    static, dynamic = count_static_dynamic(sources)
    assert static <= 2_000 and dynamic <= 100
    assert_static_rules_first(sources)
    assert (summary.static_redirect_rules, summary.dynamic_redirect_rules) == (static, dynamic)
    assert_valid_routes_json(tmp_path / "_routes.json")
    worker_meta = worker_latest_meta_regex(tmp_path / "_worker.js")
    for thread in threads:
        latest_page = tmp_path / "p" / thread.id / "latest" / "index.html"
        if thread.unlisted:
            assert not latest_page.exists(), thread.id
            continue
        found = worker_meta.search(latest_page.read_text())
        assert found is not None and found.group(1) == thread.latest, thread.id


# --- helpers for worker mode ----------------------------------------------------------


def worker_latest_meta_regex(worker_js: Path) -> re.Pattern[str]:
    """The ``LATEST_META`` regex literal from the generated worker, compiled for Python.

    The literal uses only syntax that means the same in both engines.
    """
    literal = re.search(r"^const LATEST_META = /(.*)/;$", worker_js.read_text(), re.MULTILINE)
    assert literal is not None, "_worker.js has no LATEST_META regex"
    return re.compile(literal.group(1).replace("\\/", "/"))


def assert_static_rules_first(sources: list[str]) -> None:
    """No static-looking source after a dynamic one (Cloudflare would count it as dynamic)."""
    looks_dynamic = ["*" in source or PLACEHOLDER.search(source) is not None for source in sources]
    first_dynamic = looks_dynamic.index(True) if True in looks_dynamic else len(sources)
    assert all(looks_dynamic[first_dynamic:]), "a static rule follows a dynamic one"


def assert_valid_routes_json(path: Path) -> None:
    """The checks wrangler (and the Pages API) apply to ``_routes.json``."""
    spec = json.loads(path.read_text())
    include, exclude = spec["include"], spec["exclude"]
    assert spec["version"] == 1
    assert include, "at least one include rule"
    assert len(include) + len(exclude) <= 100
    for rule in include + exclude:
        assert rule.startswith("/") and len(rule) <= 100, rule
    for rules in (include, exclude):
        for splat_rule in (rule for rule in rules if rule.endswith("/*")):
            prefix = splat_rule[:-1]
            assert not [rule for rule in rules if rule != splat_rule and rule.startswith(prefix)], "overlapping rules"


# --- artifact store mode: signed links and vendor files at the edge -------------------------------------


@pytest.mark.parametrize("threshold", [DEFAULT_WORKER_THRESHOLD, 0])
def test_signed_links_add_s_and_vendor_to_the_worker_in_either_mode(tmp_path: Path, threshold: int) -> None:
    """The artifact store mode always has a worker; it answers latest too, from each listed thread's fallback
    page (the deploy puts it in R2, where a publisher moves it without a deploy), and the share and thread pages
    held in R2 (``/p/*`` covers the latest routes: wrangler refuses overlapping rules), and the signed history's
    files (``/gallery/*`` covers each thread's ``history.json``; the keys and the index by their own paths);
    Pages alone answers the gallery index and its assets."""
    summary = write_routes(tmp_path, make_catalog(make_thread("alpha", ("v2", "v1")), make_thread(
        "quiet", unlisted=True)), worker_threshold=threshold, signed_links=True)

    spec = json.loads((tmp_path / "_routes.json").read_text())
    routes = spec["include"]
    worker = (tmp_path / "_worker.js").read_text()
    assert routes == ["/s/*", "/vendor/*", "/p/*", "/gallery/*", "/.well-known/mkdocs-hybrid-keys.json",
                      "/.well-known/mkdocs-hybrid-history.json"]
    assert spec["exclude"] == ["/gallery/", "/gallery/page/*", "/gallery/assets/*", "/gallery/threads.*"]
    assert_valid_routes_json(tmp_path / "_routes.json")
    assert summary.worker_route_rules == len(routes) + len(spec["exclude"]) and summary.latest_pages == 1
    assert "const SIGNED = true;" in worker and "env.UNLISTED.get" in worker and "env.ARTIFACTS.get" in worker
    assert "const LATEST = true;" in worker and "env.ARTIFACTS.get(`p/${thread}/latest/index.html`)" in worker
    assert "crypto.subtle.verify" in worker and "env.SHARE_KEYS" in worker
    assert sorted(files_under(tmp_path / "p")) == ["alpha/latest/index.html"]  # the unlisted thread: none
    assert 'content="v2"' in (tmp_path / "p/alpha/latest/index.html").read_text()
    assert "alpha" not in (tmp_path / "_redirects").read_text()


def test_the_artifact_store_modes_latest_page_is_the_default_modes_and_no_latest_map_is_left(
        tmp_path: Path) -> None:
    """Issue 22: the artifact store mode no longer writes ``p/_latest.json``; a build removes an earlier one
    (nothing would read it) and writes the fallback page the default mode writes, byte for byte."""
    catalog = make_catalog(make_thread("alpha", ("v2", "v1")))
    (tmp_path / "store/p").mkdir(parents=True)
    (tmp_path / "store/p" / LATEST_MAP).write_text('{"alpha":"v1"}\n')

    write_routes(tmp_path / "store", catalog, signed_links=True)
    write_routes(tmp_path / "default", catalog)

    assert not (tmp_path / "store/p" / LATEST_MAP).exists()
    latest = "p/alpha/latest/index.html"
    assert (tmp_path / "store" / latest).read_bytes() == (tmp_path / "default" / latest).read_bytes()


def test_the_artifact_store_modes_worker_reads_latest_from_r2_and_the_default_modes_from_pages(
        tmp_path: Path) -> None:
    write_routes(tmp_path / "default", make_catalog(make_thread("alpha")), worker_threshold=0)
    write_routes(tmp_path / "store", make_catalog(make_thread("alpha")), signed_links=True)

    default, store = ((tmp_path / name / "_worker.js").read_text() for name in ("default", "store"))
    read_from_pages = "await env.ASSETS.fetch(new URL(`/p/${thread}/latest/`, url.origin))"
    assert read_from_pages in default and "env.ARTIFACTS" not in default
    assert read_from_pages not in store and "_latest.json" not in store


def test_the_signed_worker_is_the_same_for_every_catalog(tmp_path: Path) -> None:
    write_routes(tmp_path / "a", make_catalog(make_thread("alpha")), signed_links=True)
    write_routes(tmp_path / "b", make_catalog(make_thread("beta", ("v9",)), make_thread("quiet", unlisted=True)),
                 signed_links=True)

    assert (tmp_path / "a/_worker.js").read_bytes() == (tmp_path / "b/_worker.js").read_bytes()


def test_leaving_the_artifact_store_mode_removes_the_signed_worker(tmp_path: Path) -> None:
    catalog = make_catalog(make_thread("alpha"))
    write_routes(tmp_path, catalog, signed_links=True)

    write_routes(tmp_path, catalog)

    assert not (tmp_path / "_worker.js").exists() and not (tmp_path / "_routes.json").exists()


def test_signed_links_refuse_to_replace_a_hand_written_worker(tmp_path: Path) -> None:
    (tmp_path / "_worker.js").write_text("export default { fetch() { return new Response('mine') } }\n")

    with pytest.raises(RoutesError, match="hand-written worker"):
        write_routes(tmp_path, make_catalog(make_thread("alpha")), signed_links=True)


def test_the_default_modes_worker_never_looks_pages_up_in_r2(tmp_path: Path) -> None:
    """Issue 22, item 2 serves share and thread pages from R2 in the artifact store mode only: a default-mode
    site past the worker threshold keeps the worker it had (latest redirects, then the static assets)."""
    write_routes(tmp_path / "default", make_catalog(make_thread("alpha")), worker_threshold=0)
    write_routes(tmp_path / "store", make_catalog(make_thread("alpha")), signed_links=True)

    default = (tmp_path / "default/_worker.js").read_text()
    assert "storedPage" not in default and "env.ARTIFACTS" not in default
    assert "    return env.ASSETS.fetch(request);\n  },\n};" in default
    assert "await storedPage(env, request, url)" in (tmp_path / "store/_worker.js").read_text()
    assert json.loads((tmp_path / "default/_routes.json").read_text())["exclude"] == []
