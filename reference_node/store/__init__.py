"""Persistence: one schema and migration set for SQLite (embedded default) and PostgreSQL."""

from reference_node.store.db import Database, open_database

__all__ = ["Database", "open_database"]
