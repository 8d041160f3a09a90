"""``ehc node import`` (issue #14): bindings travel in RegisterChunk streams, and an import killed
mid-way resumes after its last acknowledged chunk with no person, card or binding twice; on
SQLite and PostgreSQL, against a two-process node."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

from node_helpers import register_request

from reference_node.proto.ehc.node.v1 import issuance_pb2 as ip
from reference_node.store.db import open_database
from reference_node.testing import start_node


def _import(node, pop: Path, *extra: str) -> subprocess.Popen:  # noqa: ANN001
    return subprocess.Popen(
        [sys.executable, "-m", "ehc.cli", "node", "import", "--population", str(pop),
         "--client-file", str(node.client_file), *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def test_import_killed_midway_resumes_without_duplicates(tmp_path, db_url):
    from fixtures.population import PopulationConfig, generate

    people = list(generate(PopulationConfig(count=12000, seed=3, region="370800", newborn_rate=0.05)))
    pop = tmp_path / "pop.jsonl"
    pop.write_text("".join(p.to_json() + "\n" for p in people), encoding="utf-8")
    state = Path(str(pop) + ".import-state")
    node = start_node(tmp_path, db_url, subprocess=True, extra_args=["--processes", "2"], timeout=120)
    try:
        first = _import(node, pop)
        deadline = time.monotonic() + 120
        # kill once at least one chunk is acknowledged and recorded (header + entry + one result)
        while time.monotonic() < deadline and first.poll() is None:
            if state.exists() and len(state.read_text().splitlines()) >= 3:
                break
            time.sleep(0.02)
        assert first.poll() is None, "the import ended before it could be interrupted"
        first.send_signal(signal.SIGKILL)
        first.wait(30)
        assert state.exists()
        second = _import(node, pop)
        out, err = second.communicate(timeout=600)
        assert second.returncode == 0, err[-2000:]
        summary = json.loads(out)
        assert 0 < summary["resumed_after"] < len(people), summary
        # only what the first run had not seen acknowledged is sent again (two streams: not a prefix)
        assert summary["resumed_after"] + summary["sent"] == len(people), summary
        assert summary["accepted"] == len(people) and summary["rejected"] == 0, summary
        assert "resuming after" in err and "/s" in err  # progress: resumed, with a rate
        assert not state.exists()  # removed once the import ended
        registered = {p.id_number for p in people}
        children = [p for p in people if p.guardian_id_number and p.guardian_id_number in registered]
        assert summary["guardians_bound"] == len(children) > 0
        db = open_database(db_url, node.data_dir)
        try:
            persons = db.one("SELECT COUNT(*) FROM persons")[0]
            cards = db.one("SELECT COUNT(*) FROM cards")[0]
            family = db.one("SELECT COUNT(*) FROM family")[0]
        finally:
            db.close()
        assert persons == cards == len(people), (persons, cards)  # nothing registered twice
        assert family == len(children)
    finally:
        node.stop()


def test_bindings_in_a_chunk_answer_per_item(tmp_path, db_url):
    node = start_node(tmp_path, db_url)
    try:
        with node.client() as c:
            a = c.issuance.Register(register_request()).card.ehcid
            b = c.issuance.Register(register_request()).card.ehcid
            chunk = ip.RegisterChunk(
                records=[register_request()],
                bindings=[
                    ip.BindFamilyRequest(guardian_ehcid=a, member_ehcid=b, relation="guardian"),
                    ip.BindFamilyRequest(guardian_ehcid=a, member_ehcid=a),
                    ip.BindFamilyRequest(guardian_ehcid=a, member_ehcid="B" * 64),
                    ip.BindFamilyRequest(guardian_ehcid=a, member_ehcid=b, relation="guardian"),
                ],
            )
            results = list(c.issuance.RegisterBatchChunks(iter([chunk])))
            # the record is committed first, then the bindings in their own answer
            assert [len(r.items) for r in results] == [1, 0] and results[0].items[0].ok
            items = results[1].bindings
            assert [(it.index, it.ok, it.error.code) for it in items] == [
                (0, True, ""),
                (1, False, "NODE_FAMILY_INVALID"),
                (2, False, "NODE_CARD_UNKNOWN"),
                (3, True, ""),  # a repeated binding is idempotent
            ]
            assert results[1].bound_so_far == 2
            family = c.issuance.Query(ip.QueryRequest(main_index=items[0].main_index)).family
            assert [m.ehcid for m in family] == [b]
    finally:
        node.stop()


def test_bindings_batched_lookups_follow_merges_and_audit_each_binding(tmp_path, db_url):
    """The chunk's cards and persons are read in batches: a merged person's card binds its
    surviving person, a pair bound twice keeps the last relation, every binding is audited."""
    from reference_node.proto.ehc.node.v1 import main_index_pb2 as mp

    node = start_node(tmp_path, db_url)
    try:
        with node.client() as c:
            a, b, m = (c.issuance.Register(register_request()) for _ in range(3))
            c.main_index.Merge(
                mp.MergeRequest(
                    surviving_main_index=a.person.main_index, merged_main_index=m.person.main_index
                )
            )
            bind = ip.BindFamilyRequest
            chunk = ip.RegisterChunk(
                bindings=[
                    bind(guardian_ehcid=m.card.ehcid, member_ehcid=b.card.ehcid, relation="guardian"),
                    bind(guardian_ehcid="not-an-ehcid", member_ehcid=b.card.ehcid),
                    bind(guardian_ehcid=a.card.ehcid, member_ehcid=m.card.ehcid),  # the same person
                    bind(guardian_ehcid=a.card.ehcid, member_ehcid=b.card.ehcid, relation="parent"),
                ]
            )
            (result,) = list(c.issuance.RegisterBatchChunks(iter([chunk])))
            got = [(it.index, it.ok, it.error.code, it.main_index) for it in result.bindings]
            assert got == [
                (0, True, "", a.person.main_index),  # m's card: bound as a, the survivor
                (1, False, "NODE_FIELD_BAD_FORMAT", ""),
                (2, False, "NODE_FAMILY_INVALID", ""),
                (3, True, "", a.person.main_index),
            ]
            assert result.bound_so_far == 2
        db = open_database(db_url, node.data_dir)
        try:
            rows = db.query("SELECT guardian, member, relation FROM family")
            audited = db.one("SELECT COUNT(*) FROM audit WHERE action = 'bind'")[0]
        finally:
            db.close()
        assert rows == [(a.person.main_index, b.person.main_index, "parent")]
        assert audited == 2
    finally:
        node.stop()


def test_resume_state_takes_acknowledged_positions_in_any_order(tmp_path):
    """Two streams acknowledge slices out of order: the state keeps each position (accepted or
    rejected) once, and a resumed run skips exactly those."""
    from types import SimpleNamespace as NS

    from reference_node.cli import _ImportState

    pop = tmp_path / "pop.jsonl"
    pop.write_text("{}\n" * 10, encoding="utf-8")
    state = _ImportState(tmp_path / "s", pop)
    assert state.load() == 0

    def item(k: int, ehcid: str = "") -> NS:  # the k-th record of its stream; no EHCID: refused
        error = NS(code="" if ehcid else "NODE_FIELD_BAD_FORMAT", number=0, message="", field="")
        return NS(index=k, ok=bool(ehcid), ehcid=ehcid, request_id="", error=error)

    # stream B (positions 6..9) answers before stream A (0..3); A's 2nd record is refused
    state.record(NS(items=[item(0, "E6"), item(1, "E7")]), [6, 7, 8, 9])
    state.record(NS(items=[item(0, "E0"), item(1)]), [0, 1, 2, 3])
    again = _ImportState(tmp_path / "s", pop)  # the import is killed here, then run again
    assert again.load() == 4
    assert again.acknowledged() == {0, 1, 6, 7}
    assert again.ehcids == {0: "E0", 6: "E6", 7: "E7"} and [r["index"] for r in again.rejected] == [1]
