"""In-process card emulator benchmark: APDUs per second through the engine and through pyscard.

    python benchmarks/bench_card_inprocess.py [--seconds 1.0] [--rounds 5] [--json]

Scenarios, each measured in CPU time of this process (the development machine is shared; CPU time
is what carries across load), median of ``--rounds`` interleaved rounds:

* ``SELECT MF`` (00 A4 00 0C 02 3F00) and ``READ RECORD`` item 57 by tag (00 B2 39 00 05);
  each on ``card.execute`` directly and on the pyscard ``EmulatedCardConnection``; the same pyscard
  call on a card that answers 9000 at once is the baseline (the cost of pyscard's transmit layer);
* a journaled ``UPDATE RECORD`` (EF08 phone, after UK_DDF1);
* a full terminal read: SELECT DDF1 + EF05, 10 READ RECORDs, PSAM read-key authentication
  (GET CHALLENGE, DELIVER KEY, CIPHER + GET RESPONSE, EXTERNAL AUTHENTICATE), SELECT EF06,
  5 READ RECORDs - user card and PSAM both emulated; reported as reads/s and APDUs/s;
* personalisation of a card (keys, SM2 issuer signature): cards/s.
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import json
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from card_emulators import flows  # noqa: E402
from card_emulators.personalise import CardKeys, new_psam, personalise_user_card  # noqa: E402
from card_emulators.transports.inprocess import connect  # noqa: E402
from ehc.gm import SM2PrivateKey  # noqa: E402
from ehc.spec.model import Person  # noqa: E402

PERSON = Person("P1", "张三丰", "1", "01", "1980-02-03", "01", "11010519491231002X", "370811")


class NullCard:
    """Baseline: a card OS that answers 9000 to everything, at once."""

    def getATR(self) -> bytes:  # noqa: N802
        return bytes.fromhex("3B00")

    atr = property(getATR)

    def powerUp(self) -> None:  # noqa: N802
        pass

    def powerDown(self) -> None:  # noqa: N802
        pass

    def reset(self) -> None:
        pass

    def execute(self, apdu: bytes) -> bytes:
        return b"\x90\x00"

    transmit = execute


def rate(fn: Callable[[], object], seconds: float) -> float:
    """Calls per CPU second of ``fn`` over about ``seconds`` of CPU time."""
    n, batch = 0, 16
    start = time.process_time()
    while True:
        for _ in range(batch):
            fn()
        n += batch
        spent = time.process_time() - start
        if spent >= seconds:
            return n / spent
        batch = min(batch * 2, 4096)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=1.0)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    keys = CardKeys.test_only("bench")
    issuer = SM2PrivateKey.from_int(0xBE7C)
    template = personalise_user_card(PERSON, keys, issuer, issue_date=dt.date(2024, 1, 2), serial="00000001")
    card = copy.deepcopy(template)
    card.powerUp()
    psam = new_psam(keys)
    psam.powerUp()
    flows.open_psam(psam.transmit)
    conn = connect(card)
    null_conn = connect(NullCard())  # type: ignore[arg-type]
    select_mf = bytes.fromhex("00A4000C023F00")
    read57 = bytes.fromhex("00B2390005")
    select_mf_l, read57_l = list(select_mf), list(read57)
    city = card.item_raw(0xDDF1, 0xEF05, 57)[:2] + b"000000"

    def engine_read57() -> None:
        card.execute(read57)

    def pyscard_read57() -> None:
        conn.transmit(read57_l)

    apdus_per_read = 0

    def full_read() -> None:
        nonlocal apdus_per_read
        count = [0]

        def t(apdu: bytes) -> bytes:
            count[0] += 1
            return card.execute(apdu)

        def p(apdu: bytes) -> bytes:
            count[0] += 1
            return psam.execute(apdu)

        flows.select(t, 0xDDF1)
        flows.select(t, 0xEF05)
        for n in range(1, 11):
            flows.send(t, bytes([0x00, 0xB2, n, 0x04, 0x00]), "read")
        flows.authenticate_read_key(t, p, card.card_number, city)
        flows.select(t, 0xEF06)
        for n in range(1, 6):
            flows.send(t, bytes([0x00, 0xB2, n, 0x04, 0x00]), "read")
        apdus_per_read = count[0]

    upd_card = copy.deepcopy(template)
    upd_card.powerUp()
    flows.select(upd_card.transmit, 0xDDF1)
    flows.authenticate_update_key(upd_card.transmit, psam.transmit, upd_card.card_number, city)
    flows.select(upd_card.transmit, 0xEF08)
    upd = bytes.fromhex("00DC020416") + bytes([0x10, 0x14]) + b"13800000000".ljust(20, b"\x00")

    def update() -> None:
        upd_card.execute(upd)

    def personalise() -> None:
        personalise_user_card(PERSON, keys, issuer, issue_date=dt.date(2024, 1, 2), serial="00000002")

    def select_for_reads() -> None:
        card.execute(bytes.fromhex("00A4080004DDF1EF05"))

    scenarios: dict[str, Callable[[], None]] = {
        "select_mf_engine": lambda: card.execute(select_mf),
        "select_mf_pyscard": lambda: conn.transmit(select_mf_l),
        "null_card_pyscard": lambda: null_conn.transmit(select_mf_l),
        "read_record_by_tag_engine": engine_read57,
        "read_record_by_tag_pyscard": pyscard_read57,
        "update_record_journaled_engine": update,
        "full_ef05_ef06_read_with_auth": full_read,
        "personalise_card": personalise,
    }
    results: dict[str, list[float]] = {name: [] for name in scenarios}
    for _ in range(args.rounds):
        for name, fn in scenarios.items():
            if "read_record" in name:
                select_for_reads()
            results[name].append(rate(fn, args.seconds if name != "personalise_card" else args.seconds / 2))
    med = {name: statistics.median(values) for name, values in results.items()}
    out = {
        "python": platform.python_version(),
        "date": dt.date.today().isoformat(),
        "cpu_seconds_per_scenario": args.seconds,
        "rounds": args.rounds,
        "per_second_median": {k: round(v, 1) for k, v in med.items()},
        "us_per_call": {k: round(1e6 / v, 2) for k, v in med.items()},
        "apdus_per_full_read": apdus_per_read,
        "full_read_apdus_per_second": round(med["full_ef05_ef06_read_with_auth"] * apdus_per_read, 1),
        "pyscard_transmit_layer_us": round(1e6 / med["null_card_pyscard"], 2),
    }
    if args.json:
        print(json.dumps(out, indent=1))
        return
    print(f"{'scenario':36} {'per CPU second':>15} {'us/call':>9}")
    for name in scenarios:
        print(f"{name:36} {med[name]:>15,.0f} {1e6 / med[name]:>9.2f}")
    print(f"full read = {apdus_per_read} APDUs -> {out['full_read_apdus_per_second']:,.0f} APDUs/s")


if __name__ == "__main__":
    main()
