"""``python -m benchmarks``: the project's benchmark suites, against local servers they start.

Suites (``--suite``, default ``main``):

* ``main``: the main suite (``benchmarks/main_suite.py``): small-object put/get/head ops/s and
  latency at several concurrency levels, 1 GiB ``upload_file`` / ``download_file`` throughput,
  CPU and peak RSS, and listing 10,000 keys, for the async client and the sync facade against
  the official SDK and a raw aiohttp ceiling, with a progress bar (stderr), tables, JSON and a
  PNG chart. ``--endpoint URL --bucket NAME`` runs it against that bucket instead of the local
  server (credentials from ``COS_SECRET_ID`` / ``COS_SECRET_KEY`` / ``COS_TOKEN``).
* ``server``: the bundled local COS server's PUT and GET throughput against a raw aiohttp server
  doing the minimum.
* ``transfers``: ``upload_file`` / ``download_file`` against the official SDK
  (cos-python-sdk-v5) and raw aiohttp ceilings, each client run in its own process, with ratios.
* ``sync``: small-object put/get operations per second through the blocking facade (cos_sync),
  single- and 8-threaded, against cos_async directly (``benchmarks/sync_facade.py``).
* ``listing``: the four listings (objects, versions, parts, multipart uploads) of 10,000
  entries through ours (async and sync) and the official SDK (``benchmarks/listings.py``).

* ``peers``: the S3 clients (aioboto3, boto3 with s3transfer, s3fs, obstore) against ours on the
  local server's S3 side, pinned CPUs: transfers, small objects and listing, with ratios
  (``benchmarks/peers.py``).

* ``all``: every suite above, one after the other.

Every local suite measures with the fair method of design.md ("Measuring on this machine"):
on a machine with 2 or more CPUs the servers run on the last CPU and the clients on the others
(``benchmarks/_pin.py``), so that a client's throughput is its own; ``--no-pin`` turns it off.

Results are printed as tables and written as JSON under ``--results`` (default ``results/``).
``--quick`` runs the same measurements smaller (the main suite in about a minute).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path
from typing import Any

from . import listings, main_suite, peers, server_throughput, sync_facade, transfers

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
    data = transfers.run(size, runs, rss_check=not args.quick, pinned=not args.no_pin)
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
    p = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--suite",
        choices=("main", "server", "transfers", "sync", "listing", "peers", "all"),
        default="main",
        help="which suite to run (default: main)",
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help="the same measurements, smaller (main suite: about a minute)",
    )
    p.add_argument(
        "--size-mib",
        type=int,
        default=None,
        help="large object/file size in MiB (default 1024; quick: main 128, server 128, "
        "transfers 256)",
    )
    p.add_argument(
        "--runs",
        type=int,
        default=None,
        help="runs (rounds) per measurement (default: main 2 small / 3 large / 5 listing, "
        "server 5, transfers 3; quick: main 1 / 1 / 2, server 3, transfers 2)",
    )
    p.add_argument("--results", default="results", help="directory for the results (JSON, PNG)")
    p.add_argument(
        "--pin",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="pin the servers and the clients to CPUs of their own (on by default; it takes "
        "effect where there are 2 CPUs or more); --no-pin to share the CPUs",
    )
    p.add_argument(
        "--endpoint",
        default=None,
        metavar="URL",
        help="main suite against this COS endpoint instead of a local server, e.g. "
        "https://cos.ap-guangzhou.myqcloud.com (needs --bucket and COS_SECRET_ID / "
        "COS_SECRET_KEY [/ COS_TOKEN, COS_REGION] in the environment)",
    )
    p.add_argument("--bucket", default=None, metavar="NAME", help="bucket for --endpoint")
    p.add_argument(
        "--sections",
        default=",".join(main_suite.SECTIONS),
        help="main suite sections to run, comma-separated (default: small,large,list)",
    )
    args = p.parse_args(argv)
    args.no_pin = not args.pin  # the suites' spelling
    if (args.endpoint is None) != (args.bucket is None):
        p.error("--endpoint and --bucket go together")
    if args.endpoint is not None and args.suite != "main":
        p.error("--endpoint applies to the main suite only (--suite main)")
    for name in ("size_mib", "runs"):
        value = getattr(args, name)
        if value is not None and value < 1:
            p.error(f"--{name.replace('_', '-')} must be at least 1")

    if args.suite in ("main", "all"):
        main_suite.run(args)
    if args.suite in ("server", "all"):
        if args.suite == "all":
            print()
        _server_suite(args)
    if args.suite in ("transfers", "all"):
        if args.suite == "all":
            print()
        _transfers_suite(args)
    if args.suite in ("sync", "all"):
        if args.suite == "all":
            print()
        sync_facade.main(
            (["--quick"] if args.quick else [])
            + (["--no-pin"] if args.no_pin else [])
            + ["--results", args.results]
        )
    if args.suite in ("listing", "all"):
        if args.suite == "all":
            print()
        listings.main(
            (["--quick"] if args.quick else [])
            + (["--no-pin"] if args.no_pin else [])
            + (["--rounds", str(args.runs)] if args.runs else [])
            + ["--results", args.results]
        )
    if args.suite in ("peers", "all"):
        if args.suite == "all":
            print()
        peers.run(args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
