"""Signed revision histories: every thread's publications, chained and signed with Ed25519, and their check.

- :mod:`.records`: the records (no I/O): canonical bytes, hashes, the chain, what a build appends;
- :mod:`.keys`: the signing key from ``MKDOCS_HYBRID_HISTORY_KEY`` (PEM or base64 raw), public keys, signatures;
- :mod:`.store`: the append-only tables in the publish ledger, where the chain lives between builds;
- :mod:`.publish`: a build's part (records appended in the ledger's transaction; ``gallery/{thread}/history.json``,
  ``.well-known/mkdocs-hybrid-keys.json`` and the signed ``.well-known/mkdocs-hybrid-history.json`` written);
- :mod:`.verify` and :mod:`.readers`: ``mkdocs-hybrid verify``, on a site folder or over HTTP.

What a record signs: a version's ``published`` files as the ledger keeps them (``page.html``, ``style.css``,
``meta.json`` as rendered, ``source.json`` when the editor is on): the bytes that never change once published.
Derived files (posters, videos, ``oembed.json``) and the media a build lists in ``meta.json`` are made again from
those bytes and are not signed. Without a key a build writes no history.
"""
