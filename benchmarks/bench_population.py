"""Time the synthetic population generator: N residents as JSON Lines to /dev/null.

    python benchmarks/bench_population.py                 # 1,000,000 residents, seed 0
    python benchmarks/bench_population.py --count 200000 --repeat 3

Prints one JSON object (count, seconds, people per second, bytes) per run, then the best run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time

from fixtures.population import PopulationConfig, write_jsonl


class _CountingSink:
    """A text sink that counts UTF-8 bytes and writes them to /dev/null (real I/O, no storage)."""

    def __init__(self) -> None:
        self.fh = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115
        self.bytes = 0

    def write(self, text: str) -> int:
        self.bytes += len(text.encode("utf-8"))
        return self.fh.write(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--region", default=None)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    best = None
    for _ in range(args.repeat):
        sink = _CountingSink()
        start = time.perf_counter()
        n = write_jsonl(PopulationConfig(count=args.count, seed=args.seed, region=args.region), sink)  # type: ignore[arg-type]
        seconds = time.perf_counter() - start
        run = {
            "count": n,
            "seconds": round(seconds, 2),
            "people_per_second": round(n / seconds),
            "bytes": sink.bytes,
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
        }
        print(json.dumps(run))
        best = run if best is None or run["seconds"] < best["seconds"] else best
    print(json.dumps({"best": best}))


if __name__ == "__main__":
    main()
