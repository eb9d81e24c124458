"""Signed, expiring links (``mkdocs-hybrid share --expires``): the format, durations, rotation and bad keys."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import time
from pathlib import Path

import pytest
import yaml

from mkdocs_hybrid.edge.signed import (
    KEYS_ENV,
    MAX_SECONDS,
    ShareKeyError,
    ShareKeys,
    parse_duration,
    signed_path,
)
from mkdocs_hybrid.edge.unlisted import KEY_ENV, UnlistedKey
from tests.factory import manifest_for, run_cli, write_tree

NEW = "n" * 40
OLD = "o" * 40
UTOKEN = "0123456789abcdef0123456789abcdef"


def test_the_signature_is_base64url_hmac_sha256_of_token_and_expiry_without_padding() -> None:
    keys = ShareKeys.parse(NEW)
    expected = base64.urlsafe_b64encode(hmac.new(NEW.encode(), f"{UTOKEN}.1700000000".encode(),
                                                 hashlib.sha256).digest()).rstrip(b"=").decode()

    assert keys.sign(UTOKEN, 1_700_000_000) == expected
    assert signed_path(keys, UTOKEN, 1_700_000_000) == f"s/{UTOKEN}.1700000000/{expected}/page.html"
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", expected)


@pytest.mark.parametrize(("text", "seconds"), [("30m", 1800), ("12h", 43_200), ("7d", 604_800), ("2w", 1_209_600),
                                                ("1d12h", 129_600), (" 45S ", 45)])
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "7", "7x", "d7", "-1d", "0m", "1.5h", "400d", "7 d"])
def test_bad_durations_are_refused(text: str) -> None:
    with pytest.raises(ShareKeyError, match="--expires"):
        parse_duration(text)


def test_the_first_key_signs_and_every_key_verifies() -> None:
    rotated = ShareKeys.parse(f"{NEW}, {OLD}")
    expiry = int(time.time()) + 60
    old_link = ShareKeys.parse(OLD).sign(UTOKEN, expiry)

    assert rotated.sign(UTOKEN, expiry) == ShareKeys.parse(NEW).sign(UTOKEN, expiry)
    assert rotated.verify(UTOKEN, expiry, old_link)
    assert not ShareKeys.parse(NEW).verify(UTOKEN, expiry, old_link)


def test_expired_tampered_and_other_token_links_do_not_verify() -> None:
    keys = ShareKeys.parse(NEW)
    expiry = 1_700_000_000
    sig = keys.sign(UTOKEN, expiry)

    assert keys.verify(UTOKEN, expiry, sig, now=expiry - 1)
    assert not keys.verify(UTOKEN, expiry, sig, now=expiry + 1)
    assert not keys.verify(UTOKEN, expiry + 3600, sig, now=expiry - 1)
    assert not keys.verify("f" * 32, expiry, sig, now=expiry - 1)
    assert not keys.verify(UTOKEN, expiry, sig[:-1] + ("A" if sig[-1] != "A" else "B"), now=expiry - 1)


@pytest.mark.parametrize("value", ["short", f"{NEW},short", f"{NEW},", ""])
def test_short_or_empty_keys_are_refused_without_showing_them(value: str) -> None:
    with pytest.raises(ShareKeyError) as caught:
        ShareKeys.from_env({KEYS_ENV: value})
    assert KEYS_ENV in str(caught.value) and NEW not in str(caught.value)


def test_keys_are_hidden_from_repr() -> None:
    assert NEW not in repr(ShareKeys.parse(NEW))


def test_signed_paths_name_artifact_files_only() -> None:
    with pytest.raises(ShareKeyError):
        signed_path(ShareKeys.parse(NEW), UTOKEN, 1, "../secret")


def r2_project(root: Path) -> Path:
    """A built r2-mode project (with its ledger) whose ``open/v2`` is unlisted: what ``share`` signs links to."""
    write_tree(root, {"demos/open/v1/index.js": "document.body.textContent = 'listed';\n",
                      "demos/open/v2/index.js": "document.body.textContent = 'unlisted';\n",
                      "demos/open/v2/snapshot.yml": "unlisted: true\n"})
    manifest_for(root)
    data = yaml.safe_load((root / "hybrid.yml").read_text(encoding="utf-8"))
    data["deploy"] = {"artifacts": "r2", "artifacts_url": "https://demos.example.com", "r2_bucket": "demos",
                      "r2_private_bucket": "demos-private"}
    (root / "hybrid.yml").write_text(yaml.safe_dump(data), encoding="utf-8")
    built = run_cli("build", "-q", "-d", str(root / "site"), cwd=root)
    assert built.returncode == 0, built.stderr
    return root


def test_share_expires_prints_a_signed_link(tmp_path: Path) -> None:
    key = UnlistedKey.from_env()
    assert key is not None
    env = {**os.environ, KEYS_ENV: f"{NEW},{OLD}"}
    project = r2_project(tmp_path)
    before = int(time.time())

    shared = run_cli("share", "open", "v2", "--expires", "7d", "--site-url", "https://demos.example.org/",
                     cwd=project, env=env)

    assert shared.returncode == 0, shared.stderr
    utoken = key.token("open", "v2")
    found = re.fullmatch(rf"https://demos\.example\.org/s/{utoken}\.(\d+)/([A-Za-z0-9_-]{{43}})/page\.html",
                         shared.stdout.strip())
    assert found is not None, shared.stdout
    expiry = int(found[1])
    assert before + 604_800 <= expiry <= int(time.time()) + 604_800
    assert ShareKeys.parse(NEW).verify(utoken, expiry, found[2])
    assert NEW not in shared.stdout + shared.stderr and os.environ[KEY_ENV] not in shared.stdout


def test_share_expires_without_keys_is_one_clear_line(tmp_path: Path) -> None:
    env = {name: value for name, value in os.environ.items() if name != KEYS_ENV}
    project = r2_project(tmp_path)

    shared = run_cli("share", "open", "v2", "--expires", "7d", "--site-url", "https://demos.example.org/",
                     cwd=project, env=env)

    assert shared.returncode == 2 and KEYS_ENV in shared.stderr
    assert len(shared.stderr.strip().splitlines()) == 1
    listed = run_cli("share", "open", "v1", "--expires", "7d", "--site-url", "https://demos.example.org/",
                     cwd=project, env={**env, KEYS_ENV: NEW})
    assert listed.returncode == 2 and listed.stderr == ("error share --expires: open/v1 is listed, and a listed "
                                                        "link does not expire; share it without --expires\n")


def other_spellings(sig: str) -> list[str]:
    """The 3 other base64url spellings of ``sig``'s last character that decode to the same 32 bytes (its 2 unused
    bits set otherwise)."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    base = alphabet.index(sig[-1]) & ~0b11
    return [sig[:-1] + alphabet[base | bits] for bits in (1, 2, 3)]


def test_only_the_canonical_spelling_of_a_signature_verifies() -> None:
    keys = ShareKeys.parse(NEW)
    expiry = 1_700_000_000
    sig = keys.sign(UTOKEN, expiry)
    padded = sig + "=" * (-len(sig) % 4)
    for other in other_spellings(sig):
        assert base64.urlsafe_b64decode(other + "=" * (-len(other) % 4)) == base64.urlsafe_b64decode(padded)
        assert not keys.verify(UTOKEN, expiry, other, now=expiry - 1), other
    assert keys.verify(UTOKEN, expiry, sig, now=expiry - 1)


def test_a_link_expiring_more_than_a_year_ahead_does_not_verify() -> None:
    keys = ShareKeys.parse(NEW)
    now = 1_700_000_000
    inside, beyond = now + MAX_SECONDS, now + MAX_SECONDS + 1
    assert keys.verify(UTOKEN, inside, keys.sign(UTOKEN, inside), now=now)
    assert not keys.verify(UTOKEN, beyond, keys.sign(UTOKEN, beyond), now=now)
