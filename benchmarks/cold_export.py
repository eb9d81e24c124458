"""One cold export of a corpus that ``bulk.py --keep DIR`` left, with the CPU of every esbuild sandbox counted.

    python benchmarks/cold_export.py DIR [--jobs 1] [--profile FILE]

What ``bulk.py``'s "cold export" row times (bundle cache and ledger forgotten, npm installs kept), into a new
``DIR/site-cold``, so that it can be repeated and paired (run it under ``/usr/bin/time -v`` or ``strace -f -c``,
alternating two checkouts through ``PYTHONPATH``). It prints the export's wall seconds and the CPU seconds of this
process and of its children. bubblewrap's sandboxed process is not waited for by the ``bwrap`` we start, so its
CPU would be missed: this process becomes their subreaper (see ``process_cpu.py``) and reaps them before reading.
``--profile FILE`` writes a cProfile of the export (wall clock) for ``python -m pstats FILE``.
"""

from __future__ import annotations

import argparse
import cProfile
import resource
import shutil
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.bulk import forget_builds  # noqa: E402
from benchmarks.process_cpu import become_subreaper, reap_orphans  # noqa: E402
from mkdocs_hybrid.config.manifest import load_manifest  # noqa: E402
from mkdocs_hybrid.pipeline import Export  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("root", type=Path, help="a folder bulk.py --keep made")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--profile", type=Path, default=None)
    args = parser.parse_args()
    become_subreaper()
    manifest = load_manifest(args.root / "hybrid.yml")
    forget_builds(manifest)
    site = args.root / "site-cold"
    shutil.rmtree(site, ignore_errors=True)
    export = Export(manifest, jobs=args.jobs)
    started = time.perf_counter()
    if args.profile is None:
        export.run(site)
    else:
        profile = cProfile.Profile()
        profile.runcall(export.run, site)
        profile.dump_stats(args.profile)
    wall = time.perf_counter() - started
    reap_orphans()
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    print(f"cold export, --jobs {args.jobs}: {wall:.2f} s; CPU: this process {own.ru_utime:.2f} user + "
          f"{own.ru_stime:.2f} sys, children (esbuild) {children.ru_utime:.2f} user + {children.ru_stime:.2f} sys")


if __name__ == "__main__":
    main()
