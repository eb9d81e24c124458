"""Live publishing: one version online in seconds, without rebuilding or redeploying the site.

:mod:`~mkdocs_hybrid.live.publisher` builds a thread alone and puts it in the artifact store;
:mod:`~mkdocs_hybrid.live.follow` watches the sources and publishes each new version (``mkdocs-hybrid worker``).
"""
