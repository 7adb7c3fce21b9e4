"""``python -m benchmarks``: the project's benchmark suite, against local servers it starts itself.

Suites (``--suite``, default ``all``):

* ``server``: the bundled local COS server's PUT and GET throughput against a raw aiohttp server
  doing the minimum.
* ``transfers``: ``upload_file`` / ``download_file`` against the official SDK
  (cos-python-sdk-v5) and raw aiohttp ceilings, each client run in its own process, with ratios.
* ``sync``: small-object put/get operations per second through the blocking facade (cos_sync),
  single- and 8-threaded, against cos_async directly (``benchmarks/sync_facade.py``).

Results are printed as tables and written as JSON under ``--results`` (default ``results/``).
``--quick`` makes the whole thing take a minute or two.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path
from typing import Any

from . import server_throughput, sync_facade, transfers

MiB = 1024 * 1024


def _write(out_dir: Path, name: str, doc: dict[str, Any]) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / name
    out.write_text(json.dumps(doc, indent=2))
    return out


def _server_suite(args: argparse.Namespace) -> None:
    size = (args.size_mib or (128 if args.quick else 1024)) * MiB
    runs = args.runs or (3 if args.quick else 5)
    print(f"local COS server throughput: {size // MiB} MiB objects, {runs} runs each", flush=True)
    started = time.time()
    results = server_throughput.run(size, runs)
    print()
    print(server_throughput.table(results))
    out = _write(
        Path(args.results),
        "server_throughput.json",
        {
            "suite": "server_throughput",
            "started": started,
            "python": sys.version.split()[0],
            "machine": platform.machine(),
            "size": size,
            "runs": runs,
            "results": results,
        },
    )
    print(f"\nresults written to {out}")


def _transfers_suite(args: argparse.Namespace) -> None:
    size = (args.size_mib or (256 if args.quick else 1024)) * MiB
    runs = args.runs or (2 if args.quick else 3)
    print(
        f"file transfers: {size // MiB} MiB file, {transfers.WARMUP} warm-up + {runs} runs "
        "per measurement, one process per run",
        flush=True,
    )
    started = time.time()
    data = transfers.run(size, runs, rss_check=not args.quick)
    print()
    print(transfers.table(data))
    out = _write(
        Path(args.results),
        "transfers.json",
        {
            "suite": "transfers",
            "started": started,
            "duration_s": time.time() - started,
            "python": sys.version.split()[0],
            "machine": platform.machine(),
            **data,
        },
    )
    print(f"\nresults written to {out}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    p.add_argument(
        "--suite",
        choices=("server", "transfers", "sync", "all"),
        default="all",
        help="which suite to run (default: all)",
    )
    p.add_argument(
        "--quick", action="store_true", help="small sizes and few runs (a minute or two)"
    )
    p.add_argument(
        "--size-mib",
        type=int,
        default=None,
        help="object/file size in MiB (default 1024; quick: server 128, transfers 256)",
    )
    p.add_argument(
        "--runs",
        type=int,
        default=None,
        help="runs per measurement (default: server 5, transfers 3; quick: 3 and 2)",
    )
    p.add_argument("--results", default="results", help="directory for the JSON results")
    args = p.parse_args(argv)

    if args.suite in ("server", "all"):
        _server_suite(args)
    if args.suite in ("transfers", "all"):
        if args.suite == "all":
            print()
        _transfers_suite(args)
    if args.suite in ("sync", "all"):
        if args.suite == "all":
            print()
        sync_facade.main((["--quick"] if args.quick else []) + ["--results", args.results])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
