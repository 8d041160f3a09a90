"""Jinja2 templates of the load pages: report.html of a run and bench.html (package data)."""
