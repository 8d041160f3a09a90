"""Web assets shared by every page the kit renders (node dashboard, certification and load reports).

The vendored files live in ``vendor/`` so that every page works offline (no CDN)."""

from __future__ import annotations

from importlib import resources

CHART_JS_VERSION = "4.6.1"


def chart_js() -> str:
    """Chart.js (MIT, vendored from npm chart.js@4.6.1) as text, to inline or serve."""
    return resources.files(__package__).joinpath("vendor/chart.umd.min.js").read_text(encoding="utf-8")
