"""gevent must never leak into the caller: the CLI side imports neither Locust nor gevent."""

from __future__ import annotations

import subprocess
import sys


def test_cli_side_modules_do_not_import_locust_or_gevent() -> None:
    code = (
        "import sys\n"
        "import load_tests.cli, load_tests.orchestrate, load_tests.seeding, load_tests.report, load_tests.targets\n"
        "import load_tests.bench, load_tests.probe, load_tests.tencent_target\n"
        "from click.testing import CliRunner\n"
        "r = CliRunner().invoke(load_tests.cli.load, ['scenarios'])\n"
        "assert r.exit_code == 0, r.output\n"
        "print(','.join(m for m in ('locust', 'gevent') if m in sys.modules) or 'clean')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "clean"
