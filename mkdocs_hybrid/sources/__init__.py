"""Sources: reading snapshots from directory trees, snapshot JSON files and the editor's store into
:class:`Snapshot` objects.

Each ``type:`` of the manifest's ``sources`` is a source kind (the protocol in ``kind``): one module per kind
(``directory``, ``snapshot_json``, ``store_source``, ``convex`` and ``convex_export``: a Convex deployment
and its export, through a copy kept in the build cache) parses its manifest entry, lists its snapshots with their
signatures and readers, says what ``mkdocs serve`` watches and where ``serve`` saves, and ``registry`` lists
the kinds (a new kind is its module plus one line there). ``scan`` reads every source the same way through
``reading`` (an unchanged snapshot is taken from the last scan's record, through
:mod:`mkdocs_hybrid.model.files`'s stat index, without reading its files); ``_validate`` is the validation
the kinds share; ``store`` is the editor's SQLite store.
"""
