"""Suite of the ``card`` role: resident health card files, items, commands and authentication."""
