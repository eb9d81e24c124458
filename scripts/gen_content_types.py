"""Regenerate mkdocs_hybrid/deploy/content_types.json from the pinned wrangler.

wrangler picks each uploaded file's Content-Type with the `mime` npm package (v3, standard + other
types), which it bundles. Python's `mimetypes` disagrees on many extensions, so we ship the same
table, extracted from the wrangler in node_modules:

    python scripts/gen_content_types.py
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CLI = REPO / "node_modules/wrangler/wrangler-dist/cli.js"
TABLE = REPO / "mkdocs_hybrid/deploy/content_types.json"
MODULE = re.compile(r'node_modules/mime/types/(standard|other)\.js"\(exports, module2\) \{\s*init_import_meta_url\(\);'
                    r"\s*module2\.exports = (\{.*?\});\n")


def extract(cli_source: str) -> dict[str, str]:
    """Extension -> type, in the order mime defines them (standard first)."""
    tables = {name: json.loads(body) for name, body in MODULE.findall(cli_source)}
    if set(tables) != {"standard", "other"}:
        raise SystemExit(f"mime tables not found in {CLI}; wrangler's bundle layout changed")
    by_extension: dict[str, str] = {}
    for name in ("standard", "other"):
        for content_type, extensions in tables[name].items():
            for extension in extensions:
                if not extension.startswith("*"):
                    by_extension[extension.lower()] = content_type.lower()
    return dict(sorted(by_extension.items()))


def main() -> None:
    table = extract(CLI.read_text(encoding="utf-8"))
    TABLE.write_text(json.dumps(table, indent=0, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {len(table)} extensions to {TABLE.relative_to(REPO)}", file=sys.stderr)


if __name__ == "__main__":
    main()
