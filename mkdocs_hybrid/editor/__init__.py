"""Editor: the Mode A page published at ``editor/``.

``recipe`` writes what the in-browser build needs to make the share link's bytes (the native flags, the
snapshot tsconfig, the page template, the dependency sets and their vendor files); ``assets`` bundles the
editor's own JavaScript (``editor_src/``) with the pinned native esbuild and writes the page.
"""
