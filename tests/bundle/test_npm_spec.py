"""Dependency specs are judged as npm judges them: only registry versions, ranges and tags pass.

The oracle is npm itself: ``npm_oracle.js`` runs the ``npm-package-arg`` and ``semver`` that ship inside the
npm on this machine over the same table, and every answer of ``mkdocs_hybrid.bundle.npm_spec`` must agree.
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from mkdocs_hybrid.bundle import npm_spec
from mkdocs_hybrid.bundle.npm_spec import NpmSpecError, check_dependency, check_name, check_spec, classify

HERE = Path(__file__).parent
REGISTRY = ["version", "range", "tag"]

ORDINARY = [
    "18.2.0", "^18", "^18.2.0", "~1.2.3 || >=2", "latest", "next", "beta", "1.x", "*", "", ">= 1.0.0 < 2",
    "1.2.3 - 2.3.4", "1.2 - 2", "x", "X", "~1", "~>1.2", "^0.0.1", "^0.1", "=1.2.3", "v1.2.3", "v=1.2.3",
    "1.2.3-beta.1", "1.2.3-rc.1+build.5", "1.0.0alpha1", "<2.0.0", ">1", "<=1.2", ">=1.2.3-0", "1 || 2",
    "^1.2.3-alpha", "  ^1.2.3  ", "\t1.2.3\n", "latest ", " next", "1.2.x", "1.*", "^1.x", "~1.x.x", ">1.2.x",
    "<=1.x", ">*", "<*", ">=*", "=*", "1.2.3 || ", "|| 1.2.3", "||", ">=0.0.0", "01.02.03", "1.2", "1",
    "1.2.3.4", "canary", "rc", "experimental-2024", "v1", "^v1.2", "~ 1.2.3", "^ 1.2.3", "> 1.2.3", "<  2",
    "1.x foo", "foo bar", "^1 <script>", "1.2.3 || latest", "1.2.3+build", ">=1.0.0 <2.0.0 || >=3.0.0-beta.1",
    "9007199254740991.0.0", "9007199254740992.0.0", "^9007199254740991", "~9007199254740991.1",
    "99999999999999999999.0.0", "^99999999999999999999", "1.2.3-" + "a." * 140 + "a", "tag_name", "it's",
    "(x)", "a!b", "a~b", "a*b", "1.0.0 - 2.0.0 - 3.0.0", " - 1", "1 - ", "\u00a01.2.3", "\ufeff1.2.3",
    "\x1c1.2.3", "1.2.3\u2028", "\u3000latest", "\u0661.\u0662.\u0663",
]
HOSTILE = [
    "HTTP://127.0.0.1:9/x.tgz", "http://127.0.0.1:9/x.tgz", "https://example.com/pkg.tgz", "Https://example.com/x",
    "GIT+https://github.com/u/r.git", "git+https://example.com/r.git", "git://github.com/u/r.git",
    "git+ssh://git@github.com/u/r.git", "git+ssh://git@example.com:u/r.git#v1", "ssh://git@example.com/u/r",
    "git@github.com:u/r.git", "git@example.com:u/r.git", "user@host.example:repo", "github:u/r", "GitHub:u/r",
    "github:u/r#semver:^1", "gitlab:u/r", "bitbucket:u/r", "gist:11081aaa281", "sourcehut:~u/r", "u/r",
    "u/r#main", "u/r#semver:^1.0.0", "facebook/react#v18.2.0", "/etc", "/abs/path", "./local", "../up",
    "../../etc/passwd", ".", "..", "~/pkg", "~/", "file:../x", "FILE:/tmp/x", "file:///tmp/x", "file:x.tgz",
    "link:../x", "workspace:*", "workspace:^1.0.0", "portal:../x", "npm:react@^18", "NPM:react@18.2.0",
    "npm:@scope/pkg@1", "npm:react", "npm:npm:react@1", "npm:github:u/r", "npm:../x", "npm:", "x.tgz",
    "pkg.tar.gz", "pkg.TAR", "a:b", "C:\\pkg", "c:/pkg", "ftp://example.com/x.tgz", "javascript:alert(1)",
    "data:,x", "git+file:///tmp/repo", "1.x a:b", "1.x a@gist.github.com:abc", "^1 /etc", "1.x ../x",
    "latest/../x", "x@github.com:u/r", "https://github.com/u/r", "https://github.com/u/r/archive/main.tar.gz",
    "https://gitlab.com/u/r", "https://bitbucket.org/u/r", "http://www.github.com/u/r", "\\\\server\\share",
    "..\\x", "1.2.3\\x", "a%2Fb", "%2e%2e", "1.2.3\u0000", "late st", "a#b", "a?b", "a&b", "a=b", "a@b",
    "@scope/x", " file:x", " ../x", " http://x", " npm:x@1", "\nfile:x", "x:1.2.3", ".1", "~/x#y",
]
ARGUMENTS = ["react@1.x a:b", "react@^18", "react@", "react", "react@latest", "@s/p@1", "foo.tgz@1", "a@b@c",
             "react@1.x a@gist.github.com:abc", "react@file:x", "react@github:u/r", "Re act@1", "@s@1",
             "git@github.com:u/r", "react@npm:x@1", "react@u/r", "node_modules@1", ".x@1"]


def _fuzz(count: int, seed: int = 18) -> list[str]:
    """Strings made of what ranges are made of (and a few strangers), to shake the semver port."""
    alphabet = list("0123456789.xX*^~<>=|- v+-aZ\t") + ["||", " - ", "1.2.3", "0.0.0", ">=", ":", "/", "@", "#"]
    rng = random.Random(seed)
    return ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12))) for _ in range(count)]


def _oracle(specs: list[str], arguments: list[str], ranges: list[str]) -> dict[str, list[object]]:
    npm = shutil.which("npm")
    node = shutil.which("node")
    if not npm or not node:
        pytest.skip("node and npm are needed to ask npm itself")
    root = Path(subprocess.run([npm, "root", "-g"], capture_output=True, text=True, check=True).stdout.strip())
    modules = root / "npm" / "node_modules"
    assert (modules / "npm-package-arg").is_dir(), f"npm-package-arg not found in {modules}"
    result = subprocess.run([node, str(HERE / "npm_oracle.js"), str(modules)], capture_output=True, text=True,
                            input=json.dumps({"specs": specs, "arguments": arguments, "ranges": ranges}),
                            check=True, timeout=120)
    answer: dict[str, list[object]] = json.loads(result.stdout)
    return answer


@pytest.mark.slow
def test_every_spec_is_classified_as_npm_classifies_it() -> None:
    fuzz = _fuzz(3000)
    specs = ORDINARY + HOSTILE + fuzz
    arguments = ARGUMENTS + [f"pkg@{spec}" for spec in specs]
    npm = _oracle(specs, arguments, specs)
    ours_specs = [classify(spec) for spec in specs]
    ours_args = [npm_spec.classify_argument(argument) for argument in arguments]
    ours_ranges = [[npm_spec.is_version(s), npm_spec.is_range(s)] for s in specs]
    # Exact agreement on every registry type; a spec npm takes for anything else is refused whatever we call it
    # (only the name of the refused kind may differ, where hosted-git-info's URL parsing is approximated).
    disagree = [(spec, theirs, ours) for spec, theirs, ours in zip(specs + arguments, npm["specs"] + npm["arguments"],
                                                                   ours_specs + ours_args)
                if theirs != ours and (theirs in REGISTRY or ours in REGISTRY)]
    assert disagree == []
    assert [s for s, theirs, ours in zip(specs, npm["ranges"], ours_ranges) if theirs != ours] == []
    # Named kinds agree too wherever npm gives one (not an error) for the hand-written table.
    named = [(s, t, o) for s, t, o in zip(ORDINARY + HOSTILE, npm["specs"], ours_specs)
             if t != o and t != "invalid"]
    assert named == []
    assert {"version", "range", "tag", "git", "remote", "file", "directory", "alias", "invalid"} <= set(npm["specs"])


@pytest.mark.parametrize(("spec", "kind"), [
    ("18.2.0", "version"), ("^18", "range"), ("~1.2.3 || >=2", "range"), ("latest", "tag"), ("1.x", "range"),
    ("*", "range"), ("", "range"), (">= 1.0.0 < 2", "range"), ("HTTP://127.0.0.1/x.tgz", "remote"),
    ("GIT+https://example.com/r.git", "git"), ("bitbucket:u/r", "git"), ("gist:1234", "git"), ("u/r", "git"),
    ("u/r#v1", "git"), ("ssh://git@example.com/u/r", "invalid"), ("git@github.com:u/r.git", "git"),
    ("/etc", "directory"), ("../x", "directory"), ("~/x", "directory"), ("x.tgz", "file"), ("npm:react@1", "alias"),
    ("link:../x", "invalid"), ("workspace:*", "invalid"), ("a b", "invalid"),
])
def test_classify(spec: str, kind: str) -> None:
    assert classify(spec) == kind


@pytest.mark.parametrize(("spec", "words"), [
    ("HTTP://127.0.0.1:9/x.tgz", "a tarball URL"), ("GIT+https://example.com/r.git", "a git repository"),
    ("github:u/r", "a git repository"), ("user/repo#main", "a git repository"), ("/abs", "a local folder"),
    ("~/pkg", "a local folder"), ("file:../x", "a local folder"), ("../x.tgz", "a local tarball"),
    ("npm:react@18", "an alias (npm:)"), ("link:../x", "not a version, range or tag npm can read"),
    ("1.x a:b", "not a version, range or tag npm can read"),
])
def test_a_refused_spec_says_what_npm_would_take_it_for_and_what_to_do(spec: str, words: str) -> None:
    with pytest.raises(NpmSpecError) as caught:
        check_spec("react", spec)
    message = str(caught.value)
    assert message.startswith(f"dependency react: {spec!r} is {words}, not a registry version, range or tag")
    assert 'use a version like "^18.2.0"' in message and "\n" not in message


def test_accepted_specs_are_handed_to_npm_trimmed() -> None:
    assert check_dependency("react", " ^18.2.0\n") == ("react", "^18.2.0")
    assert check_spec("react", "") == "*"
    assert check_spec("@scope/pkg", "next") == "next"


@pytest.mark.parametrize("name", ["../x", "a/../b", "http://x", "@s/../x", "@../x", "x/y", ".x", "_x", "-x", "",
                                  "node_modules", "React", " x", "x ", "a:b", "a@b", "x" * 215, 7, None, "@s/",
                                  "@/x", "a\nb", "%2e%2e"])
def test_names_that_are_not_plain_npm_names_are_refused(name: object) -> None:
    with pytest.raises(NpmSpecError, match="is not a valid npm package name"):
        check_name(name)


@pytest.mark.parametrize("name", ["react", "@scope/pkg", "lodash.get", "a-b_c~d", "events", "x" * 214])
def test_plain_npm_names_pass(name: str) -> None:
    assert check_name(name) == name


def test_a_long_or_non_string_spec_is_one_clear_line() -> None:
    with pytest.raises(NpmSpecError, match="over 256 characters"):
        check_spec("react", "1" * 300)
    with pytest.raises(NpmSpecError, match="must be a string"):
        check_spec("react", 18)
