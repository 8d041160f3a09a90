"""Mutants of the ``node-tencent`` role, one per module: careless Tencent-envelope platforms
(HTTP proxies in front of the reference node's front door, ``_proxy.py``)."""
