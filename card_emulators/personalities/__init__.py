"""Card personalities on the ISO engine: the resident health card and the PSAM."""
