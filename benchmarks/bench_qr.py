"""QR codec benchmark: the kit's costs next to the bare library calls, measured in the same run.

    python benchmarks/bench_qr.py [--quick] [--json]

Prints, side by side (CPU time, median of interleaved rounds, so machine noise hits both sides alike):

* parse + open validity of a dynamic code vs one SM4-ECB block decrypt with ``cryptography``,
  both as a one-shot call (build the Cipher, decrypt: what ``ehc.gm.sm4_ecb_decrypt`` does) and
  on an already-built context (the raw OpenSSL floor);
* the kit's image read vs ``zxingcpp.read_barcodes`` on the same image (a 196 px code and a
  1280x720 camera frame with the code in it);
* EHCID derivations per second of CPU time on one core (new person each time; same person
  again, LRU hit) and recoveries.

No pass/fail: the figures go into docs/performance.md. Tests never assert timings.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta

import numpy as np
import zxingcpp
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from qr_codec.ehcid import clear_caches, derive_ehcid, recover_identity
from qr_codec.image import QR_FORMATS, read_codes, render_array
from qr_codec.text import make_dynamic, parse


def per_call(fn: Callable[[], object], number: int) -> float:
    """CPU seconds per call over ``number`` calls.

    CPU time of this process, not wall time: on a shared machine other jobs steal wall time from
    whichever side happens to run, which skews a ratio; they do not add to our CPU time.
    """
    start = time.process_time()
    for _ in range(number):
        fn()
    return (time.process_time() - start) / number


def side_by_side(fns: dict[str, Callable[[], object]], number: int, rounds: int) -> dict[str, float]:
    """Median seconds per call of each function, rounds interleaved A, B, C, A, B, C..."""
    samples: dict[str, list[float]] = {k: [] for k in fns}
    for fn in fns.values():
        fn()  # warm caches and imports
    for _ in range(rounds):
        for name, fn in fns.items():
            samples[name].append(per_call(fn, number))
    return {k: statistics.median(v) for k, v in samples.items()}


def bench_parse(number: int, rounds: int) -> dict[str, float]:
    key = os.urandom(16)  # benchmark key, never stored
    ehcid = derive_ehcid(os.urandom(32), key, "01", "37080219900101123X")
    now = datetime(2026, 3, 15, 8, 30, 0)
    text = make_dynamic(ehcid, key, now + timedelta(seconds=300))
    block = bytes.fromhex(text[-32:])
    warm = Cipher(algorithms.SM4(key), modes.ECB()).decryptor()

    def one_shot() -> bytes:
        d = Cipher(algorithms.SM4(key), modes.ECB()).decryptor()
        return d.update(block) + d.finalize()

    t = side_by_side(
        {
            "parse_open": lambda: parse(text, key, now),
            "sm4_one_shot": one_shot,
            "sm4_warm_context": lambda: warm.update(block),
        },
        number,
        rounds,
    )
    return {
        "parse_open_us": t["parse_open"] * 1e6,
        "sm4_one_shot_us": t["sm4_one_shot"] * 1e6,
        "sm4_warm_context_us": t["sm4_warm_context"] * 1e6,
        "ratio_vs_one_shot": t["parse_open"] / t["sm4_one_shot"],
        "ratio_vs_warm_context": t["parse_open"] / t["sm4_warm_context"],
    }


def bench_read(number: int, rounds: int) -> dict[str, float]:
    key = os.urandom(16)
    text = make_dynamic(derive_ehcid(os.urandom(32), key, "01", "37080219900101123X"), key)
    small = render_array(text)
    frame = np.full((720, 1280), 200, np.uint8)  # a camera frame: code off-centre on grey
    frame[300 : 300 + small.shape[0], 700 : 700 + small.shape[1]] = small
    out: dict[str, float] = {}
    for label, img in (("code_196px", small), ("frame_720p", frame)):
        t = side_by_side(
            {
                "kit": lambda img=img: read_codes(img),
                "zxing": lambda img=img: zxingcpp.read_barcodes(img, formats=QR_FORMATS),
            },
            max(1, number // (1 if label == "code_196px" else 20)),
            rounds,
        )
        assert read_codes(img)[0].text == text
        out[f"{label}_kit_ms"] = t["kit"] * 1e3
        out[f"{label}_zxing_ms"] = t["zxing"] * 1e3
        out[f"{label}_ratio"] = t["kit"] / t["zxing"]
    return out


def bench_ehcid(number: int, rounds: int) -> dict[str, float]:
    root = os.urandom(16)
    people = [os.urandom(32) for _ in range(number)]
    number_id = "37080219900101123X"

    clock = time.process_time  # one thread = one core; see per_call

    def fresh() -> float:
        clear_caches()  # every person new: one user-key context build each
        start = clock()
        for m in people:
            derive_ehcid(m, root, "01", number_id)
        return (clock() - start) / len(people)

    def again() -> float:
        start = clock()
        for m in people:
            derive_ehcid(m, root, "01", number_id)
        return (clock() - start) / len(people)

    ehcids = [derive_ehcid(m, root, "01", number_id) for m in people]

    def recover() -> float:
        start = clock()
        for e, m in zip(ehcids, people, strict=True):
            recover_identity(e, m, root)
        return (clock() - start) / len(people)

    f, a, r = [], [], []
    for _ in range(rounds):
        f.append(fresh())
        a.append(again())
        r.append(recover())
    return {
        "derive_new_person_per_s": 1 / statistics.median(f),
        "derive_cached_person_per_s": 1 / statistics.median(a),
        "recover_per_s": 1 / statistics.median(r),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer iterations (CI smoke run)")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args(argv)
    rounds = 3 if args.quick else 7
    results = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "parse": bench_parse(2_000 if args.quick else 20_000, rounds),
        "read": bench_read(20 if args.quick else 200, rounds),
        "ehcid": bench_ehcid(1_000 if args.quick else 4_000, rounds),
    }
    if args.json:
        print(json.dumps(results, indent=1))
        return 0
    p, r, e = results["parse"], results["read"], results["ehcid"]
    print(
        f"python {results['python']} on {results['machine']}, {results['cpus']} CPUs (CPU time, median of {rounds} interleaved rounds)"
    )
    print("QR text: parse + open validity vs one SM4-ECB block decrypt (cryptography)")
    print(f"  parse+open            {p['parse_open_us']:8.2f} us")
    print(f"  SM4 one-shot          {p['sm4_one_shot_us']:8.2f} us   ratio {p['ratio_vs_one_shot']:.2f}x")
    print(
        f"  SM4 warm context      {p['sm4_warm_context_us']:8.2f} us   ratio {p['ratio_vs_warm_context']:.2f}x"
    )
    print("Image read: kit read_codes vs zxingcpp.read_barcodes (same image, same formats)")
    for label in ("code_196px", "frame_720p"):
        print(
            f"  {label:12s} kit {r[f'{label}_kit_ms']:7.3f} ms  zxing {r[f'{label}_zxing_ms']:7.3f} ms"
            f"   ratio {r[f'{label}_ratio']:.3f}x"
        )
    print("EHCID (one core, CPU time)")
    print(f"  derive, new person    {e['derive_new_person_per_s']:10,.0f} /s")
    print(f"  derive, cached person {e['derive_cached_person_per_s']:10,.0f} /s")
    print(f"  recover identity      {e['recover_per_s']:10,.0f} /s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
