"""The gallery: the index of listed threads, one page per thread, and what their links show elsewhere.

``pages`` renders and writes the index and thread pages from ``cards`` (what a card and a version show, pure);
``data`` is the compact thread list the browser filters; ``social`` makes social cards and oEmbed data (pure
functions).
"""
