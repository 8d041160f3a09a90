"""card_emulators."""
