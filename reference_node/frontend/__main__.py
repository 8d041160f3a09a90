"""``python -m reference_node.frontend ...`` = ``ehc node frontend ...``."""

from reference_node.frontend.cli import frontend

if __name__ == "__main__":
    frontend(prog_name="python -m reference_node.frontend")
