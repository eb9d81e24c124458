"""Media: the share link's second output, made from the bytes the site serves.

``_tools`` finds Chromium, ffmpeg and ffprobe; ``_encode`` holds the one web-safe H.264 profile every MP4 is
written with; ``_capture`` renders artifacts in headless Chromium on a virtual clock (posters and frames);
``_attached`` probes and transcodes a snapshot's attached video under hard limits.
"""
