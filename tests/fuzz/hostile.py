"""Strategies for structured-but-hostile input: the right shapes with the wrong contents.

Not random bytes alone: YAML documents of the right keys with wrong types, huge and deep values, aliases
(and alias bombs), duplicate keys, tags, several documents, non-UTF-8 encodings; ids, paths and keys with
control characters, odd unicode, traversal and encodings; npm dependency specs of every kind npm knows.
"""

from __future__ import annotations

import json
from typing import Any

import yaml
from hypothesis import strategies as st

from mkdocs_hybrid.sources.scan import SNAPSHOT_FORMAT

# -- text --------------------------------------------------------------------------------------

NASTY_STRINGS = [
    "", " ", "\t", ".", "..", "...", "/", "//", "./x", "../x", "../../../../etc/passwd", "/etc/passwd", "~/.ssh/id_rsa",
    "C:\\Windows", "a\\b", "a\x00b", "\x00", "a\nb", "line\r\nbreak", "x\x1b[31mred", "\x7f", "\u0085", "\u2028",
    "\u202eevil", "\u200b", "\ufeff", "é", "e\u0301", "\uff21\uff22\uff23", "İ", "ß", "😀", "\U0010ffff",
    "latest", "LATEST",
    "index.html", "src/index.tsx", "a/../b", "a/./b", "a//b", "%2e%2e/x", "%2F", "..%2f..", "${HOME}", "$(id)",
    "`id`", "<script>alert(1)</script>", "'", '"', "{{x}}", "*", "&a", "!!python/object:os.system", "- x", ": x",
    "null", "~", "true", "no", "0x1F", "1e309", "NaN", "-0", "2026-13-45", "2026-01-01T00:00:00+25:00",
    "a" * 65, "a" * 300, "x" * 5000, "node_modules", ".npmrc", "package.json", "snapshot.yml", "CON", "nul.txt",
]


def odd_text(max_size: int = 40) -> st.SearchStrategy[str]:
    """Text of every unicode category (control and format characters, lone surrogates excluded by YAML)."""
    return st.one_of(
        st.sampled_from(NASTY_STRINGS),
        st.text(st.characters(codec="utf-8"), max_size=max_size),
        st.text(st.characters(min_codepoint=0, max_codepoint=0x9F), max_size=max_size),
        st.text(st.sampled_from("a.-_/\\\x00\n%~:@ "), max_size=max_size),
    )


def json_text(max_size: int = 40) -> st.SearchStrategy[str]:
    """Like :func:`odd_text`, plus lone surrogates (JSON's ``\\ud800`` decodes to one)."""
    return st.one_of(odd_text(max_size), st.text(st.characters(min_codepoint=0xD7F0, max_codepoint=0xE010),
                                                 min_size=1, max_size=4))


ID_LIKE = st.one_of(
    st.from_regex(r"[a-z0-9][a-z0-9._-]{0,8}", fullmatch=True),
    st.sampled_from(["latest", "a" * 64, "a" * 65, "-x", ".x", "_x", "A1", "v1 ", " v1", "v\n1", "v/1", "..",
                     "v1\x00"]),
    odd_text(12),
)

# -- scalars and values ------------------------------------------------------------------------

SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, -1, 1, 2**31, 2**63, 10**30]), st.floats(allow_nan=True, allow_infinity=True),
    odd_text(), st.dates(), st.datetimes(),
)


def values(leaves: st.SearchStrategy[Any] = SCALARS, keys: st.SearchStrategy[Any] | None = None
           ) -> st.SearchStrategy[Any]:
    """Nested lists and mappings (with odd, non-string and non-hashable-looking keys) of ``leaves``."""
    key_strategy = keys if keys is not None else st.one_of(odd_text(12), st.integers(), st.booleans(), st.none())
    return st.recursive(leaves, lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(key_strategy, inner, max_size=4)), max_leaves=12)


def documents(known: dict[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[dict[Any, Any]]:
    """Mappings of the known keys (each with its own plausible value or any hostile value), maybe plus unknown keys."""
    fields = {key: st.one_of(strategy, values()) for key, strategy in known.items()}
    return st.fixed_dictionaries({}, optional=fields).flatmap(
        lambda base: st.dictionaries(odd_text(12), values(), max_size=2).map(
            lambda extra: {**extra, **base}) if base else st.just(base))


# -- YAML text -------------------------------------------------------------------------------


def alias_bomb(key: str, depth: int, width: int) -> str:
    """A billion-laughs document whose ``key`` holds the last level (``width ** depth`` strings when expanded)."""
    lines = ["a0: &a0 [" + ", ".join(["lol"] * width) + "]"]
    for level in range(1, depth + 1):
        lines.append(f"a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * width) + "]")
    lines.append(f"{key}: *a{depth}")
    return "\n".join(lines) + "\n"


def _safe_dump(data: Any) -> str | None:
    try:
        return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    except (yaml.YAMLError, ValueError, TypeError, RecursionError):
        return None


def yaml_texts(known: dict[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[bytes]:
    """A YAML file (bytes) for a format whose keys are ``known``: well-typed, wrong-typed or hostile YAML."""
    keys = sorted(known) or ["x"]
    key = st.sampled_from(keys)
    dumped = documents(known).map(_safe_dump).filter(lambda text: text is not None).map(
        lambda text: text.encode("utf-8"))
    return st.one_of(
        dumped,
        dumped,  # twice: most examples are structured
        st.builds(lambda k, d, w: alias_bomb(k, d, w).encode(), key, st.integers(1, 9), st.integers(2, 9)),
        st.builds(lambda k, v1, v2: f"{k}: {json.dumps(v1)}\n{k}: {json.dumps(v2)}\n".encode(),
                  key, odd_text(8), st.integers()),  # duplicate keys
        st.builds(lambda k, n, o: (f"{k}: " + o * n).encode(), key, st.integers(50, 20000),
                  st.sampled_from(["[", "{a: ", "- ", "[{"])),  # deep nesting
        st.builds(lambda k, t: f"{k}: {t}\n".encode(), key, st.sampled_from([
            "!!python/object/apply:os.system ['id']", "!!binary aGVsbG8=", "!!set {a, b}", "!!omap [a: 1]",
            "!!timestamp 2026-01-01", "!!float .nan", "!!int 0x10", "&x [*x]", "*undefined", "!custom x",
            "<<: {a: 1}", "!!str", "|\n  multi\n  line", ">\n  folded", "'unterminated", "[1, 2"])),
        st.builds(lambda k, v: f"a: &x {json.dumps(v)}\n{k}: *x\nb: {{<<: *x}}\n".encode(), key, odd_text(8)),
        st.builds(lambda k, v: f"---\n{k}: 1\n---\n{k}: {json.dumps(v)}\n".encode(), key, odd_text(8)),
        st.builds(lambda k, v: f"{k}: {v}\n".encode("latin-1", "replace"), key, st.sampled_from(["é", "ÿ€", "Ã"])),
        st.builds(lambda k: f"{k}: x\n".encode("utf-16"), key),
        st.builds(lambda k: b"\xef\xbb\xbf" + f"{k}: x\n".encode(), key),
        st.builds(lambda k, c: f"{k}: {c}\n".encode(), key, st.sampled_from(["\x00", "\x1b", "\x85", "\ufffe", "\t"])),
        st.binary(max_size=64),
        st.sampled_from([b"", b"~", b"null", b"[]", b"42", b"'text'", b"- a\n- b\n", b"\xff\xfe", b"---\n...\n"]),
    )


# -- npm dependency specs --------------------------------------------------------------------

NPM_NAMES = st.one_of(
    st.sampled_from(["react", "react-dom", "@scope/pkg", "lodash.merge", "a", "x" * 214]),
    st.from_regex(r"(@[a-z0-9][a-z0-9._~-]{0,6}/)?[a-z0-9][a-z0-9._~-]{0,10}", fullmatch=True),
)
BAD_NAMES = st.one_of(
    st.sampled_from(["", "React", "../x", "@scope", "@/x", "x/y", ".x", "_x", "x y", "x" * 215, "node_modules/x",
                     "file:x", "x\n", "\u212a"]),
    odd_text(10),
)
REGISTRY_SPECS = st.one_of(
    st.sampled_from(["18.3.1", "^18.2.0", "~1.2.3", ">=1.0.0 <2.0.0", "1.x", "*", "latest", "next", "beta",
                     "1.2.3 - 2.3.4", "^1.0.0 || ^2.0.0", "=1.0.0", "v1.0.0", "1.0.0-rc.1", "x"]),
    st.from_regex(r"[~^]?[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}", fullmatch=True),
)
_NON_REGISTRY = [
    "file:../x", "file:/etc", "link:../x", "git+https://example.com/x.git", "git://example.com/x.git",
    "git+ssh://git@example.com/x.git", "ssh://git@example.com/x.git", "git@github.com:user/repo.git",
    "http://127.0.0.1:9/x.tgz", "https://example.com/x.tgz", "github:user/repo", "gitlab:user/repo",
    "bitbucket:user/repo", "gist:abc123", "user/repo", "user/repo#main", "npm:react@18", "workspace:*", "portal:../x",
    "./local", "../local", "/abs/path", "~/pkg", "x.tgz", "./x.tgz", "C:\\pkg", "patch:react@18#x.patch",
]


def _case_mutations(spec: str) -> list[str]:
    return [spec, spec.upper(), spec[:1].upper() + spec[1:], " " + spec, spec + " ", "\t" + spec]


NON_REGISTRY_SPECS = st.sampled_from([mutated for spec in _NON_REGISTRY for mutated in _case_mutations(spec)])
"""Specs npm would fetch from somewhere else than the registry (git, URL, a path, an alias): always refused."""
ANY_SPECS = st.one_of(REGISTRY_SPECS, NON_REGISTRY_SPECS, odd_text(20), values())


def dependencies() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.dictionaries(st.one_of(NPM_NAMES, BAD_NAMES), ANY_SPECS, max_size=3),
        values(),
    )


# -- snapshot JSON ---------------------------------------------------------------------------

SNAPSHOT_FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "title": json_text(), "entry": st.one_of(st.just("index.js"), json_text(20)),
    "created": st.one_of(json_text(), st.datetimes().map(str)), "author": json_text(),
    "tags": st.one_of(st.lists(json_text(10), max_size=3), values()), "unlisted": st.one_of(st.booleans(), SCALARS),
    "dependencies": dependencies(),
}


@st.composite
def snapshot_documents(draw: st.DrawFn) -> dict[str, Any]:
    """A snapshot JSON document: the right format and shape, most fields plausible, some hostile."""
    files = draw(st.one_of(
        st.dictionaries(st.one_of(st.just("index.js"), json_text(30)), json_text(60), min_size=1, max_size=4),
        st.just({"index.js": "document.body.textContent = 1;"}),
        values(),
    ))
    document: dict[str, Any] = {
        "format": draw(st.one_of(st.just(SNAPSHOT_FORMAT), st.just(SNAPSHOT_FORMAT), SCALARS)),
        "thread": draw(st.one_of(st.just("fuzz-json"), ID_LIKE, SCALARS)),
        "version": draw(st.one_of(st.just("v1"), ID_LIKE, SCALARS)),
        "files": files,
    }
    optional = draw(st.fixed_dictionaries({}, optional={k: st.one_of(s, values()) for k, s in SNAPSHOT_FIELDS.items()}))
    extra = draw(st.dictionaries(json_text(10), values(), max_size=1))
    return {**extra, **document, **optional}
