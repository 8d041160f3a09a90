"""Operations of the node, shared by the gRPC server and the REST gateway.

Each operation is ``op(node, caller, request) -> response`` on the ehc.node.v1 messages and raises
only ``EhcError``. ``OPERATIONS`` maps the full gRPC method name to (operation, kind).
"""
