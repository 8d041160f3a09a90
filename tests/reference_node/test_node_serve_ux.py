"""`ehc node serve` as a person meets it: a taken port is one line with the option to change (exit 1,
no traceback), whatever the process count; the start-up lines name the pages; `/` links them."""

from __future__ import annotations

import socket
import subprocess
import sys

import httpx
import pytest

from reference_node.testing import start_node


def _serve(tmp_path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "reference_node", "serve", "--data-dir", str(tmp_path / "n2"), *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("processes", ["1", "2"])
@pytest.mark.parametrize("which", ["grpc", "http"])
def test_a_taken_port_is_one_clear_line(tmp_path, processes, which):
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen(1)
    taken = str(holder.getsockname()[1])
    try:
        ports = (
            ["--grpc-port", taken, "--http-port", "0"]
            if which == "grpc"
            else ["--grpc-port", "0", "--http-port", taken]
        )
        done = _serve(tmp_path, *ports, "--processes", processes)
        assert done.returncode == 1, done.stderr[-800:]
        assert "NODE_PORT_BUSY" in done.stderr and f"--{which}-port" in done.stderr
        assert "Traceback" not in done.stderr
    finally:
        holder.close()


def test_the_index_page_links_the_pages(tmp_path):
    node = start_node(tmp_path, http=True)
    try:
        page = httpx.get(f"http://127.0.0.1:{node.http_port}/", timeout=10)
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        for path in ("/dashboard", "/scanner-bench", "/docs", "/healthz", "/metrics"):
            assert f'href="{path}"' in page.text
    finally:
        node.stop()


def test_the_start_up_lines_name_the_pages(tmp_path):
    node = start_node(tmp_path, subprocess=True, http=True, extra_args=["--api", "tencent"])
    try:
        log = (tmp_path / "node-process.log").read_text(encoding="utf-8")
        for label in ("dashboard:", "scanner bench:", "API docs:", "tencent envelope:"):
            assert label in log, log[-1500:]
        assert f"http://127.0.0.1:{node.http_port}/docs" in log
    finally:
        node.stop()
