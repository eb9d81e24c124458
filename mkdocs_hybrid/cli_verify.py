"""``mkdocs-hybrid verify``: a site's published bytes against its signed revision histories.

It adapts :mod:`mkdocs_hybrid.history.verify` to the command line: one line per problem (its site path first)
and exit status 1 when there is any, a one-line summary and status 0 when the site is clean, status 2 when
the site cannot be read at all.
"""

from __future__ import annotations

import sys
import time

import click

from mkdocs_hybrid.cli_support import fail
from mkdocs_hybrid.history.keys import HistoryKeyError, PublicKey
from mkdocs_hybrid.history.readers import HttpSite, open_site
from mkdocs_hybrid.history.verify import verify_site
from mkdocs_hybrid.model.errors import HybridError

__all__ = ["verify"]


@click.command("verify")
@click.argument("site")
@click.option("--key", "keys", multiple=True, metavar="PUBLIC_KEY",
              help="Trust only this Ed25519 public key (base64, as the keys file lists it); repeatable. "
                   "Without it, every key the site's keys file lists is trusted.")
@click.option("--every-signature", is_flag=True,
              help="Check each record's signature (by default each history's last one is checked: it covers the "
                   "records before it through their hashes).")
@click.option("--artifacts-url", metavar="URL", default=None,
              help="Where the site serves artifacts/ when not at SITE (deploy.artifacts_url in the artifact store "
                   "mode); over HTTP only.")
def verify(site: str, keys: tuple[str, ...], every_signature: bool, artifacts_url: str | None) -> None:
    """Check SITE (a built site folder or an http(s):// base URL) against its signed histories: every published
    file of every version, the records' chain and signatures, and where each thread's latest leads."""
    started = time.perf_counter()
    try:
        trusted = [PublicKey.decode(key) for key in keys]
        reader = open_site(site, artifacts_url)
        try:
            result = verify_site(reader, trusted, every_signature)
        finally:
            if isinstance(reader, HttpSite):
                reader.close()
    except (HistoryKeyError, HybridError) as exc:
        fail(exc)
    for problem in result.problems:
        click.echo(f"error {problem}", err=True)
    if not result.ok:
        click.echo(f"{len(result.problems)} problems; {result.summary()}", err=True)
        sys.exit(1)
    click.echo(f"{result.summary()} in {time.perf_counter() - started:.1f} s: clean")
