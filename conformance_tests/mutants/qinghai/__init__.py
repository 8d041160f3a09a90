"""Mutants of the ``node-qinghai`` role, one per module: careless Qinghai SOAP platforms (real SOAP
servers in front of the reference node's front door, ``_proxy.py``)."""
