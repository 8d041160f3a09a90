"""``python -m reference_node ...`` = ``ehc node ...``."""

from reference_node.cli import node

if __name__ == "__main__":
    node(prog_name="python -m reference_node")
