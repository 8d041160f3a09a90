"""Screenshots of the dashboard (demo data) and the scanner bench into docs/screenshots/.

    python tests/browser/make_screenshots.py        # ~1-2 minutes: seeds the demo history first

Needs the same Debian chromium + Python playwright as the browser tests.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from conftest import ARGS, CHROMIUM  # noqa: E402

OUT = HERE.parents[1] / "docs" / "screenshots"


def main() -> int:
    from playwright.sync_api import sync_playwright

    from reference_node.supervision.demo import seed_demo
    from reference_node.testing import start_node

    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        node = start_node(tmp, http=True)
        try:
            print("demo data:", seed_demo(node.node))
            base = f"http://127.0.0.1:{node.http_port}"
            with sync_playwright() as p:
                ctx = p.chromium.launch_persistent_context(
                    str(Path(tmp) / "profile"), executable_path=CHROMIUM, headless=True, args=ARGS,
                    viewport={"width": 1440, "height": 900}, device_scale_factor=1, bypass_csp=True,
                )  # fmt: skip
                page = ctx.new_page()
                page.goto(f"{base}/dashboard?start=2021-07-01&end=2021-09-30&city=370800")
                page.wait_for_function("document.body.dataset.loaded", timeout=60_000)
                page.screenshot(path=str(OUT / "dashboard.png"), full_page=True)
                page.goto(f"{base}/scanner-bench")
                page.fill("#scanner", "Vendor X-2000 (TEST-ONLY)")
                page.fill("#operator", "测试员")
                page.click("#start")
                samples = page.evaluate("fetch('/scanner-bench/api/samples').then(r => r.json())")["samples"]
                for i, s in enumerate(samples):
                    page.wait_for_function(
                        f"document.querySelector('#code').dataset.sample === '{s['sample_id']}'"
                    )
                    if i == 5:
                        page.keyboard.type(s["expected"][:20])
                        page.screenshot(path=str(OUT / "scanner-bench-run.png"), full_page=True)
                        page.keyboard.type(s["expected"][20:])
                        page.keyboard.press("Enter")
                    elif s["sample_id"] in ("invalid-2", "degraded-blur-4"):
                        page.click("#skip")
                    elif i == 3:
                        wrong = "7" if s["expected"][-1] != "7" else "8"  # one substituted character
                        page.keyboard.type(s["expected"][:-1] + wrong)
                        page.keyboard.press("Enter")
                    else:
                        page.keyboard.type(s["expected"])
                        page.keyboard.press("Enter")
                page.wait_for_function("document.body.dataset.report", timeout=20_000)
                page.screenshot(path=str(OUT / "scanner-bench.png"), full_page=True)
                ctx.close()
        finally:
            node.stop()
    print("written:", sorted(p.name for p in OUT.glob("*.png")))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
