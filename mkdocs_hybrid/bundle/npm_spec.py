"""What npm makes of a dependency: the one place a package name and its spec are judged (pure, no I/O).

A snapshot may only depend on registry packages: a ``version`` (``18.2.0``), a ``range`` (``^18``,
``~1.2.3 || >=2``) or a ``tag`` (``latest``). Anything else (a git repository, a tarball URL, a local
folder or tarball, an ``npm:`` alias) makes npm fetch from somewhere other than the registry, or read the
build machine's files, so it is refused by name before npm ever sees it.

The spec is classified exactly as npm's ``npm-package-arg`` (``npa.resolve(name, spec)``, what npm does with
a ``package.json`` dependency) and node-semver's loose parsing decide it; this module ports their rules
(npm-package-arg 13, semver 7.x, whose regular expressions are rebuilt below from the same sources with
JavaScript's ``\\s``, ``\\d``, ``$`` and ``trim()`` spelled out). Only hosted-git-info's URL parsing is
approximated: it decides which of the refused kinds a spec is named as, never whether it is refused.
``tests/bundle/test_npm_spec.py`` checks every rule against the npm on the machine.

Why a port: PyPI's ``node-semver`` (0.9.1) follows an older semver and disagrees with npm's own on 54 of the
test's 3,181 specs (``+x``, ``1.2.3\t``, a BOM, numbers past 2**53, 256-character versions), and a range it
accepts that npm refuses (or the reverse) is exactly the gap this check must not have. Running Node for
every snapshot's scan would cost a process per check.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Literal
from urllib.parse import urlsplit

SpecType = Literal["version", "range", "tag", "git", "remote", "file", "directory", "alias", "invalid"]
REGISTRY_TYPES = frozenset({"version", "range", "tag"})
MAX_SPEC_LENGTH = 256
"""Longer specs are refused outright (no registry version or range needs more): keeps parsing cheap."""
MAX_NAME_LENGTH = 214
EXAMPLE = '"^18.2.0"'

KIND_WORDS: dict[str, str] = {
    "git": "a git repository",
    "remote": "a tarball URL",
    "file": "a local tarball",
    "directory": "a local folder",
    "alias": "an alias (npm:)",
    "invalid": "not a version, range or tag npm can read",
}


class NpmSpecError(ValueError):
    """A dependency name or spec that is not a registry package; the message says what npm would take it for."""


# -- JavaScript's whitespace, trim() and numbers ---------------------------------------------------------------

_JS_WS = "\t\n\x0b\x0c\r \xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
"""JavaScript's ``\\s`` (and what ``trim()`` removes): not Python's, which adds ``\\x1c-\\x1f`` and ``\\x85``."""
_WS_RUN = re.compile(f"[{_JS_WS}]+")
_MAX_SAFE_INTEGER = 2**53 - 1


def js_trim(text: str) -> str:
    return re.sub(f"^[{_JS_WS}]+|[{_JS_WS}]+\\Z", "", text)


def _js_plus_one(digits: str | int) -> str:
    """``${+x + 1}`` in JavaScript: a double, printed as JavaScript prints numbers."""
    try:
        value = float(int(digits)) + 1.0
    except OverflowError:
        return "Infinity"
    if value == float("inf"):
        return "Infinity"
    if value < 1e21:
        return str(int(value))
    return repr(value)  # the shortest round-trip form with an "e+NN" exponent, as JavaScript prints it


# -- node-semver's regular expressions (internal/re.js), as its safeRe ---------------------------------------

_MAX_LENGTH = 256
_SAFE_REPLACEMENTS = (("\\s", 1), ("\\d", _MAX_LENGTH), ("[a-zA-Z0-9-]", _MAX_LENGTH - 6))


def _safe(source: str) -> str:
    for token, most in _SAFE_REPLACEMENTS:
        source = source.replace(f"{token}*", f"{token}{{0,{most}}}").replace(f"{token}+", f"{token}{{1,{most}}}")
    return source


def _python(source: str) -> str:
    """A JavaScript regex source as Python reads it the same way (ASCII digits, JavaScript's whitespace)."""
    source = source.replace("[v=\\s]", f"[v={_JS_WS}]").replace("\\s", f"[{_JS_WS}]").replace("\\d", "[0-9]")
    return source.replace("$", "\\Z")


_SRC: dict[str, str] = {}


def _token(name: str, source: str) -> None:
    _SRC[name] = source


_token("NUMERICIDENTIFIER", "0|[1-9]\\d*")
_token("NUMERICIDENTIFIERLOOSE", "\\d+")
_token("NONNUMERICIDENTIFIER", "\\d*[a-zA-Z-][a-zA-Z0-9-]*")
_token("MAINVERSIONLOOSE", "({0})\\.({0})\\.({0})".format(_SRC["NUMERICIDENTIFIERLOOSE"]))
_token("PRERELEASEIDENTIFIER", f"(?:{_SRC['NONNUMERICIDENTIFIER']}|{_SRC['NUMERICIDENTIFIER']})")
_token("PRERELEASEIDENTIFIERLOOSE", f"(?:{_SRC['NONNUMERICIDENTIFIER']}|{_SRC['NUMERICIDENTIFIERLOOSE']})")
_token("PRERELEASE", f"(?:-({_SRC['PRERELEASEIDENTIFIER']}(?:\\.{_SRC['PRERELEASEIDENTIFIER']})*))")
_token("PRERELEASELOOSE",
       f"(?:-?({_SRC['PRERELEASEIDENTIFIERLOOSE']}(?:\\.{_SRC['PRERELEASEIDENTIFIERLOOSE']})*))")
_token("BUILDIDENTIFIER", "[a-zA-Z0-9-]+")
_token("BUILD", f"(?:\\+({_SRC['BUILDIDENTIFIER']}(?:\\.{_SRC['BUILDIDENTIFIER']})*))")
_token("LOOSEPLAIN", f"[v=\\s]*{_SRC['MAINVERSIONLOOSE']}{_SRC['PRERELEASELOOSE']}?{_SRC['BUILD']}?")
_token("LOOSE", f"^{_SRC['LOOSEPLAIN']}$")
_token("GTLT", "((?:<|>)?=?)")
_token("XRANGEIDENTIFIERLOOSE", f"{_SRC['NUMERICIDENTIFIERLOOSE']}|x|X|\\*")
_token("XRANGEIDENTIFIER", f"{_SRC['NUMERICIDENTIFIER']}|x|X|\\*")
_token("XRANGEPLAIN", "[v=\\s]*({0})(?:\\.({0})(?:\\.({0})(?:{1})?{2}?)?)?".format(
    _SRC["XRANGEIDENTIFIER"], _SRC["PRERELEASE"], _SRC["BUILD"]))
_token("XRANGEPLAINLOOSE", "[v=\\s]*({0})(?:\\.({0})(?:\\.({0})(?:{1})?{2}?)?)?".format(
    _SRC["XRANGEIDENTIFIERLOOSE"], _SRC["PRERELEASELOOSE"], _SRC["BUILD"]))
_token("XRANGELOOSE", f"^{_SRC['GTLT']}\\s*{_SRC['XRANGEPLAINLOOSE']}$")
_token("LONETILDE", "(?:~>?)")
_token("TILDETRIM", f"(\\s*){_SRC['LONETILDE']}\\s+")
_token("TILDELOOSE", f"^{_SRC['LONETILDE']}{_SRC['XRANGEPLAINLOOSE']}$")
_token("LONECARET", "(?:\\^)")
_token("CARETTRIM", f"(\\s*){_SRC['LONECARET']}\\s+")
_token("CARETLOOSE", f"^{_SRC['LONECARET']}{_SRC['XRANGEPLAINLOOSE']}$")
_token("COMPARATORLOOSE", f"^{_SRC['GTLT']}\\s*({_SRC['LOOSEPLAIN']})$|^$")
_token("COMPARATORTRIM", f"(\\s*){_SRC['GTLT']}\\s*({_SRC['LOOSEPLAIN']}|{_SRC['XRANGEPLAIN']})")
_token("HYPHENRANGELOOSE",
       f"^\\s*({_SRC['XRANGEPLAINLOOSE']})\\s+-\\s+({_SRC['XRANGEPLAINLOOSE']})\\s*$")
_token("STAR", "(<|>)?=?\\s*\\*")
_token("GTE0", "^\\s*>=\\s*0\\.0\\.0\\s*$")

_RE = {name: re.compile(_python(_safe(source))) for name, source in _SRC.items()}
_BUILD_STRIP = re.compile(_python(_SRC["BUILD"]))
"""parseRange's unbounded global build stripper (the one place semver uses a source unsafely)."""


class _Invalid(Exception):
    """node-semver threw: not a version, or not a range."""


def _semver(version: str) -> None:
    """``new SemVer(version, {loose: true})``: raises where it throws."""
    if len(version) > _MAX_LENGTH:
        raise _Invalid
    match = _RE["LOOSE"].match(js_trim(version))
    if not match or any(int(part) > _MAX_SAFE_INTEGER for part in match.group(1, 2, 3)):
        raise _Invalid


def _is_x(part: str | None) -> bool:
    return not part or part.lower() == "x" or part == "*"


def _text(value: str | int | None) -> str:
    return "undefined" if value is None else str(value)


def _replace_caret(comp: str) -> str:
    def caret(match: re.Match[str]) -> str:
        major, minor, patch, pre = match.group(1, 2, 3, 4)
        if _is_x(major):
            return ""
        if _is_x(minor):
            return f">={major}.0.0 <{_js_plus_one(major)}.0.0-0"
        if _is_x(patch):
            if major == "0":
                return f">={major}.{minor}.0 <{major}.{_js_plus_one(minor)}.0-0"
            return f">={major}.{minor}.0 <{_js_plus_one(major)}.0.0-0"
        low = f">={major}.{minor}.{patch}" + (f"-{pre}" if pre else "")
        if major == "0":
            if minor == "0":
                return f"{low} <{major}.{minor}.{_js_plus_one(patch)}-0"
            return f"{low} <{major}.{_js_plus_one(minor)}.0-0"
        return f"{low} <{_js_plus_one(major)}.0.0-0"
    return _RE["CARETLOOSE"].sub(caret, comp, count=1)


def _replace_tilde(comp: str) -> str:
    def tilde(match: re.Match[str]) -> str:
        major, minor, patch, pre = match.group(1, 2, 3, 4)
        if _is_x(major):
            return ""
        if _is_x(minor):
            return f">={major}.0.0 <{_js_plus_one(major)}.0.0-0"
        if _is_x(patch):
            return f">={major}.{minor}.0 <{major}.{_js_plus_one(minor)}.0-0"
        low = f">={major}.{minor}.{patch}" + (f"-{pre}" if pre else "")
        return f"{low} <{major}.{_js_plus_one(minor)}.0-0"
    return _RE["TILDELOOSE"].sub(tilde, comp, count=1)


def _replace_x_range(comp: str) -> str:
    comp = js_trim(comp)

    def x_range(match: re.Match[str]) -> str:
        gtlt, major, minor, patch = match.group(1, 2, 3, 4)
        if (_is_x(major) and not _is_x(minor)) or (_is_x(minor) and patch and not _is_x(patch)):
            return comp
        xm = _is_x(major) or _is_x(minor)
        any_x = xm or _is_x(patch)
        if gtlt == "=" and any_x:
            gtlt = ""
        if _is_x(major):
            return "<0.0.0-0" if gtlt in (">", "<") else "*"
        if gtlt and any_x:
            return _x_comparator(gtlt, major, minor, xm)
        if xm:
            return f">={major}.0.0 <{_js_plus_one(major)}.0.0-0"
        if any_x:
            return f">={major}.{minor}.0 <{major}.{_js_plus_one(minor)}.0-0"
        return match.group(0)
    return _RE["XRANGELOOSE"].sub(x_range, comp, count=1)


def _x_comparator(gtlt: str, major: str, minor: str | None, xm: bool) -> str:
    """``>1.x``, ``<=1.2.x`` and friends as one comparator (replaceXRange's ``gtlt && anyX`` branch)."""
    new_major: str = major
    new_minor: str = "0" if xm else _text(minor)
    if gtlt == ">":
        gtlt = ">="
        if xm:
            new_major, new_minor = _js_plus_one(major), "0"
        else:
            new_minor = _js_plus_one(_text(minor))
    elif gtlt == "<=":
        gtlt = "<"
        if xm:
            new_major = _js_plus_one(major)
        else:
            new_minor = _js_plus_one(_text(minor))
    return f"{gtlt}{new_major}.{new_minor}.0{'-0' if gtlt == '<' else ''}"


def _each_word(step: Callable[[str], str], comp: str, *, trim: bool = True) -> str:
    return " ".join(step(word) for word in _WS_RUN.split(js_trim(comp) if trim else comp))


def _parse_comparator(comp: str) -> str:
    comp = _RE["BUILD"].sub("", comp, count=1)
    comp = _each_word(_replace_caret, comp)
    comp = _each_word(_replace_tilde, comp)
    comp = _each_word(_replace_x_range, comp, trim=False)
    return _RE["STAR"].sub("", js_trim(comp), count=1)


def _hyphen(match: re.Match[str]) -> str:
    whole_from, from_major, from_minor, from_patch = match.group(1, 2, 3, 4)
    whole_to, to_major, to_minor, to_patch, to_pre = match.group(7, 8, 9, 10, 11)
    if _is_x(from_major):
        low = ""
    elif _is_x(from_minor):
        low = f">={from_major}.0.0"
    elif _is_x(from_patch):
        low = f">={from_major}.{from_minor}.0"
    else:
        low = f">={whole_from}"
    if _is_x(to_major):
        high = ""
    elif _is_x(to_minor):
        high = f"<{_js_plus_one(to_major)}.0.0-0"
    elif _is_x(to_patch):
        high = f"<{to_major}.{_js_plus_one(_text(to_minor))}.0-0"
    elif to_pre:
        high = f"<={to_major}.{to_minor}.{to_patch}-{to_pre}"
    else:
        high = f"<={whole_to}"
    return js_trim(f"{low} {high}")


def _parse_range_part(part: str) -> int:
    """``Range.parseRange`` in loose mode: how many comparators the part keeps (raises where semver throws)."""
    part = _BUILD_STRIP.sub("", part)
    part = _RE["HYPHENRANGELOOSE"].sub(_hyphen, part, count=1)
    part = _RE["COMPARATORTRIM"].sub(r"\1\2\3", part)
    part = _RE["TILDETRIM"].sub(r"\1~", part)
    part = _RE["CARETTRIM"].sub(r"\1^", part)
    words = _WS_RUN.split(" ".join(_parse_comparator(comp) for comp in part.split(" ")))
    kept = [comp for comp in (_RE["GTE0"].sub("", js_trim(w), count=1) for w in words)
            if _RE["COMPARATORLOOSE"].match(comp)]
    for comp in kept:
        match = _RE["COMPARATORLOOSE"].match(" ".join(_WS_RUN.split(js_trim(comp))))
        if match is None:
            raise _Invalid
        if match.group(2):
            _semver(match.group(2))
    return len(kept)


def is_version(spec: str) -> bool:
    """``semver.valid(spec, true)``."""
    try:
        _semver(spec)
    except _Invalid:
        return False
    return True


def is_range(spec: str) -> bool:
    """``semver.validRange(spec, true)`` is not null."""
    raw = _WS_RUN.sub(" ", js_trim(spec))
    try:
        kept = [_parse_range_part(js_trim(part)) for part in raw.split("||")]
    except _Invalid:
        return False
    return any(kept)


# -- npm-package-arg ----------------------------------------------------------------------------------------

_IS_URL = re.compile(r"^(?:git[+])?[a-z]+:", re.IGNORECASE)
_IS_GIT = re.compile("^[^@]+@[^:.]+\\.[^:]+:[^\n\r\u2028\u2029]+\\Z", re.IGNORECASE)
"""JavaScript's ``.`` stops at every line terminator, not only ``\\n``."""
_IS_FILE_TYPE = re.compile(r"[.](?:tgz|tar\.gz|tar)\Z", re.IGNORECASE)
_IS_POSIX_FILE = re.compile(r"^(?:[.]|~[/]|[/]|[a-zA-Z]:)")
_URI_SAFE = re.compile(r"[A-Za-z0-9\-_.!~*'()]*")
"""What ``encodeURIComponent`` leaves alone: a tag must be made of these only."""
_GIT_PROTOCOLS = {"git", "git+http", "git+https", "git+rsync", "git+ftp", "git+file", "git+ssh"}
_GIT_SHORTCUTS = ("github:", "gitlab:", "bitbucket:", "gist:", "sourcehut:")
_GIT_DOMAINS = {"github.com", "gitlab.com", "bitbucket.org", "gist.github.com", "git.sr.ht"}


def classify(spec: str) -> SpecType:
    """npm's ``type`` for a ``package.json`` dependency's spec (``npa.resolve(name, spec)``); ``invalid``
    where npm throws."""
    if spec and (spec.lower().startswith("file:") or _IS_POSIX_FILE.match(spec)):
        return _file_type(spec)
    if spec.lower().startswith("npm:"):
        return _alias_type(spec[4:])
    if _hosted_git(spec):
        return "git"
    if spec and _IS_URL.match(spec):
        return _url_type(spec)
    if spec and ("/" in spec or _IS_FILE_TYPE.search(spec)):
        return _file_type(spec)
    return _registry_type(js_trim(spec))


def classify_argument(argument: str) -> SpecType:
    """npm's ``type`` for a command-line argument ``name@spec`` (``npa(argument)``): how ``npm view`` reads it."""
    return _argument(argument)[1]


def _argument(argument: str) -> tuple[str | None, SpecType]:
    """``npa(argument)``: the package name it names (if any) and its type."""
    name_ends = argument.find("@", 1)
    name_part = argument[:name_ends] if name_ends > 0 else argument
    if _IS_URL.match(argument):
        return None, classify(argument)
    if _IS_GIT.match(argument):
        return None, "git"
    if not name_part.startswith("@") and ("/" in name_part or _IS_FILE_TYPE.search(name_part)):
        return None, classify(argument)
    if name_ends > 0:
        if name_problem(name_part, old=True) is not None:
            return name_part, "invalid"  # npm throws on an invalid name
        return name_part, classify(argument[name_ends + 1:] or "*")
    if name_problem(argument, old=True) is None:
        return argument, "range"  # a bare name means any version: "*"
    return None, classify(argument)


def _registry_type(spec: str) -> SpecType:
    if is_version(spec):
        return "version"
    if is_range(spec):
        return "range"
    return "tag" if _URI_SAFE.fullmatch(spec) else "invalid"


def _file_type(spec: str) -> SpecType:
    return "file" if _IS_FILE_TYPE.search(spec) else "directory"


def _alias_type(sub: str) -> SpecType:
    """``npm:name@range`` is an alias; one of anything but a registry package is an error in npm."""
    name, kind = _argument(sub)
    return "alias" if name is not None and kind in REGISTRY_TYPES else "invalid"


def _url_type(spec: str) -> SpecType:
    protocol = spec.split(":", 1)[0].lower()
    if protocol in _GIT_PROTOCOLS:
        return "git"
    return "remote" if protocol in ("http", "https") else "invalid"


def _hosted_git(spec: str) -> bool:
    """Whether hosted-git-info takes the spec for a repository on GitHub, GitLab, Bitbucket, a gist or
    sourcehut (approximated: its full URL parsing only renames what is refused anyway)."""
    if not spec:
        return False
    if spec.lower().startswith(_GIT_SHORTCUTS) or _github_shorthand(spec):
        return True
    candidate = spec if "://" in spec else "git+ssh://" + spec.replace(":", "/", 1) if "@" in spec else spec
    try:
        parts = urlsplit(candidate)
        host = (parts.hostname or "").removeprefix("www.")
    except ValueError:
        return False
    segments = [s for s in parts.path.split("/") if s]
    if host not in _GIT_DOMAINS or not segments:
        return False
    if host == "github.com" and len(segments) > 2 and segments[2] != "tree":
        return False
    return host == "gist.github.com" or (len(segments) >= 2 and "get" not in segments[2:3]
                                         and "-" not in segments and not spec.endswith("archive.tar.gz"))


def _github_shorthand(arg: str) -> bool:
    """hosted-git-info's ``isGitHubShorthand`` (``user/repo``, ``user/repo#ref``)."""
    hash_at = arg.find("#")
    slash = arg.find("/")
    second_slash = arg.find("/", slash + 1)
    colon = arg.find(":")
    space = re.search(f"[{_JS_WS}]", arg)
    at = arg.find("@")

    def only_after_hash(position: int) -> bool:
        return position == -1 or (hash_at > -1 and position > hash_at)

    no_end_slash = arg[hash_at - 1] != "/" if hash_at > -1 else not arg.endswith("/")
    return (only_after_hash(space.start() if space else -1) and slash > 0 and no_end_slash
            and not arg.startswith(".") and only_after_hash(at) and only_after_hash(colon)
            and only_after_hash(second_slash))


# -- package names (validate-npm-package-name) --------------------------------------------------------------

_NAME = re.compile(r"(?:@[a-z0-9][a-z0-9._~-]*/)?[a-z0-9][a-z0-9._~-]*")
"""The names accepted here: npm's, lower case, with nothing a path or URL could hide in."""
_SCOPED = re.compile(r"^(?:@([^/]+?)[/])?([^/]+?)\Z", re.DOTALL)


def name_problem(name: str, *, old: bool = False) -> str | None:
    """What validate-npm-package-name says is wrong with ``name`` (``None`` when nothing); ``old`` allows what
    it still accepts for old packages (capitals, core module names), as npm-package-arg does."""
    if not name:
        return "it is empty"
    if name.startswith((".", "-", "_")):
        return "it starts with a period, hyphen or underscore"
    if js_trim(name) != name:
        return "it has leading or trailing spaces"
    if name.lower() in ("node_modules", "favicon.ico"):
        return "it is a reserved name"
    if not _URI_SAFE.fullmatch(name):
        match = _SCOPED.match(name)
        if not match or match.group(2).startswith(".") or match.group(1) is None \
                or not _URI_SAFE.fullmatch(match.group(1)) or not _URI_SAFE.fullmatch(match.group(2)):
            return "it has characters that are not URL-friendly"
    if not old and (len(name) > MAX_NAME_LENGTH or name.lower() != name):
        return f"it is over {MAX_NAME_LENGTH} characters or has capital letters"
    return None


def check_name(name: object) -> str:
    """A dependency's name, or :class:`NpmSpecError`: npm's rules, lower case, no path or URL."""
    if not isinstance(name, str) or len(name) > MAX_NAME_LENGTH or not _NAME.fullmatch(name) \
            or name_problem(name, old=True) is not None:
        raise NpmSpecError(f"dependency name {_shown(name)} is not a valid npm package name "
                           '(lower case, like "react" or "@scope/name")')
    return name


def check_spec(name: str, spec: object) -> str:
    """The registry version, range or tag ``name`` asks for, as handed to npm (trimmed; ``*`` for empty), or
    :class:`NpmSpecError` naming what npm would take it for."""
    if not isinstance(spec, str):
        raise NpmSpecError(f"dependency {name}: the version must be a string, like {EXAMPLE}")
    if len(spec) > MAX_SPEC_LENGTH:
        raise NpmSpecError(f"dependency {name}: the version is over {MAX_SPEC_LENGTH} characters; "
                           f"use a registry version like {EXAMPLE}")
    kind = classify(spec)
    wanted = js_trim(spec) or "*"
    if kind in REGISTRY_TYPES and classify_argument(f"{name}@{wanted}") != kind:
        kind = "invalid"  # npm's command line would read "name@spec" as something else (say a git URL)
    if kind not in REGISTRY_TYPES:
        raise NpmSpecError(
            f"dependency {name}: {_shown(spec)} is {KIND_WORDS[kind]}, not a registry version, range or tag; "
            f"only registry packages are allowed: use a version like {EXAMPLE}")
    return wanted


def check_dependency(name: object, spec: object) -> tuple[str, str]:
    """``(name, spec)`` checked (see :func:`check_name` and :func:`check_spec`)."""
    checked = check_name(name)
    return checked, check_spec(checked, spec)


def _shown(value: object) -> str:
    """A value for a message: quoted, escaped, and cut short (never a whole hostile value)."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
