"""Sources: reading snapshots from directory trees and snapshot JSON files into :class:`Snapshot` objects.

``scan`` walks the sources and validates every snapshot; ``stat_index`` lets an unchanged snapshot be
taken from the last scan's record without reading its files.
"""
