"""The esbuild flags and loaders every build uses, in one place.

They are part of every bundle and vendor key, and the editor runs esbuild-wasm with the same flags, so a
change here changes bytes: it rebuilds every version (the publish ledger keeps serving published bytes).
"""

from __future__ import annotations

from mkdocs_hybrid.config.manifest import BuildOptions

__all__ = ["DATAURL_EXTENSIONS", "EMPTY_EXTENSIONS", "TEXT_EXTENSIONS", "esbuild_flags", "vendor_flags"]

DATAURL_EXTENSIONS = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".avif", ".svg", ".ico", ".bmp", ".cur",
                      ".woff", ".woff2", ".ttf", ".otf", ".mp3", ".wav", ".ogg")
TEXT_EXTENSIONS = (".txt", ".md", ".glsl", ".frag", ".vert", ".csv")
EMPTY_EXTENSIONS = (".eot",)
"""Referenced by older packages' CSS (Font Awesome 4) for Internet Explorer only: no browser today loads them,
so they become ``url()`` rather than a dead weight of data URLs (without a loader, esbuild would refuse them)."""


def esbuild_flags(options: BuildOptions) -> list[str]:
    """The flags every snapshot is built with; part of the build key, and what the editor mirrors.

    No ``--tsconfig-raw``: it would override the ``tsconfig.json`` each snapshot is laid out with
    (:data:`~mkdocs_hybrid.bundle.confinement.SNAPSHOT_TSCONFIG`), which also keeps any other tsconfig from
    applying."""
    flags = [
        "--bundle", "--format=esm", "--platform=browser", f"--target={options.target}",
        "--charset=utf8", "--jsx=automatic", '--define:process.env.NODE_ENV="production"', "--loader:.js=jsx",
        *(f"--loader:{ext}=dataurl" for ext in DATAURL_EXTENSIONS),
        *(f"--loader:{ext}=text" for ext in TEXT_EXTENSIONS),
        *(f"--loader:{ext}=empty" for ext in EMPTY_EXTENSIONS),
    ]
    return flags + ["--minify"] if options.minify else flags


def vendor_flags(options: BuildOptions) -> list[str]:
    """The esbuild flags of a vendor file: a demo's flags, as a classic script (IIFE) instead of a module, with
    an empty ``--tsconfig-raw`` so that no ``tsconfig.json`` around the build folder applies."""
    flags = [f for f in esbuild_flags(options) if not f.startswith("--format")]
    # Where it always stood (after the NODE_ENV define): the flag order is part of the vendor file's key.
    at = next(i for i, flag in enumerate(flags) if flag.startswith("--define:process.env.NODE_ENV")) + 1
    return [*flags[:at], "--tsconfig-raw={}", *flags[at:], "--format=iife"]
