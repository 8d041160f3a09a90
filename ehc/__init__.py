"""The kit's shared vocabulary: code tables, identifiers, the GM crypto facade and errors.

``ehc`` imports nothing else of the kit (``ehc.cli`` is the one exception: it composes the
subcommands of every package and nothing imports it).
"""

__version__ = "0.1.0"
