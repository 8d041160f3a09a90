"""Suite of the ``terminal`` role, driven through the JSON-lines terminal driver protocol."""
