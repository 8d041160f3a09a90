"""card_emulators/readers."""
