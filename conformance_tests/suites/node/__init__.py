"""Suite of the ``node`` role: issuance, QR codes, verification, main index, usage, security."""
