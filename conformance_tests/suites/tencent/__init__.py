"""Suite of the ``node-tencent`` role: a node or platform through the Tencent HealthCardOpenAPI envelope."""
