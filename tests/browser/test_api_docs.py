"""/docs renders the node's API offline: Swagger UI is served by the node itself (no CDN), so a
browser with no internet shows every operation (issue #17)."""

from __future__ import annotations


def test_api_docs_render_offline_with_every_route(tmp_path, browser_page):
    from reference_node.testing import start_node

    node = start_node(tmp_path, http=True)
    try:
        requests: list[str] = []
        browser_page.on("request", lambda r: requests.append(r.url))
        browser_page.goto(f"http://127.0.0.1:{node.http_port}/docs")
        browser_page.wait_for_selector(".opblock", timeout=30_000)
        paths = browser_page.eval_on_selector_all(
            ".opblock-summary-path", "els => els.map(e => e.textContent)"
        )
        assert "/v1/verify/qr" in " ".join(paths) and "/v1/usage" in " ".join(paths), paths
        outside = [
            u
            for u in requests
            if not u.startswith(f"http://127.0.0.1:{node.http_port}/")
            and not u.startswith(("data:", "blob:"))
        ]
        assert outside == [], f"/docs fetched from outside the node: {outside}"
    finally:
        node.stop()
