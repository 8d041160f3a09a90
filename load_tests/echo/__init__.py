"""The baseline target: a trivial gRPC echo service (raw bytes, no generated code).

Every benchmark runs the same Locust setup against this server and against the node, on the
same machine in the same invocation, so the node's figures can be read against the ceiling of
the load generator and gRPC stack themselves.
"""

SERVICE = "ehc.load.echo.v1.Echo"
METHOD = "Echo"
FULL_METHOD = f"/{SERVICE}/{METHOD}"
