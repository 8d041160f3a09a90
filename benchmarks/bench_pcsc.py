"""PC/SC path benchmark: what the emulator adds to a real pcscd round trip.

    sudo python benchmarks/bench_pcsc.py [--apdus 2000] [--reads 30] [--json]

Starts a private pcscd (card_emulators.pcscd, needs root + pcscd + vsmartcard-vpcd + pyscard) and
measures, from a separate PC/SC client process (plain pyscard, as a vendor's software would):

1. **bare**: a minimal vpcd responder (a raw socket loop, no kit code) answering 9000 at once -
   the cost of pyscard -> libpcsclite -> pcscd -> vpcd driver -> TCP and back;
2. **client**: the kit's VpcdClient serving a card that answers 9000 at once - adds the client loop;
3. **emulator**: the kit's VpcdClient serving the personalised resident health card (card engine);

each with the same ``SELECT MF`` (00 A4 00 0C 02 3F00, one round trip, no FCI). Then the time of a
full reference-terminal read (EF05 + PSAM authentication + EF06 + EF08 + signature check) through
pcscd with both the user card and the PSAM emulated. The emulator runs in this process, the
measuring client in another, so they do not share a GIL.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import socket
import statistics
import struct
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from card_emulators.pcscd import PcscdHarness, unavailable_reason  # noqa: E402
from card_emulators.personalise import CardKeys, new_psam, personalise_user_card  # noqa: E402
from card_emulators.transports.vpcd import VpcdClient  # noqa: E402
from ehc.gm import SM2PrivateKey  # noqa: E402
from ehc.spec.identifiers import make_citizen_id  # noqa: E402
from ehc.spec.model import Person  # noqa: E402

SELECT_MF = "00A4000C023F00"
ATR = bytes.fromhex("3B6C0000571001200112345678484301")

MEASURE = r"""
import json, sys, time
from smartcard.System import readers
names, n, block, apdu = sys.argv[1].split("|"), int(sys.argv[2]), int(sys.argv[3]), list(bytes.fromhex(sys.argv[4]))
conns = {}
for name in names:
    reader = next(r for r in readers() if str(r) == name)
    deadline = time.monotonic() + 15
    while True:
        try:
            conn = reader.createConnection(); conn.connect(); break
        except Exception:
            if time.monotonic() > deadline: raise
            time.sleep(0.05)
    conns[name] = conn
    for _ in range(50):
        conn.transmit(apdu)                  # warm up
samples = {name: [] for name in names}
sws = {}
# Alternate blocks between the readers so machine load hits both alike.
for _ in range(max(1, n // block)):
    for name, conn in conns.items():
        out = samples[name]
        for _ in range(block):
            t0 = time.perf_counter_ns(); data, sw1, sw2 = conn.transmit(apdu); out.append(time.perf_counter_ns() - t0)
        sws[name] = "%02X%02X" % (sw1, sw2)
print(json.dumps({"sw": sws, "samples_ns": samples}))
"""

FULL_READ = r"""
import json, sys, time
from card_emulators.readers.chipcard import ChipCardReader, ReaderConfig
from card_emulators.transports.pcsc import PcscTransport
from ehc.gm import SM2PublicKey
card_reader, psam_reader, n, pub = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
config = ReaderConfig(SM2PublicKey.from_hex(pub), "123456")

def connect():
    deadline = time.monotonic() + 15
    while True:
        try:
            return PcscTransport(card_reader), PcscTransport(psam_reader)
        except Exception:
            if time.monotonic() > deadline: raise
            time.sleep(0.05)

card, psam = connect()
samples, apdus, done, resets = [], 0, 0, 0
while len(samples) < n:
    t0 = time.perf_counter_ns()
    try:
        read = ChipCardReader(card, psam, card.atr, config).read()
    except Exception as exc:
        # pcscd resets a card when an earlier client process's handle is cleaned up (seen with the
        # kit's old and new emulator alike); such a read is retried on a fresh connection and counted.
        if "reset" not in str(exc).lower() or resets >= 5: raise
        resets += 1
        card, psam = connect()
        continue
    dt = time.perf_counter_ns() - t0
    assert read.signature_valid
    done += 1
    if done > 2: samples.append(dt)             # the first two warm up
    apdus = len(read.transcript)
print(json.dumps({"samples_ns": samples, "card_apdus": apdus, "resets": resets}))
"""


class InstantCard:
    def getATR(self) -> bytes:  # noqa: N802
        return ATR

    def powerUp(self) -> None:  # noqa: N802
        pass

    def powerDown(self) -> None:  # noqa: N802
        pass

    def reset(self) -> None:
        pass

    def execute(self, apdu: bytes) -> bytes:
        return b"\x90\x00"


def bare_responder(port: int, stop: threading.Event) -> None:
    """The least a vpcd card can do: no kit code, options as DESIGN measured, 9000 to everything."""
    quickack = getattr(socket, "TCP_QUICKACK", None)
    while not stop.is_set():
        try:
            sock = socket.create_connection(("127.0.0.1", port), timeout=1)
        except OSError:
            stop.wait(0.1)
            continue
        sock.settimeout(None)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        buf = b""
        with sock:
            while not stop.is_set():
                if quickack is not None:
                    sock.setsockopt(socket.IPPROTO_TCP, quickack, 1)
                chunk = sock.recv(4096)
                if not chunk:
                    break
                buf += chunk
                while len(buf) >= 2 and len(buf) >= 2 + struct.unpack(">H", buf[:2])[0]:
                    n = struct.unpack(">H", buf[:2])[0]
                    body, buf = buf[2 : 2 + n], buf[2 + n :]
                    if n == 1 and body[0] == 4:
                        sock.sendall(struct.pack(">H", len(ATR)) + ATR)
                    elif n > 1:
                        sock.sendall(b"\x00\x02\x90\x00")


def stats(samples_ns: list[int]) -> dict[str, float]:
    ordered = sorted(samples_ns)
    mean = statistics.fmean(ordered)
    return {
        "n": len(ordered),
        "mean_ms": round(mean / 1e6, 4),
        "median_ms": round(ordered[len(ordered) // 2] / 1e6, 4),
        "p95_ms": round(ordered[int(len(ordered) * 0.95) - 1] / 1e6, 4),
        "per_second": round(1e9 / mean, 1),
    }


def paired_ratio(a: list[int], b: list[int], block: int) -> float:
    """Median over the alternating blocks of median(a block) / median(b block).

    Each pair of blocks ran back to back, so a load change hits both sides of a ratio alike;
    the median of the ratios is robust to the blocks a busy neighbour spoiled."""
    ratios = []
    for i in range(0, min(len(a), len(b)), block):
        ratios.append(statistics.median(a[i : i + block]) / statistics.median(b[i : i + block]))
    return statistics.median(ratios)


def measure_pair(harness: PcscdHarness, n: int, block: int = 50) -> tuple[dict, dict, float]:
    """Slot 0 and slot 1 measured in alternating blocks of ``block`` APDUs by one client process;
    returns both stats and the paired slot0/slot1 ratio."""
    names = [harness.reader_name(0), harness.reader_name(1)]
    out = subprocess.run(
        [sys.executable, "-c", MEASURE, "|".join(names), str(n), str(block), SELECT_MF],
        env=harness.client_env(),
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    data = json.loads(out.stdout)
    first, second = (data["samples_ns"][name] for name in names)
    return (
        {"sw": data["sw"][names[0]], **stats(first)},
        {"sw": data["sw"][names[1]], **stats(second)},
        paired_ratio(first, second, block),
    )


def report(results: dict[str, Any], apdus: int) -> None:
    print(f"{'path':<12} {'APDU/s':>9} {'mean ms':>9} {'median':>9} {'p95':>9}   (SELECT MF, {apdus} APDUs)")
    for key in ("bare", "emulator", "client", "emulator_2"):
        r = results[key]
        print(f"{key:<12} {r['per_second']:>9} {r['mean_ms']:>9} {r['median_ms']:>9} {r['p95_ms']:>9}")
    print(
        f"paired medians: the emulator adds {results['emulator_added_percent']} % to the bare pcscd round trip; "
        f"the card engine adds {results['emulator_over_kit_client_percent']} % to the kit's client alone"
    )
    f = results["full_read"]
    print(
        f"full read (EF05 + auth + EF06 + EF08 + SM2 check, {f['card_apdus']} card APDUs + PSAM): "
        f"mean {f['mean_ms']} ms, median {f['median_ms']} ms, p95 {f['p95_ms']} ms over {f['n']} reads"
        f" ({f['card_resets_retried']} reads retried after a pcscd card reset)"
    )
    if "client_untuned" in results:
        u = results["client_untuned"]
        print(
            f"without TCP_NODELAY/TCP_QUICKACK: median {u['median_ms']} ms per APDU "
            f"({u['per_second']} APDU/s) over {u['n']} APDUs"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--apdus", type=int, default=2000)
    parser.add_argument("--reads", type=int, default=30)
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--untuned",
        type=int,
        default=100,
        metavar="N",
        help="also time N APDUs with TCP_NODELAY/TCP_QUICKACK off (0 to skip; each takes ~40 ms)",
    )
    args = parser.parse_args()
    reason = unavailable_reason()
    if reason:
        print(f"bench_pcsc: cannot run: {reason}", file=sys.stderr)
        return 2
    keys = CardKeys.test_only(b"bench")
    issuer = SM2PrivateKey.generate()
    birth = dt.date(1985, 5, 20)
    person = Person(
        "B1", "钱多多", "1", "01", birth.isoformat(), "01", make_citizen_id("370802", birth, 5, 1), "370802"
    )
    results: dict[str, Any] = {}
    with PcscdHarness() as harness:
        user = personalise_user_card(person, keys, issuer)
        with VpcdClient(user, port=harness.vpcd_port(0), name="user-card"):
            # Phase 1: the emulator (slot 0) against the bare responder (slot 1), interleaved.
            stop = threading.Event()
            bare = threading.Thread(target=bare_responder, args=(harness.vpcd_port(1), stop), daemon=True)
            bare.start()
            results["emulator"], results["bare"], ratio_bare = measure_pair(harness, args.apdus)
            stop.set()
            bare.join(5)
            harness.wait_card(1, present=False)  # let pcscd see the bare card leave
            # Phase 2: the emulator against the kit's client serving an instant card.
            with VpcdClient(InstantCard(), port=harness.vpcd_port(1), name="instant"):
                results["emulator_2"], results["client"], ratio_client = measure_pair(harness, args.apdus)
            harness.wait_card(1, present=False)
            # Phase 3: a full reference-terminal read, the PSAM emulated on slot 1.
            with VpcdClient(new_psam(keys), port=harness.vpcd_port(1), name="psam"):
                out = subprocess.run(
                    [
                        sys.executable,
                        "-c",
                        FULL_READ,
                        harness.reader_name(0),
                        harness.reader_name(1),
                        str(args.reads),
                        issuer.public_key.hex(),
                    ],
                    env={**harness.client_env(), "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
                    capture_output=True,
                    text=True,
                    timeout=600,
                    check=True,
                )
                full = json.loads(out.stdout)
                results["full_read"] = {
                    "card_apdus": full["card_apdus"],
                    "card_resets_retried": full["resets"],
                    **stats(full["samples_ns"]),
                }
            harness.wait_card(1, present=False)
            if args.untuned:
                # Phase 4: the kit's client without its TCP options, to show what they save.
                with VpcdClient(InstantCard(), port=harness.vpcd_port(1), name="untuned", tcp_tuning=False):
                    _, results["client_untuned"], _ = measure_pair(harness, args.untuned, block=args.untuned)
    # Paired medians: the machine is shared, and means carry other processes' scheduling stalls.
    results["emulator_added_percent"] = round(100 * (ratio_bare - 1), 1)
    results["emulator_over_kit_client_percent"] = round(100 * (ratio_client - 1), 1)
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    report(results, args.apdus)
    return 0


if __name__ == "__main__":
    sys.exit(main())
