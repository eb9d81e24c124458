"""The artifact store deploy of a many-version site, per object: the client's CPU and moto's S3 server's.

    python benchmarks/r2_deploy.py [--threads 250 --versions 4] [--runs 3] [--baseline PATH] [--profile]

What ``tests/deploy/test_r2_artifacts.py``'s 10,000-version test does, at a size chosen here: the site its
``_large_site`` writes (per version a page, a ``meta.json`` and a share page; per thread a gallery page and a
latest page), deployed twice to the Pages API stand-in (``tests/cloudflare_api.py``'s ``FakeCloudflare``): first
all on Pages, which the stand-in's file limit refuses (set below the site's file count, as the free plan's
20,000 is for the test's 35,000 files), then with the artifact store, every store object a PutObject to moto's
S3 application in a process of its own (``tests/deploy/test_r2.py``'s ``S3_APP_SERVER``, a fresh one per run).

Each deploy runs in a child process (this checkout, or ``--baseline PATH``'s, e.g. ``git archive`` of the commit
before a change, alternating with this one in each run) that prints the CPU seconds of its own process (the
deploy client, and the stand-in's thread) and of the moto server's, and the wall seconds, for the refused deploy
and for the store deploy. ``--profile`` runs one store deploy of this checkout under cProfile, every thread
profiled (the upload pool's too), prints the functions with the most own time and the most time under them, and
keeps the stats in ``$R2_DEPLOY_PROFILE`` (default ``/tmp/r2_deploy.prof``) for ``python -m pstats``.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


def child(site: Path, threads: int, versions: int, profile: bool) -> dict[str, Any]:
    """One refused all-on-Pages deploy and one store deploy, in this process; CPU and wall of each."""
    from mkdocs_hybrid.deploy import ArtifactStore, Credentials, DeployError, R2Config, RetryPolicy, deploy_site
    from tests.cloudflare_api import FakeCloudflare
    from tests.deploy.test_r2 import S3_APP_SERVER, _answers, fresh_bucket
    from tests.factory import free_port

    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_EC2_METADATA_DISABLED="true",
                      AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull)
    port = free_port()
    server = subprocess.Popen([sys.executable, "-c", S3_APP_SERVER, str(port)], stdin=subprocess.DEVNULL,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        while not _answers(endpoint):
            time.sleep(0.1)
        bucket = fresh_bucket(endpoint)
        config = R2Config.from_env(bucket, "https://demos.example.com", endpoint_url=endpoint, prefix="")
        store = ArtifactStore(config, site_origin="https://gallery.example.com/docs/",
                              **({"jobs": int(os.environ["R2_DEPLOY_JOBS"])} if "R2_DEPLOY_JOBS" in os.environ else {}))
        objects = threads * versions * 3 + threads * 2 + 3
        fast = RetryPolicy(base_delay=0.001, gateway_delay=0.001)
        with FakeCloudflare(max_file_count=objects // 2, jwt_lifetime=3600) as fake:
            def deploy(artifacts: ArtifactStore | None) -> Any:
                return deploy_site(site, project="demos", branch="main", artifacts=artifacts, retry=fast,
                                   commit_hash="a" * 40, commit_message="benchmark", commit_dirty=False,
                                   credentials=Credentials(fake.token, fake.account_id, fake.base_url))

            def measured(artifacts: ArtifactStore | None) -> dict[str, float]:
                cpu, server_cpu, started = time.process_time(), process_cpu(server.pid), time.perf_counter()
                try:
                    result = deploy(artifacts)
                    assert result.artifact_store is not None and result.artifact_store.uploaded == objects
                except DeployError as error:
                    assert artifacts is None and "per deployment" in str(error), error
                return {"cpu": time.process_time() - cpu, "server": process_cpu(server.pid) - server_cpu,
                        "wall": time.perf_counter() - started}

            refused = measured(None)
            if profile:
                with AllThreadsProfiled() as stats:
                    stored = measured(store)
                return {"refused": refused, "stored": stored, "profile": stats.getvalue(), "objects": objects}
            return {"refused": refused, "stored": measured(store), "objects": objects}
    finally:
        server.kill()
        server.wait(timeout=10)


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of a running process (``/proc/PID/stat``; Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class AllThreadsProfiled:
    """cProfile in this thread and in every thread started meanwhile, timed by each thread's CPU clock (a wall clock
    would count the waits for the interpreter lock); the merged stats' text in ``getvalue()``."""

    def __init__(self) -> None:
        self.profiles: list[cProfile.Profile] = []
        self.text = io.StringIO()
        self._run = threading.Thread.run

    def __enter__(self) -> io.StringIO:
        profiles, run = self.profiles, self._run

        def profiled(thread: threading.Thread) -> None:
            profile = cProfile.Profile(time.thread_time)
            profiles.append(profile)
            profile.runcall(run, thread)

        threading.Thread.run = profiled  # type: ignore[method-assign]
        main = cProfile.Profile(time.thread_time)
        profiles.append(main)
        main.enable()
        return self.text

    def __exit__(self, *_: object) -> None:
        self.profiles[0].disable()
        threading.Thread.run = self._run  # type: ignore[method-assign]
        stats = pstats.Stats(self.profiles[0], stream=self.text)
        for profile in self.profiles[1:]:
            stats.add(profile)
        stats.dump_stats(os.environ.get("R2_DEPLOY_PROFILE", os.path.join(tempfile.gettempdir(), "r2_deploy.prof")))
        stats.sort_stats("tottime").print_stats(40)
        stats.sort_stats("cumulative").print_stats(60)


def run_child(checkout: Path, site: Path, args: argparse.Namespace, profile: bool = False) -> dict[str, Any]:
    command = [sys.executable, str(Path(__file__).resolve()), "--child", str(site), "--threads", str(args.threads),
               "--versions", str(args.versions)] + (["--profile"] if profile else [])
    env = dict(os.environ, PYTHONPATH=str(checkout))
    out = subprocess.run(command, env=env, cwd=checkout, check=True, capture_output=True, text=True)
    return dict(json.loads(out.stdout.splitlines()[-1]))


def show(name: str, measured: dict[str, Any]) -> str:
    refused, stored, objects = measured["refused"], measured["stored"], measured["objects"]
    return (f"{name:8} refused: {refused['cpu']:6.2f} CPU-s {refused['wall']:6.2f} s | store deploy: client "
            f"{stored['cpu']:6.2f} CPU-s ({1000 * stored['cpu'] / objects:.2f} ms/object), moto "
            f"{stored['server']:6.2f} CPU-s ({1000 * stored['server'] / objects:.2f} ms/object), "
            f"{stored['wall']:6.2f} s wall")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=250)
    parser.add_argument("--versions", type=int, default=4)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--baseline", type=Path, help="another checkout, run alternately with this one")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        measured = child(args.child, args.threads, args.versions, args.profile)
        if "profile" in measured:
            print(measured.pop("profile"))
        print(json.dumps(measured))
        return
    sys.path.insert(0, str(REPO))
    from tests.deploy.test_r2_artifacts import _large_site

    with tempfile.TemporaryDirectory(prefix="r2-deploy-") as tmp:
        site = _large_site(Path(tmp) / "site", args.threads, args.versions)
        if args.profile:
            command = [sys.executable, str(Path(__file__).resolve()), "--child", str(site), "--threads",
                       str(args.threads), "--versions", str(args.versions), "--profile"]
            subprocess.run(command, env=dict(os.environ, PYTHONPATH=str(REPO)), cwd=REPO, check=True)
            return
        checkouts = [("this", REPO)] + ([("baseline", args.baseline.resolve())] if args.baseline else [])
        rows: dict[str, list[dict[str, Any]]] = {name: [] for name, _ in checkouts}
        for run in range(args.runs):
            for name, checkout in checkouts if run % 2 == 0 else checkouts[::-1]:
                measured = run_child(checkout, site, args)
                rows[name].append(measured)
                print(f"{show(name, measured)} (load {os.getloadavg()[0]:.1f})", flush=True)
        for name, measured_rows in rows.items():
            median = {part: {key: statistics.median(row[part][key] for row in measured_rows)
                             for key in measured_rows[0][part]} for part in ("refused", "stored")}
            print(f"median   {show(name, {**median, 'objects': measured_rows[0]['objects']})}")


if __name__ == "__main__":
    main()
