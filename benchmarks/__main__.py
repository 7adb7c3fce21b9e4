"""``python -m benchmarks``: the project's benchmark suite, against local servers it starts itself.

Suites (more arrive with the client): ``server`` measures the bundled local COS server's PUT and
GET throughput against a raw aiohttp server doing the minimum. Results are printed as a table and
written as JSON under ``--results`` (default ``results/``).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

from . import server_throughput

MiB = 1024 * 1024


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    p.add_argument("--quick", action="store_true", help="small sizes and few runs (about a minute)")
    p.add_argument(
        "--size-mib", type=int, default=None, help="object size in MiB (default 1024; quick 128)"
    )
    p.add_argument(
        "--runs", type=int, default=None, help="runs per measurement (default 5; quick 3)"
    )
    p.add_argument("--results", default="results", help="directory for the JSON results")
    args = p.parse_args(argv)

    size = (args.size_mib or (128 if args.quick else 1024)) * MiB
    runs = args.runs or (3 if args.quick else 5)
    print(f"local COS server throughput: {size // MiB} MiB objects, {runs} runs each", flush=True)
    started = time.time()
    results = server_throughput.run(size, runs)
    print()
    print(server_throughput.table(results))
    out_dir = Path(args.results)
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / "server_throughput.json"
    out.write_text(
        json.dumps(
            {
                "suite": "server_throughput",
                "started": started,
                "python": sys.version.split()[0],
                "machine": platform.machine(),
                "size": size,
                "runs": runs,
                "results": results,
            },
            indent=2,
        )
    )
    print(f"\nresults written to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
