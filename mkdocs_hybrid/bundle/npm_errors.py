"""npm's failures in plain words: the one place an npm error (its code and lines) becomes the message a user reads.

npm says a missing package and a missing version in several ways, none of them plain: ``npm install`` prints
``E404 ... Not Found - GET <registry>/<name>`` for a package that does not exist and ``ETARGET ... No matching
version found for <name>@<version>`` for a version that does not; ``npm view`` prints ``E404 ... No match
found for version <range>`` for the latter (npm 10+), or nothing at all (older npm). Neither gives the latest
version, so the caller asks the registry's ``latest`` dist-tag and passes it in. The build's errors and
``serve``'s install API both read these messages (through :class:`DependencyError`'s text).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import unquote

_CODE = re.compile(r"npm (?:error|ERR!) code (\S+)")
_NO_TARGET = re.compile(r"No matching version found for (@?[^@\s]+)@(\S+?)\.?$", re.MULTILINE)
_NO_MATCH = re.compile(r"No match found for version (\S+)")
_NOT_FOUND_URL = re.compile(r"Not Found - GET (\S+)")
_RESOURCE = re.compile(r"The requested resource '(@?[^@']+)@([^']*)'")
_OFFLINE = {"ENOTFOUND", "ECONNREFUSED", "EAI_AGAIN", "ETIMEDOUT", "ECONNRESET", "ENETUNREACH"}


@dataclass(frozen=True)
class NpmMissing:
    """What npm could not find: a package (``E404``) or a version of one (``ETARGET``)."""

    kind: Literal["package", "version"]
    package: str
    wanted: str
    """The version or range asked for."""


def find_missing(output: str, asked: tuple[str, str] | None = None) -> NpmMissing | None:
    """The package or version npm's ``output`` (its stderr and stdout) says is missing, or ``None``.
    ``asked`` is ``(name, spec)`` when one package was asked about (``npm view``): npm's own text then names
    the package ``undefined``."""
    if match := _NO_TARGET.search(output):
        return NpmMissing("version", match.group(1), match.group(2))
    if asked and (match := _NO_MATCH.search(output)):
        return NpmMissing("version", asked[0], asked[1])
    if match := _NOT_FOUND_URL.search(output):
        resource = _RESOURCE.search(output)
        if resource and resource.group(1) != "undefined":
            return NpmMissing("package", resource.group(1), resource.group(2))
        return NpmMissing("package", _name_in_url(match.group(1)), asked[1] if asked else "")
    return None


def missing_words(missing: NpmMissing, latest: str | None = None) -> str:
    """One line: what is missing and what to do."""
    if missing.kind == "package":
        return (f"no package named {missing.package} on the registry: check the name (its spelling, and its "
                "@scope if it has one)")
    known = f" (latest: {latest})" if latest else ""
    return (f"no version of {missing.package} matches {missing.wanted}{known}: pick a version that exists "
            f"(`npm view {missing.package} versions` lists them)")


def failure_words(output: str, what: str) -> str:
    """One line for an npm failure that is not a missing package or version: its code in words when known,
    else npm's first error line (never the debug-log path)."""
    codes = _CODE.findall(output)
    if codes and codes[0] in _OFFLINE:
        return f"npm could not {what}: the registry cannot be reached ({codes[0]}); check the network or npm's " \
               "registry setting (npm config get registry)"
    lines = [line.strip() for line in output.splitlines() if line.strip() and "complete log of this run" not in line]
    detail = next((line for line in lines if not _CODE.match(line)), lines[0] if lines else "no output")
    return f"npm could not {what}: {detail.removeprefix('npm error ').removeprefix('npm ERR! ')}"


def _name_in_url(url: str) -> str:
    """The package a packument URL names: its last segment (``@scope%2fname`` decoded), or the last two."""
    parts = url.rstrip("/").split("/")
    name = unquote(parts[-1])
    return f"{unquote(parts[-2])}/{name}" if len(parts) > 1 and parts[-2].startswith("@") else name
