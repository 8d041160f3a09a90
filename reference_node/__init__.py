"""reference_node."""
