"""REST gateway (FastAPI) mirroring the node's main operations for HIS speaking HTTP/JSON."""
