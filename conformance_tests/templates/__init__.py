"""Jinja2 templates of report.html (package data)."""
