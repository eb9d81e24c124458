"""Sources: reading snapshots from directory trees, snapshot JSON files and the editor's store into
:class:`Snapshot` objects.

``scan`` walks the sources and validates every snapshot (an unchanged one is taken from the last scan's record,
through :mod:`mkdocs_hybrid.model.files`'s stat index, without reading its files); ``store`` is the editor's
SQLite store.
"""
