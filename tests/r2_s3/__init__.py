"""R2's S3 API, stood in inside ``wrangler pages dev``, over the same local R2 the site's worker reads.

The publisher (:class:`~mkdocs_hybrid.deploy._r2_artifacts.ArtifactStore`,
:class:`~mkdocs_hybrid.deploy._ledger_object.BucketRecords`) talks S3 through boto3; wrangler's local R2 has no
S3 API. :func:`serve_site_with_r2_s3` composes the test's Pages folder so its worker answers ``/__s3/*`` with
``s3.js`` (path-style S3 over the R2 bindings; what it covers and where it differs from S3 is in its header)
and everything else with the site's own ``_worker.js``, unchanged::

    buckets = {"demos": "ARTIFACTS", "demos-private": "UNLISTED"}   # bucket name -> the worker's binding
    with serve_site_with_r2_s3(pages_dir, buckets) as (base_url, endpoint):
        store = ArtifactStore(r2_config(endpoint, "demos"), site_origin="https://site.example.com")
        store.publish(store.stage(files))
        httpx.get(f"{base_url}/p/thread/v1/")     # served by the site's worker from what was just uploaded

One process holds both, so what the stand-in wrote is what ``pages dev`` serves, with no copy in between. The S3
endpoint is a relay on its own port (:mod:`tests.r2_s3._relay`) that answers ``Expect: 100-continue`` as R2 does
(workerd does not, which would stall every file upload 1 s) and passes everything else on unchanged to
``{base_url}/__s3``.
The folder is changed in place (give it a copy): ``_worker.js`` becomes the directory form (``_worker.js/index.js``
routing to ``product.js``, the original file) and ``_routes.json`` gets ``/__s3/*`` in its include list.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

from mkdocs_hybrid.deploy._r2_config import R2Config
from tests.r2_s3._relay import relay
from tests.wrangler_dev import serve_with_wrangler

HERE = Path(__file__).resolve().parent
S3_PREFIX = "/__s3"
"""Where the stand-in answers on the site's origin: the S3 endpoint URL is ``{base_url}/__s3``."""
WORKER = "_worker.js"
ROUTES = "_routes.json"
ACCESS_KEY_ID = "r2-s3-standin-key"
SECRET_ACCESS_KEY = "r2-s3-standin-secret"
CREDENTIALS_ENV = {"R2_ACCESS_KEY_ID": ACCESS_KEY_ID, "R2_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY}
"""What :meth:`R2Config.from_env` reads (the stand-in checks no signature): set these, and
``deploy.r2_endpoint_url`` (or ``R2_ENDPOINT_URL``) to the endpoint, for code that builds its own config."""
_ASSETS_ONLY = "export default { fetch: (request, env) => env.ASSETS.fetch(request) };\n"


class Served(NamedTuple):
    base_url: str
    """The site, as ``wrangler pages dev`` serves it."""
    s3_endpoint: str
    """The S3 endpoint URL for boto3 (path-style; ``deploy.r2_endpoint_url``): the relay's ``/__s3``."""


@contextmanager
def serve_site_with_r2_s3(pages_dir: Path, buckets: Mapping[str, str], *, persist_dir: Path | None = None,
                          extra_args: Sequence[str] = ()) -> Iterator[Served]:
    """Compose ``pages_dir`` (:func:`compose_worker`) and serve it with ``wrangler pages dev``, each bucket
    bound as its binding (``{"demos": "ARTIFACTS"}`` is ``--r2 ARTIFACTS=demos``); yield both URLs."""
    compose_worker(pages_dir, buckets)
    r2_args = [arg for name, binding in buckets.items() for arg in ("--r2", f"{binding}={name}")]
    with serve_with_wrangler(pages_dir, extra_args=[*r2_args, *extra_args], persist_dir=persist_dir) as base_url, \
            relay(base_url) as relay_url:
        yield Served(base_url, f"{relay_url}{S3_PREFIX}")


def compose_worker(pages_dir: Path, buckets: Mapping[str, str]) -> None:
    """Turn ``pages_dir/_worker.js`` into the directory form that also routes ``/__s3/*`` to the stand-in."""
    worker = pages_dir / WORKER
    product = worker.read_text(encoding="utf-8") if worker.is_file() else _ASSETS_ONLY
    if worker.is_file():
        worker.unlink()
    worker.mkdir(exist_ok=True)
    (worker / "product.js").write_text(product, encoding="utf-8")
    for name in ("index.js", "s3.js"):
        shutil.copyfile(HERE / name, worker / name)
    (worker / "buckets.js").write_text(f"export const BUCKETS = {json.dumps(dict(buckets))};\n"
                                       f"export const PREFIX = {json.dumps(S3_PREFIX)};\n", encoding="utf-8")
    routes = pages_dir / ROUTES
    if routes.is_file():  # without one, every request reaches the worker already
        spec = json.loads(routes.read_text(encoding="utf-8"))
        spec["include"] = [*spec.get("include", []), f"{S3_PREFIX}/*"]
        routes.write_text(json.dumps(spec, indent=2) + "\n", encoding="utf-8")


def r2_config(endpoint: str, bucket: str, public_url: str = "https://demos.example.com") -> R2Config:
    """A config for the artifact store or the ledger (``prefix=''``) pointed at the stand-in."""
    return R2Config(bucket=bucket, public_url=public_url, endpoint_url=endpoint, access_key_id=ACCESS_KEY_ID,
                    secret_access_key=SECRET_ACCESS_KEY, prefix="")
