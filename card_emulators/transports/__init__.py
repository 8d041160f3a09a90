"""card_emulators.transports: in-process, vpcd (pcscd) and PC/SC paths to a card."""
