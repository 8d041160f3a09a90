"""Suite of the node-qinghai role (Qinghai QWB 002-2017 SOAP envelope)."""
