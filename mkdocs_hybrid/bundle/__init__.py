"""Bundle: from snapshots to bundles.

``toolchain`` finds the pinned native esbuild, ``flags`` holds the esbuild flags and loaders every build
uses (the editor mirrors them), ``dependencies`` resolves and installs npm sets, ``vendor`` makes the shared
vendor files, ``plan`` gives each snapshot its installed set and vendor file, ``bundler`` runs esbuild in
isolated batches, ``confinement`` keeps every build inside its snapshot and packages, ``html_entry`` splits
``index.html`` demos, ``bundle_cache`` keeps bundles by key.
"""
