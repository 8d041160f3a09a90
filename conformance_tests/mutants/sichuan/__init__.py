"""Mutants of the ``node-sichuan`` role, one per module: careless Sichuan-envelope platforms (HTTP
proxies in front of the reference node's front door, ``_proxy.py``)."""
