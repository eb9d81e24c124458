"""Waiting for a created Pages deployment to go live: read its stage, poll only while it is still in progress.

A Pages deployment object (the create call's answer and each ``GET .../deployments/{id}``) carries
``latest_stage {name, status}``: ``name`` is one of ``queued``, ``initialize``, ``clone_repo``, ``build``,
``deploy``; ``status`` one of ``idle``, ``active``, ``success``, ``failure``, ``canceled``. The deployment is live
when the ``deploy`` stage reports ``success``; a ``failure`` or ``canceled`` at any stage is final.

When the create call already reports the deployment finished, nothing is polled. Otherwise the first poll comes
after an eighth of ``base_delay`` (a Direct Upload deployment of an unchanged site is usually done by then) and
each later wait doubles, up to the same total patience as wrangler's schedule (``2^n x base_delay`` for
``status_polls`` polls: 1 + 2 + 4 + 8 + 16 = 31 s by default), so a slow deployment is given exactly as long.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from mkdocs_hybrid.deploy._api import CloudflareAPIError, DeployError

FINAL_FAILURES = ("failure", "canceled")
FIRST_POLL_FRACTION = 1 / 8
"""The first status poll waits this part of ``base_delay``."""


def status_waits(base_delay: float, polls: int) -> list[float]:
    """The waits before each status poll: ``base_delay / 8``, doubling, the last one cut so that they add up to
    ``(2^polls - 1) x base_delay``, the patience of ``polls`` polls at wrangler's ``2^n x base_delay``."""
    patience = (2 ** polls - 1) * base_delay
    if patience <= 0:
        return [0.0] * polls
    waits: list[float] = []
    wait = base_delay * FIRST_POLL_FRACTION
    while sum(waits) + wait < patience:
        waits.append(wait)
        wait *= 2
    waits.append(patience - sum(waits))
    return waits


def stage_of(deployment: Mapping[str, Any]) -> tuple[str, str]:
    """``(name, status)`` of a deployment object's ``latest_stage`` (empty strings where it says nothing)."""
    stage = deployment.get("latest_stage")
    if not isinstance(stage, Mapping):
        return "", ""
    return str(stage.get("name") or ""), str(stage.get("status") or "")


def is_final(name: str, status: str) -> bool:
    """Whether a stage ends the wait: the deploy stage done, or any stage failed or canceled."""
    return (name == "deploy" and status == "success") or status in FINAL_FAILURES


def wait_until_live(created: Mapping[str, Any], read: Callable[[], Mapping[str, Any]], *, base_delay: float,
                    polls: int, sleep: Callable[[float], None]) -> None:
    """Return once the deployment ``created`` (the create call's answer) is live; ``read()`` fetches it again.

    Raises :class:`DeployError` when a stage failed or was canceled, or when the waits of :func:`status_waits`
    run out first. A poll that fails (network, 5xx) counts as still in progress, as in wrangler.
    """
    deployment_id = created.get("id")
    name, status = stage_of(created)
    waits = iter(status_waits(base_delay, polls))
    while not is_final(name, status):
        wait = next(waits, None)
        if wait is None:
            raise DeployError(f"deployment {deployment_id} was created but did not report success in time; "
                              "check the Pages dashboard")
        sleep(wait)
        try:
            name, status = stage_of(read())
        except CloudflareAPIError:
            continue
    if status in FINAL_FAILURES:
        where = "" if name == "deploy" else f" (at its {name or 'unnamed'} stage)"
        raise DeployError(f"deployment {deployment_id} {'was canceled' if status == 'canceled' else 'failed'} "
                          f"on Cloudflare's side{where}; see the Pages dashboard")
