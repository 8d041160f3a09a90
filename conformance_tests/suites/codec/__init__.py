"""Suite of the ``codec`` role: QR text of the electronic health card (DIGEST §1.2, §1.3)."""
