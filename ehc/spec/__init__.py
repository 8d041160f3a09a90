"""Spec vocabulary: code tables, identifiers and the data model shared by every package."""
