"""Deploy targets: where ``mkdocs-hybrid deploy`` and ``publish`` send a built site, one module per target.

The manifest names one with ``deploy.target`` (default :data:`DEFAULT_TARGET`, Cloudflare Pages) and configures
it in its own section, ``deploy.<target>``. A target is an object (:class:`DeployTarget`) that says:

- which manifest keys its section takes (``options``, a dataclass: the manifest checks keys and value types
  against it) and the rules between them (``check``);
- which edge files the site gets (``edge``, a writer from :mod:`mkdocs_hybrid.edge`);
- how a deployment goes: ``plan`` (every check and every refusal, nothing written: a dry run stops here),
  ``upload`` (the files the host does not hold yet; nothing is live), ``activate`` (the new site goes live).

Adding a target is its module, with a ``TARGET`` object, plus one line in :data:`TARGETS`. Targets load lazily,
and a target's module imports its HTTP or S3 clients inside ``plan``/``upload``/``activate`` only: the manifest
and the build read its section and its edge writer, and an ``mkdocs build`` must not load a deploy client
(``tests/deploy/test_deploy_targets.py`` checks every registered target).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from mkdocs_hybrid.model.errors import ManifestError, shown

if TYPE_CHECKING:
    from mkdocs_hybrid.edge.static import EdgeWriter

__all__ = [
    "DEFAULT_TARGET",
    "TARGETS",
    "DeployOutcome",
    "DeployPlan",
    "DeployRequest",
    "DeployTarget",
    "deploy_target",
    "run_deploy",
]

TARGETS: dict[str, str] = {
    "cloudflare-pages": "mkdocs_hybrid.deploy.cloudflare_pages:TARGET",
    "github-pages": "mkdocs_hybrid.deploy.github_pages:TARGET",
    "vercel": "mkdocs_hybrid.deploy.vercel:TARGET",
}
"""Target name -> ``module:attribute`` of its :class:`DeployTarget`, imported when first asked for."""
DEFAULT_TARGET = "cloudflare-pages"
"""A manifest without ``deploy.target`` deploys here; the ``deploy:`` keys written flat are this target's section."""


@dataclass(frozen=True)
class DeployRequest:
    """What the command line asks of a deployment; a target uses what applies to it (its ``plan`` says which)."""

    site_dir: Path
    dry_run: bool = False
    site_url: str | None = None
    """The site's public URL (``--site-url``, or ``site_url`` of ``mkdocs.yml`` for ``publish``)."""
    project: str | None = None
    """``--project``: overrides the section's project."""
    branch: str | None = None
    """``--branch``: overrides the section's branch."""
    create_project: bool = False
    commit_hash: str | None = None
    commit_message: str | None = None
    commit_dirty: bool | None = None
    progress: Callable[[int, int], None] | None = None
    """Called with (files done, files in all) while uploading."""
    r2_progress: Callable[[int, int], None] | None = None
    """The same for the files a target stores elsewhere first (Cloudflare Pages: artifacts and media on R2)."""
    left_pages: frozenset[str] = frozenset()
    """Site pages the artifact store keeps as another publisher wrote them: they show more than this build
    (:mod:`mkdocs_hybrid.publish.freshness`), so they are not sent."""
    cache_dir: Path | None = None
    """The build cache (``build.cache_dir``): a target may keep what it learned of the site there (Cloudflare
    Pages: the stat index of the files' hashes), so that a redeploy reads only what changed."""


class DeployOutcome(Protocol):
    """What a deployment did, or in a dry run what it would do."""

    def summary(self) -> str:
        """One line for people."""

    def to_dict(self) -> dict[str, Any]:
        """The outcome as JSON data (``--json``)."""

    def refusal(self) -> str | None:
        """What a dry run found that a real deployment refuses (a real one raises it in ``plan``): the command
        fails on it after printing the outcome, so CI sees it."""


class DeployPlan(Protocol):
    """A checked deployment: what ``plan`` found, held until it is uploaded and activated."""

    @property
    def outcome(self) -> DeployOutcome:
        """What the deployment would do (the dry run's answer)."""

    def close(self) -> None:
        """Release what the plan holds (connections); called once, however the deployment ended."""


class DeployTarget(Protocol):
    """A place a built site can be deployed to (see the module's docstring)."""

    @property
    def name(self) -> str: ...

    @property
    def options(self) -> type[Any]:
        """The dataclass of the target's manifest section: its fields are the keys, each value of its default's
        type (``str`` where the default is ``None``)."""

    @property
    def edge(self) -> EdgeWriter:
        """Writes the edge files this host reads (every limit checked before any write)."""

    def check(self, options: Any, origin: str, where: str) -> None:
        """Raise :class:`ManifestError` when the section's values do not go together (``where``: its key)."""

    def plan(self, options: Any, request: DeployRequest) -> DeployPlan:
        """Check everything and compare with the host; write nothing. A real deployment's refusals raise here."""

    def upload(self, plan: DeployPlan) -> None:
        """Send what the host does not hold yet; the live site does not change."""

    def activate(self, plan: DeployPlan) -> DeployOutcome:
        """Make the uploaded site the live one."""


def deploy_target(name: object, origin: str = "manifest",
                  registry: Mapping[str, str] | None = None) -> DeployTarget:
    """The target called ``name``; an unknown name is a :class:`ManifestError` naming ``origin`` (the manifest
    file) and the known targets."""
    targets = TARGETS if registry is None else registry
    if not isinstance(name, str) or name not in targets:
        raise ManifestError(f"{origin}: deploy.target must be one of {', '.join(sorted(targets))}, "
                            f"not {shown(name)}")
    module, _, attribute = targets[name].partition(":")
    target: DeployTarget = getattr(importlib.import_module(module), attribute)
    return target


def run_deploy(target: DeployTarget, options: object, request: DeployRequest) -> DeployOutcome:
    """Plan, then (unless it is a dry run) upload and activate: the one order every target deploys in."""
    plan = target.plan(options, request)
    try:
        if request.dry_run:
            return plan.outcome
        target.upload(plan)
        return target.activate(plan)
    finally:
        plan.close()
