"""Hash the two reference sites, to prove a refactor leaves the output byte for byte as it was.

    python scripts/site_hashes.py [--repo CHECKOUT] [--out FOLDER]

Builds, with ``SOURCE_DATE_EPOCH`` fixed and the code of ``--repo`` (default: this checkout):

- the sample site: ``mkdocs build`` of a copy of the repository's project (sample_projects, exports, docs, overrides);
- a generated 1,000-version corpus (``benchmarks/bulk.py``'s generator) built by ``mkdocs-hybrid build``;

then prints one hash per site over every file's path and sha256. Run it on the commit before a change and
on the change: the two lines must be the same.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
SOURCE_DATE_EPOCH = "1767225600"


def tree_hash(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.is_file():
            name = path.relative_to(root).as_posix().encode()
            digest.update(name + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def sample_site(repo: Path, out: Path, env: dict[str, str]) -> Path:
    project = out / "sample"
    project.mkdir()
    for name in ("mkdocs.yml", "hybrid.yml", "hybrid-lock.json"):
        shutil.copy2(repo / name, project / name)
    for name in ("docs", "overrides", "sample_projects", "exports"):
        shutil.copytree(repo / name, project / name)
    subprocess.run([sys.executable, "-m", "mkdocs", "build", "-q"], cwd=project, env=env, check=True)
    return project / "site"


def corpus_site(repo: Path, out: Path, env: dict[str, str]) -> Path:
    corpus = out / "corpus"
    corpus.mkdir()
    generate = (f"import sys; sys.path.insert(0, {str(repo / 'benchmarks')!r}); import bulk; "
                f"from pathlib import Path; bulk.generate(Path({str(corpus)!r}), 1000, 0.3)")
    subprocess.run([sys.executable, "-c", generate], env=env, check=True)
    cli = ["-c", "from mkdocs_hybrid.cli import main; main()"]
    build = [*cli, "build", "-q", "--manifest", "hybrid.yml", "-d", "site"]
    subprocess.run([sys.executable, *build], cwd=corpus, env=env, check=True)
    return corpus / "site"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repo", type=Path, default=HERE, help="the checkout whose code builds the sites")
    parser.add_argument("--out", type=Path, default=None, help="work folder to keep (default: a temp folder)")
    args = parser.parse_args()
    repo = args.repo.resolve()
    out = args.out or Path(tempfile.mkdtemp(prefix="hybrid-hashes-"))
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    env = {**os.environ, "SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH, "PYTHONPATH": str(repo),
           "MKDOCS_HYBRID_NODE_MODULES": os.environ.get("MKDOCS_HYBRID_NODE_MODULES", str(HERE / "node_modules"))}
    print("sample site", tree_hash(sample_site(repo, out, env)))
    print("corpus site", tree_hash(corpus_site(repo, out, env)))
    if args.out is None:
        shutil.rmtree(out)


if __name__ == "__main__":
    main()
