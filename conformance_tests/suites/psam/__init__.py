"""Suite of the ``psam`` role: the terminal security module (DIGEST §2.3)."""
