"""The record and fault core both kit proxies (gRPC FaultProxy, HTTP EnvelopeProxy) stand on."""

import threading
from dataclasses import dataclass
from typing import Any

from conformance_tests.proxycore import FORWARDED, REFUSED, REPLY_DROPPED, CallRecord, CallRecorder


@dataclass
class _Call(CallRecord):
    request: Any = None

    def details(self) -> dict[str, Any]:
        return {"request": self.request} if self.request else {}


def _call(recorder: CallRecorder[_Call], method: str, request: Any = None) -> tuple[_Call, bool, bool]:
    return recorder.record(lambda seq: _Call(seq, method, FORWARDED, request=request))


def test_faults_apply_to_the_next_n_calls_of_a_method_suffix_only() -> None:
    r: CallRecorder[_Call] = CallRecorder()
    r.fail_next("/Report", times=2)
    r.drop_reply_next("/VerifyQr")
    outcomes = [
        _call(r, m)[1:]
        for m in ("/x.Usage/Report", "/x.V/VerifyQr", "/x.Usage/Report", "/x.Usage/Report", "/x.V/VerifyQr")
    ]
    assert outcomes == [(True, False), (False, True), (True, False), (False, False), (False, False)]
    assert [c.seq for c in r.transcript] == [1, 2, 3, 4, 5]


def test_a_refused_call_never_also_loses_its_reply() -> None:
    r: CallRecorder[_Call] = CallRecorder()
    r.fail_next("/Report")
    r.drop_reply_next("/Report")
    assert _call(r, "/x/Report")[1:] == (True, False)  # refused: the drop waits for the next call
    assert _call(r, "/x/Report")[1:] == (False, True)


def test_mark_since_and_summary() -> None:
    r: CallRecorder[_Call] = CallRecorder()
    _call(r, "/x.V/VerifyQr")
    mark = r.mark()
    call, _, _ = _call(r, "/x.Usage/Report", request="R1")
    call.refused("UNAVAILABLE")
    other, _, _ = _call(r, "/x.V/VerifyQr")
    other.reply_dropped("REPLY_LOST")
    assert [c.name for c in r.since(mark)] == ["Report", "VerifyQr"]
    assert r.since(mark, "Report") == [call]
    assert r.calls[1:] == [("/x.Usage/Report", REFUSED), ("/x.V/VerifyQr", REPLY_DROPPED)]
    assert call.summary() == {
        "seq": 2,
        "method": "Report",
        "outcome": REFUSED,
        "status": "UNAVAILABLE",
        "request": "R1",
    }
    assert "status" not in r.transcript[0].summary()  # OK is not repeated in the transcript


def test_one_injected_fault_is_taken_by_exactly_one_of_many_concurrent_calls() -> None:
    r: CallRecorder[_Call] = CallRecorder()
    r.fail_next("/Report", times=1)
    start = threading.Barrier(16)
    refused: list[bool] = []

    def one() -> None:
        start.wait()
        refused.append(_call(r, "/x/Report")[1])

    threads = [threading.Thread(target=one) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert refused.count(True) == 1
    assert sorted(c.seq for c in r.transcript) == list(range(1, 17))
