"""The ``vercel`` deploy target: the Build Output API v3 it writes, checked by Vercel's own routing library
(``@vercel/routing-utils`` from npm) and served through :class:`VercelRouter`, a small server that applies the
written routes over the written ``static/`` folder; its refusals; its bytes."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.client import HTTPResponse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from click.testing import CliRunner

import mkdocs_hybrid.deploy.vercel as vercel_module
from mkdocs_hybrid.config.manifest import load_manifest
from mkdocs_hybrid.deploy.targets import DeployRequest, deploy_target, run_deploy
from mkdocs_hybrid.deploy.vercel import TARGET, VercelOptions
from mkdocs_hybrid.edge.headers import HEADER_RULES, IMMUTABLE, render_headers
from mkdocs_hybrid.edge.sandbox import DEMO_CSP
from mkdocs_hybrid.edge.static import RoutesError
from mkdocs_hybrid.edge.vercel import CONFIG_FILE, MAX_ROUTES, render_config, vercel_config, write_vercel_edge
from mkdocs_hybrid.model.errors import HybridError, ManifestError
from tests.edge.test_routes import make_catalog, make_thread, parse_headers, response_headers
from tests.factory import build_standalone, write_tree

REPO = Path(__file__).resolve().parents[2]
ROUTING_UTILS = REPO / "node_modules" / "@vercel" / "routing-utils"

# Vercel's routing library: normalizeRoutes (what the platform runs on a deployment's routes: regex syntax,
# handle phases, redirect and header shapes) and the routes JSON schema it publishes (keys and value types).
VALIDATE_JS = r"""
const fs = require("fs");
const utils = require("@vercel/routing-utils");
const Ajv = require(require.resolve("ajv", {paths: [require.resolve("@vercel/routing-utils")]}));
const config = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
if (config.version !== 3) { console.error("version is not 3"); process.exit(1); }
const ajv = new Ajv();
if (!ajv.validate(utils.routesSchema, config.routes)) { console.error(ajv.errorsText()); process.exit(1); }
const normalized = utils.normalizeRoutes(config.routes);
if (normalized.error) { console.error(JSON.stringify(normalized.error)); process.exit(1); }
console.log(`ok ${normalized.routes.length} routes`);
"""


def validate_with_vercel(config: Path) -> subprocess.CompletedProcess[str]:
    node = shutil.which("node")
    assert node, "node is missing: run scripts/install.sh"
    assert ROUTING_UTILS.is_dir(), "node_modules/@vercel/routing-utils is missing: run scripts/install.sh (npm ci)"
    return subprocess.run([node, "-e", VALIDATE_JS, str(config)], capture_output=True, text=True, cwd=REPO,
                          timeout=60)


class VercelRouter(BaseHTTPRequestHandler):
    """Answers GET from a Build Output folder the way Vercel's router does, for the subset this site's routes use.

    Implemented: routes in order until ``{"handle": "filesystem"}``, each ``src`` an anchored regex matched
    against the request's path as sent (case-insensitively unless ``caseSensitive``); a matching route's
    ``headers`` merge into the response (a later route's value replaces an earlier one's, names compared
    case-insensitively); a ``continue`` route goes on, a route with a 3xx ``status`` answers it at once (with the
    headers so far, ``Location`` among them). Then the filesystem: ``static/`` + the decoded path, a folder's
    ``index.html``. Nothing found: the ``{"handle": "error"}`` phase's routes (``status`` + ``dest``), else a bare
    404. Not implemented: ``dest`` rewrites before the filesystem, ``has``/``missing``, ``methods``, middleware,
    functions, other phases (``miss``, ``rewrite``, ``hit``), ``cleanUrls``/``trailingSlash``.
    """

    output: Path

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        main, errors = _phases(json.loads((self.output / "config.json").read_bytes())["routes"])
        headers: dict[str, tuple[str, str]] = {}
        for route in main:
            if not _matches(route, path):
                continue
            headers.update({name.lower(): (name, value) for name, value in route.get("headers", {}).items()})
            if 300 <= route.get("status", 0) < 400:
                return self._answer(route["status"], headers, b"")
            if not route.get("continue"):
                break
        found = self._file(unquote(path))
        if found is not None:
            return self._answer(200, headers, found.read_bytes())
        for route in errors:
            if _matches(route, path):
                body = self._file(route["dest"])
                return self._answer(route["status"], headers, body.read_bytes() if body else b"")
        return self._answer(404, headers, b"")

    def _file(self, path: str) -> Path | None:
        static = (self.output / "static").resolve()
        candidate = (static / path.lstrip("/")).resolve()
        if not candidate.is_relative_to(static):
            return None
        if candidate.is_dir():
            candidate = candidate / "index.html"
        return candidate if candidate.is_file() else None

    def _answer(self, status: int, headers: dict[str, tuple[str, str]], body: bytes) -> None:
        self.send_response(status)
        for name, value in headers.values():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


def _phases(routes: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    handles = [route.get("handle") for route in routes]
    main = routes[:handles.index("filesystem")]
    errors = routes[handles.index("error") + 1:] if "error" in handles else []
    return main, errors


def _matches(route: dict[str, Any], path: str) -> bool:
    flags = 0 if route.get("caseSensitive") else re.IGNORECASE
    return "src" in route and re.search(route["src"], path, flags) is not None


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def get(base: str, path: str) -> tuple[int, dict[str, str], bytes]:
    opener = urllib.request.build_opener(_NoRedirects)
    try:
        response: HTTPResponse = opener.open(base + path, timeout=10)
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers.items()), error.read()
    return response.status, dict(response.headers.items()), response.read()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A site built for Vercel and deployed (``.vercel/output`` written), served by :class:`VercelRouter`."""
    site = build_site(tmp_path)
    run_deploy(TARGET, VercelOptions(), DeployRequest(site))
    output = tmp_path / ".vercel" / "output"
    handler = type("Router", (VercelRouter,), {"output": output})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", output
    finally:
        server.shutdown()
        server.server_close()


def build_site(project: Path) -> Path:
    write_tree(project / "demos", {"t/v1/index.html": "<p>one</p>", "t/v2/index.html": "<p>two</p>",
                                   "u/a/index.html": "<p>a</p>"})
    return build_standalone(project, deploy={"target": "vercel"})


# --- what Vercel's routing library says ------------------------------------------------


def test_the_written_config_passes_vercels_own_routing_library(served: tuple[str, Path]) -> None:
    _, output = served
    checked = validate_with_vercel(output / "config.json")
    assert checked.returncode == 0, checked.stderr
    config = json.loads((output / "config.json").read_bytes())
    assert checked.stdout.strip() == f"ok {len(config['routes'])} routes"
    assert config["version"] == 3 and {"handle": "filesystem"} in config["routes"]


def test_the_routing_library_check_fails_on_a_broken_route(tmp_path: Path) -> None:
    broken = tmp_path / "config.json"
    broken.write_text(json.dumps({"version": 3, "routes": [{"src": "^/(unclosed$", "continue": True}]}))
    checked = validate_with_vercel(broken)
    assert checked.returncode == 1 and "unclosed" in checked.stderr


@pytest.mark.parametrize("threads", [MAX_ROUTES - len(HEADER_RULES) - 3, MAX_ROUTES])
def test_many_threads_stay_within_vercels_route_limit(tmp_path: Path, threads: int) -> None:
    """While one route per thread fits, each thread gets its 302; past it the fallback pages answer latest (the
    count is ours to keep: Vercel's schema does not bound a Build Output's routes)."""
    catalog = make_catalog(*(make_thread(f"t{number:05d}") for number in range(threads)))
    config = vercel_config(tuple(catalog.threads))
    path = tmp_path / "config.json"
    path.write_text(render_config(config), encoding="utf-8")
    checked = validate_with_vercel(path)
    assert checked.returncode == 0, checked.stderr
    fitting = threads + len(HEADER_RULES) + 3 <= MAX_ROUTES
    assert len(config["routes"]) == (MAX_ROUTES if fitting else len(HEADER_RULES) + 3)


# --- served as Vercel serves it ------------------------------------------------------


def test_every_share_link_answers_with_the_headers_cloudflare_gives_it(served: tuple[str, Path]) -> None:
    base, output = served
    cloudflare = parse_headers(render_headers(HEADER_RULES))
    paths = ["/" + path.relative_to(output / "static").as_posix() for path in (output / "static").rglob("*")
             if path.is_file()]
    paths += ["/p/t/v1/", "/p/t/v2/", "/p/u/a/", "/gallery/", "/editor/", "/gallery/t/"]
    for path in sorted(paths):
        status, headers, _ = get(base, path)
        assert status == 200, path
        expected = response_headers(cloudflare, path)  # names in lower case
        edge = {name.lower(): value for name, value in headers.items()
                if name.lower() not in {"content-length", "server", "date"}}
        assert edge == expected, path


def test_artifacts_are_immutable_and_sandboxed_and_the_gallery_refuses_frames(served: tuple[str, Path]) -> None:
    base, _ = served
    _, page, _ = get(base, "/artifacts/t/v1/page.html")
    assert page["Cache-Control"] == IMMUTABLE and page["Content-Security-Policy"] == DEMO_CSP
    assert "X-Frame-Options" not in page  # a demo may be embedded anywhere
    _, share, _ = get(base, "/p/t/v1/")
    assert share["Cache-Control"] == IMMUTABLE and "X-Frame-Options" not in share
    _, gallery, _ = get(base, "/gallery/")
    assert gallery["X-Frame-Options"] == "DENY" and gallery["Content-Security-Policy"] == "frame-ancestors 'none'"


@pytest.mark.parametrize("path", ["/p/t/latest", "/p/t/latest/"])
def test_latest_answers_302_to_the_threads_latest_version(served: tuple[str, Path], path: str) -> None:
    base, _ = served
    status, headers, _ = get(base, path)
    assert (status, headers["Location"], headers["Cache-Control"]) == (302, "/p/t/v2/", "no-cache")
    assert get(base, "/p/u/latest")[1]["Location"] == "/p/u/a/"


def test_an_unknown_path_answers_the_404_page(served: tuple[str, Path]) -> None:
    base, output = served
    status, _, body = get(base, "/p/nothing/here/")
    assert status == 404 and body == (output / "static" / "404.html").read_bytes()


# --- the deployment: what it writes and what it refuses ------------------------------


def test_the_output_holds_the_site_and_the_config_and_names_the_command(tmp_path: Path) -> None:
    site = build_site(tmp_path)
    outcome = run_deploy(TARGET, VercelOptions(prod=True), DeployRequest(site))
    output = tmp_path / ".vercel" / "output"
    static = sorted(path.relative_to(output / "static").as_posix() for path in (output / "static").rglob("*")
                    if path.is_file())
    site_files = sorted(path.relative_to(site).as_posix() for path in site.rglob("*") if path.is_file())
    assert static == [name for name in site_files if name != CONFIG_FILE]
    assert (output / "config.json").read_bytes() == (site / CONFIG_FILE).read_bytes()
    command = f"vercel deploy --prebuilt --prod --cwd {tmp_path.resolve()}"
    assert outcome.summary() == (f"vercel: wrote {output.resolve()} ({len(static) + 1} files, "
                                 f"{outcome.to_dict()['routes']} routes); next: {command}")
    assert outcome.to_dict()["command"] == command and outcome.refusal() is None


def test_the_same_site_gives_the_same_bytes(tmp_path: Path) -> None:
    outputs = []
    for name in ("one", "two"):
        site = build_site(tmp_path / name)
        run_deploy(TARGET, VercelOptions(), DeployRequest(site))
        output = tmp_path / name / ".vercel" / "output"
        outputs.append({path.relative_to(output).as_posix(): path.read_bytes() for path in output.rglob("*")
                        if path.is_file()})
    assert outputs[0] == outputs[1]
    assert outputs[0]["config.json"] == render_config(json.loads(outputs[0]["config.json"])).encode()


def test_a_dry_run_writes_nothing(tmp_path: Path) -> None:
    site = build_site(tmp_path)
    outcome = run_deploy(TARGET, VercelOptions(), DeployRequest(site, dry_run=True))
    assert outcome.summary().startswith(f"vercel: would write {(tmp_path / '.vercel' / 'output').resolve()} (")
    assert not (tmp_path / ".vercel").exists()


def test_more_files_than_vercel_uploads_one_by_one_is_refused_before_any_write(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = build_site(tmp_path)
    files = sum(1 for path in site.rglob("*") if path.is_file())  # the config file counts as config.json
    monkeypatch.setattr(vercel_module, "MAX_UPLOAD_FILES", files - 1)
    with pytest.raises(HybridError) as raised:
        run_deploy(TARGET, VercelOptions(), DeployRequest(site))
    assert str(raised.value) == (f"{site}: {files:,} files to upload, over the {files - 1:,} that vercel deploy "
                                 "sends one by one: set deploy.vercel.archive: true to deploy with vercel deploy "
                                 "--prebuilt --archive=tgz")
    assert not (tmp_path / ".vercel").exists()
    outcome = run_deploy(TARGET, VercelOptions(archive=True), DeployRequest(site))
    assert outcome.summary().endswith(f"next: vercel deploy --prebuilt --archive=tgz --cwd {tmp_path.resolve()}")


def test_too_many_routes_are_refused_before_any_write(tmp_path: Path) -> None:
    site = build_site(tmp_path)
    (site / CONFIG_FILE).write_text(json.dumps({"version": 3, "routes": [{"handle": "filesystem"}] * 2049}))
    with pytest.raises(HybridError, match=r"^.*_vercel_output_config\.json: 2,049 routes, over Vercel's 2,048 "):
        run_deploy(TARGET, VercelOptions(), DeployRequest(site, dry_run=True))
    assert not (tmp_path / ".vercel").exists()


def test_a_site_not_built_for_vercel_is_refused(tmp_path: Path) -> None:
    (tmp_path / "site").mkdir()
    with pytest.raises(HybridError, match=r"_vercel_output_config\.json: missing: build the site with "
                                          r"deploy\.target: vercel first$"):
        run_deploy(TARGET, VercelOptions(), DeployRequest(tmp_path / "site"))


def test_the_artifact_store_mode_is_refused_in_the_manifest_the_plan_and_the_edge(tmp_path: Path) -> None:
    (tmp_path / "demos").mkdir()
    path = tmp_path / "hybrid.yml"
    path.write_text("sources: [{type: directory, path: demos}]\ndeploy: {target: vercel, vercel: {artifacts: r2}}\n")
    with pytest.raises(ManifestError) as raised:
        load_manifest(path)
    assert str(raised.value) == (f"{path}: deploy.vercel.artifacts must be pages, not 'r2': the artifact store "
                                 "mode's signed links are answered by Cloudflare's edge worker, which Vercel does "
                                 "not run (deploy to cloudflare-pages for artifacts: r2)")
    with pytest.raises(ManifestError, match=r"deploy\.vercel\.artifacts must be pages"):
        TARGET.plan(VercelOptions(artifacts="r2"), DeployRequest(tmp_path))
    with pytest.raises(RoutesError, match="signed links"):
        write_vercel_edge(tmp_path / "site", make_catalog(make_thread("t")), signed_links=True)
    assert not (tmp_path / "site").exists()


def test_the_manifest_reads_the_vercel_section_and_the_cli_deploys_with_it(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from mkdocs_hybrid.cli import main

    site = build_site(tmp_path)
    (tmp_path / "hybrid.yml").write_text("sources: [{type: directory, path: demos}]\n"
                                         "deploy: {target: vercel, vercel: {archive: true}}\n")
    assert load_manifest(tmp_path / "hybrid.yml").deploy.settings == VercelOptions(archive=True)
    assert deploy_target("vercel") is TARGET
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["deploy", "site"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1].endswith(
        f"next: vercel deploy --prebuilt --archive=tgz --cwd {tmp_path.resolve()}")
    static = tmp_path / ".vercel" / "output" / "static"
    assert (static / "index.html").read_bytes() == (site / "index.html").read_bytes()
