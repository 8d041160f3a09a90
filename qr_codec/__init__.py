"""qr_codec."""
