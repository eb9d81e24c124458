"""Configuration: the manifest (``hybrid.yml`` or the plugin's inline keys), parsed and validated strictly.

``manifest`` owns the format: sources, build options, video and deploy sections, and their errors.
"""
