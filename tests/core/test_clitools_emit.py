"""JSON output is indented for a person at a terminal and one line for a pipe (issue #17)."""

from __future__ import annotations

import io
import json
import sys

from ehc.clitools import emit


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_json_is_pretty_at_a_terminal_and_compact_in_a_pipe(monkeypatch):
    data = {"ehcid": "AB" * 32, "person": {"name": "张三"}}
    terminal, pipe = _Terminal(), io.StringIO()
    monkeypatch.setattr(sys, "stdout", terminal)
    emit(data)
    monkeypatch.setattr(sys, "stdout", pipe)
    emit(data)
    assert terminal.getvalue().count("\n") > 3 and '\n  "person": {' in terminal.getvalue()
    assert pipe.getvalue().count("\n") == 1 and "张三" in pipe.getvalue()
    assert json.loads(terminal.getvalue()) == json.loads(pipe.getvalue()) == data
