"""Suite of the ``his`` role: identification and card-use reports through the full process."""
