"""Screenshots of the dashboard (demo data), its printed form, the weekly notice PDF and the
scanner bench into docs/screenshots/.

    python tests/browser/make_screenshots.py        # ~1-2 minutes: seeds the demo history first

Needs the same Debian chromium + Python playwright as the browser tests; the notice's picture
needs Debian poppler-utils (pdftoppm), skipped with the reason otherwise. PNGs are reduced to a
256-colour palette (docs stay small).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from conftest import ARGS, CHROMIUM  # noqa: E402

OUT = HERE.parents[1] / "docs" / "screenshots"
QUARTER = "start=2021-07-01&end=2021-09-26&city=370800"  # 2021 Q3 up to a Sunday: the notice's week is whole


def small_png(path: Path) -> None:
    """A 256-colour palette: the pages are flat colours and text, a fifth of the RGB size."""
    from PIL import Image

    with Image.open(path) as im:
        im.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)


def notice_png(base: str, tmp: str) -> None:
    """Page 1 of the weekly notice PDF the node serves, as the official prints it."""
    import httpx

    pdf = Path(tmp) / "notice.pdf"
    query = QUARTER.replace("city=", "area=")  # the page's filter: city → area of the API
    pdf.write_bytes(httpx.get(f"{base}/dashboard/api/notice.pdf?{query}", timeout=120).content)
    if not shutil.which("pdftoppm"):
        print("SKIP weekly-notice.png: pdftoppm is not installed (apt-get install poppler-utils)")
        return
    subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", str(pdf),
                    str(OUT / "weekly-notice")], check=True)  # fmt: skip
    small_png(OUT / "weekly-notice.png")


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
                page.goto(f"{base}/dashboard?{QUARTER}")
                page.wait_for_function("document.body.dataset.loaded", timeout=60_000)
                page.screenshot(path=str(OUT / "dashboard.png"), full_page=True)
                page.emulate_media(media="print")  # what window.print() lays out (A4 landscape width)
                page.set_viewport_size({"width": 1040, "height": 900})
                page.screenshot(path=str(OUT / "dashboard-print.png"), full_page=True)
                page.emulate_media(media="screen")
                page.set_viewport_size({"width": 1440, "height": 900})
                notice_png(base, tmp)
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
    for png in ("dashboard.png", "dashboard-print.png"):
        small_png(OUT / png)
    print("written:", sorted(p.name for p in OUT.glob("*.png")))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
