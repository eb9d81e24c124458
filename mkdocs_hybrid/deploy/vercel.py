"""The ``vercel`` deploy target: the built site as Vercel's Build Output API v3, for ``vercel deploy --prebuilt``.

``deploy: {target: vercel, vercel: {...}}`` (:class:`VercelOptions`). The build writes the routes
(:func:`mkdocs_hybrid.edge.vercel.write_vercel_edge`: the ``_headers`` rules, the ``latest`` redirects, the 404
page) into the site folder; ``mkdocs-hybrid deploy SITE`` then writes ``.vercel/output/`` in the folder holding
``SITE`` (the project root ``vercel`` runs from): ``config.json`` and ``static/``, a copy of the site. It calls
no Vercel API: the outcome names the command that uploads it (Vercel's CLI, with the user's own login or
``VERCEL_TOKEN``). ``plan`` checks Vercel's documented limits before anything is written.
"""

from __future__ import annotations

import json
import shlex
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mkdocs_hybrid.edge.vercel import CONFIG_FILE, MAX_ROUTES, write_vercel_edge
from mkdocs_hybrid.model.errors import HybridError, ManifestError, shown
from mkdocs_hybrid.model.words import counted

if TYPE_CHECKING:
    from mkdocs_hybrid.deploy.targets import DeployPlan, DeployRequest, DeployTarget
    from mkdocs_hybrid.edge.static import EdgeWriter

__all__ = ["MAX_UPLOAD_FILES", "OUTPUT_DIR", "TARGET", "Vercel", "VercelOptions", "VercelOutcome", "VercelPlan"]

MAX_UPLOAD_FILES = 15_000
"""The most files ``vercel deploy`` sends one by one (the cap issue 23 names; Vercel's API refuses more with
"files should NOT have more than ..." items, vercel/vercel discussion #8643); ``--archive=tgz`` sends one archive
instead. Vercel's changelog has an entry "CLI deployment limits removed" this module has not been checked against:
the cap is this constant, to lift when it is confirmed gone. No per-file size limit for static files was found
in Vercel's limits page as stored here, so none is checked."""
OUTPUT_DIR = Path(".vercel", "output")
"""Where ``vercel deploy --prebuilt`` reads the Build Output API (https://vercel.com/docs/build-output-api)."""


@dataclass(frozen=True)
class VercelOptions:
    """The ``vercel`` target's section, ``deploy.vercel``."""

    archive: bool = False
    """Upload one ``.tgz`` (``vercel deploy --prebuilt --archive=tgz``): needed past 15,000 files."""
    prod: bool = False
    """Deploy to production (``--prod``) instead of a preview URL."""
    artifacts: str = "pages"
    """Only ``pages`` (the demos in the site): the artifact store mode's signed links need Cloudflare's worker."""


@dataclass
class VercelOutcome:
    """What the deployment wrote (or would write) and the command that uploads it."""

    output_dir: str
    files: int
    bytes: int
    routes: int
    command: str
    dry_run: bool = False
    refused: str | None = field(default=None, repr=False)

    def summary(self) -> str:
        verb = "would write" if self.dry_run else "wrote"
        return (f"vercel: {verb} {self.output_dir} ({counted(self.files, 'file')}, "
                f"{counted(self.routes, 'route')}); next: {self.command}")

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        del data["refused"]
        return data

    def refusal(self) -> str | None:
        return self.refused


@dataclass
class VercelPlan:
    """A checked site: its files, its ``config.json`` bytes and where they go."""

    outcome: VercelOutcome
    site_dir: Path
    output_dir: Path
    config: bytes
    files: tuple[str, ...]
    """The site's files (POSIX paths relative to it), sorted; :data:`CONFIG_FILE` is not one of them."""

    def close(self) -> None:
        """Nothing is held open."""


class Vercel:
    """The Build Output API written locally; Vercel's CLI uploads it."""

    name = "vercel"
    options = VercelOptions

    @property
    def edge(self) -> EdgeWriter:
        return write_vercel_edge

    def check(self, options: VercelOptions, origin: str, where: str) -> None:
        if options.artifacts != "pages":
            raise ManifestError(f"{origin}: {where}.artifacts must be pages, not {shown(options.artifacts)}: the "
                                "artifact store mode's signed links are answered by Cloudflare's edge worker, which "
                                "Vercel does not run (deploy to cloudflare-pages for artifacts: r2)")

    def plan(self, options: VercelOptions, request: DeployRequest) -> DeployPlan:
        """Every refusal, before anything is written: the r2 mode, a site not built for Vercel, more routes or
        (without ``archive``) more files than Vercel takes."""
        self.check(options, "hybrid.yml", "deploy.vercel")
        site = request.site_dir
        config_path = site / CONFIG_FILE
        if not config_path.is_file():
            raise HybridError(f"{config_path}: missing: build the site with deploy.target: vercel first")
        config = config_path.read_bytes()
        routes = _routes(config, config_path)
        if len(routes) > MAX_ROUTES:
            raise HybridError(f"{config_path}: {len(routes):,} routes, over Vercel's {MAX_ROUTES:,} per "
                              "deployment: rebuild the site with this version of mkdocs-hybrid")
        files = _site_files(site)
        uploaded = len(files) + 1  # and config.json
        if uploaded > MAX_UPLOAD_FILES and not options.archive:
            raise HybridError(f"{site}: {uploaded:,} files to upload, over the {MAX_UPLOAD_FILES:,} that vercel "
                              "deploy sends one by one: set deploy.vercel.archive: true to deploy with "
                              "vercel deploy --prebuilt --archive=tgz")
        output = site.resolve().parent / OUTPUT_DIR
        size = len(config) + sum((site / name).stat().st_size for name in files)
        outcome = VercelOutcome(output_dir=str(output), files=uploaded, bytes=size, routes=len(routes),
                                command=_command(options, output.parent.parent), dry_run=request.dry_run)
        return VercelPlan(outcome, site, output, config, files)

    def upload(self, plan: DeployPlan) -> None:
        """Write ``.vercel/output`` anew (as ``vercel build`` does): beside it first, then in its place."""
        vercel = _vercel_plan(plan)
        partial = vercel.output_dir.with_name(vercel.output_dir.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        for name in vercel.files:
            target = partial / "static" / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(vercel.site_dir / name, target)
        (partial / "config.json").write_bytes(vercel.config)
        shutil.rmtree(vercel.output_dir, ignore_errors=True)
        partial.rename(vercel.output_dir)

    def activate(self, plan: DeployPlan) -> VercelOutcome:
        """Nothing goes live here: the outcome names the ``vercel`` command that does."""
        return _vercel_plan(plan).outcome


TARGET: DeployTarget = Vercel()


def _vercel_plan(plan: DeployPlan) -> VercelPlan:
    if not isinstance(plan, VercelPlan):
        raise TypeError(f"not a Vercel plan: {type(plan).__name__}")
    return plan


def _routes(config: bytes, path: Path) -> list[Any]:
    try:
        data = json.loads(config)
    except ValueError as error:
        raise HybridError(f"{path}: not JSON ({error}): build the site again") from error
    if not isinstance(data, dict) or data.get("version") != 3 or not isinstance(data.get("routes"), list):
        raise HybridError(f"{path}: not a Build Output API v3 config.json: build the site again")
    routes: list[Any] = data["routes"]
    return routes


def _site_files(site: Path) -> tuple[str, ...]:
    if not site.is_dir():
        raise HybridError(f"{site}: no such site folder: build the site first")
    names = (path.relative_to(site).as_posix() for path in site.rglob("*") if path.is_file())
    return tuple(sorted(name for name in names if name != CONFIG_FILE))


def _command(options: VercelOptions, project: Path) -> str:
    words = ["vercel", "deploy", "--prebuilt"]
    words += ["--archive=tgz"] if options.archive else []
    words += ["--prod"] if options.prod else []
    return shlex.join([*words, "--cwd", str(project)])
