"""The data every stage shares: errors that carry their location, snapshots and threads, and the catalog of
built versions. Nothing here reads or writes files of a site.
"""
