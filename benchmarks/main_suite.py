"""The main suite (``python -m benchmarks``): small objects, large objects and listing, for
cos-async (async client and sync facade), the official SDK and a raw aiohttp ceiling.

By default everything runs against a local COS server that this program starts in its own
process (``python -m cos_async.testing --fast-etag``, in memory); with ``--endpoint URL --bucket
NAME`` against that bucket instead (keys from ``COS_SECRET_ID`` / ``COS_SECRET_KEY`` /
``COS_TOKEN``, region from ``COS_REGION`` or the endpoint), under a unique key prefix deleted
afterwards, and without server CPU figures. Progress goes to stderr; the tables to stdout; the
results to ``<results>/main.json`` and the chart to ``<results>/main.png``.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import os
import platform
import secrets
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

from ._pin import pin
from ._progress import Progress
from ._report import fmt_ms, fmt_num, fmt_ratio, fmt_size, markdown_table
from ._target import LOCAL_BUCKET, Target
from .large_objects import LargeObjects
from .listing import Listing
from .server_throughput import ServerProcess
from .small_objects import SmallObjects
from .small_objects import row_id as small_id

KiB = 1024
MiB = 1024 * KiB
SECTIONS = ("small", "large", "list")
SERVER_MODE = (
    "python -m cos_async.testing --fast-etag: in memory, every signature verified and every "
    "upload's CRC-64 computed, ETags derived from the CRC-64 instead of MD5 (MD5 would cost the "
    "server ~1.3 CPU s/GiB and make it the bottleneck; see --suite server)"
)


class Settings:
    def __init__(self, *, quick: bool, runs: int | None, size_mib: int | None) -> None:
        self.quick = quick
        self.small_sizes = (1 * KiB, 64 * KiB)
        self.concurrency = (1, 8, 32)
        self.small_duration = 0.3 if quick else 0.8
        self.small_rounds = runs or (1 if quick else 2)
        self.large_size = (size_mib or (128 if quick else 1024)) * MiB
        self.large_runs = runs or (1 if quick else 3)
        self.list_keys = 2_000 if quick else 10_000
        self.list_rounds = runs or (2 if quick else 5)

    def as_dict(self) -> dict[str, Any]:
        return {
            "small_sizes": list(self.small_sizes),
            "small_concurrency": list(self.concurrency),
            "small_seconds_per_cell": self.small_duration,
            "small_rounds": self.small_rounds,
            "large_size": self.large_size,
            "large_runs": self.large_runs,
            "list_keys": self.list_keys,
            "list_rounds": self.list_rounds,
        }


def _versions() -> dict[str, str]:
    out = {}
    for dist in ("cos-async", "aiohttp", "cos-python-sdk-v5"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "not installed"
    return out


async def _delete_prefix(target: Target, prefix: str) -> int:
    """Delete every object and abort every multipart upload under ``prefix``; returns a count."""
    from cos_async import AsyncCosClient

    async with AsyncCosClient(target.cos_config()) as cos:
        keys = [o.key async for o in cos.list_objects(target.bucket, prefix=prefix)]
        if keys:
            await cos.delete_objects(target.bucket, keys, quiet=True)
        uploads = [u async for u in cos.list_multipart_uploads(target.bucket, prefix=prefix)]
        for u in uploads:
            await cos.abort_multipart_upload(target.bucket, u.key, u.upload_id)
    return len(keys) + len(uploads)


def run(args: argparse.Namespace) -> int:
    settings = Settings(quick=args.quick, runs=args.runs, size_mib=args.size_mib)
    sections = [s.strip() for s in args.sections.split(",") if s.strip()]
    unknown = sorted(set(sections) - set(SECTIONS))
    if unknown or not sections:
        sys.exit(f"--sections takes a comma-separated subset of {','.join(SECTIONS)}")
    out_dir = Path(args.results)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    prefix = f"cos-async-bench/{stamp}-{secrets.token_hex(3)}/"
    started = time.time()
    load_start = os.getloadavg()

    server: ServerProcess | None = None
    if args.endpoint:
        try:
            target = Target.from_environment(args.endpoint, args.bucket)
        except ValueError as exc:
            sys.exit(f"python -m benchmarks: {exc}")
        print(f"target: {target.endpoint}, bucket {target.bucket} (region {target.region})")
        print(f"  keys under {prefix} (deleted afterwards); no server CPU figures")
    else:
        print("target: a local COS server in its own process on 127.0.0.1:")
        print(f"  {SERVER_MODE}")
    print(
        f"every client talks to that same bucket; {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}{'; --quick' if args.quick else ''}",
        flush=True,
    )

    small = large = listing = None
    results: dict[str, Any] = {}
    progress: Progress | None = None
    try:
        if not args.endpoint:
            server = ServerProcess(
                [
                    sys.executable,
                    "-m",
                    "cos_async.testing",
                    "--port",
                    "0",
                    "--fast-etag",
                    "--bucket",
                    LOCAL_BUCKET,
                ]
            )
            target = Target.local_server(server.endpoint)
            pinning = pin(server, enabled=not getattr(args, "no_pin", False))
            print(f"CPUs: {pinning}", flush=True)
        if "small" in sections:
            small = SmallObjects(
                target,
                server,
                prefix,
                sizes=settings.small_sizes,
                concurrency=settings.concurrency,
                duration=settings.small_duration,
                rounds=settings.small_rounds,
            )
        if "large" in sections:
            large = LargeObjects(
                target,
                server,
                prefix,
                size=settings.large_size,
                runs=settings.large_runs,
                warmup=0,
            )
        if "list" in sections:
            listing = Listing(
                target, server, prefix, keys=settings.list_keys, rounds=settings.list_rounds
            )
        parts = [p for p in (small, large, listing) if p is not None]
        progress = Progress(sum(p.weight() for p in parts))
        if small is not None:
            t0 = time.time()
            results["small_objects"] = small.run(progress)
            results["small_objects"]["duration_s"] = time.time() - t0
        if large is not None:
            results["large_objects"] = large.run(progress)
        if listing is not None:
            t0 = time.time()
            results["listing"] = listing.run(progress)
            results["listing"]["duration_s"] = time.time() - t0
        progress.finish()
    finally:
        if args.endpoint and progress is not None:
            try:
                n = asyncio.run(_delete_prefix(target, prefix))
            except Exception as exc:
                print(f"clean-up of {prefix} failed: {exc!r}", file=sys.stderr, flush=True)
            else:
                print(f"clean-up: deleted {n} objects/uploads under {prefix}", flush=True)
        if server is not None:
            server.stop()

    doc: dict[str, Any] = {
        "suite": "main",
        "schema": 1,
        "started": datetime.datetime.fromtimestamp(started).isoformat(timespec="seconds"),
        "duration_s": time.time() - started,
        "quick": args.quick,
        "command": ["python", "-m", "benchmarks", *sys.argv[1:]],
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "loadavg_start": load_start,
            "loadavg_end": os.getloadavg(),
            "versions": _versions(),
        },
        "target": {
            "local": not args.endpoint,
            "endpoint": target.endpoint,
            "bucket": target.bucket,
            "server": SERVER_MODE if not args.endpoint else None,
            "prefix": prefix,
        },
        "settings": settings.as_dict(),
        "sections": results,
        "chart": None,
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    chart = out_dir / "main.png"
    try:
        from ._chart import write_chart

        write_chart(doc, chart)
        doc["chart"] = chart.name
    except ImportError as exc:
        print(f"no chart: {exc} (pip install matplotlib, or the 'bench' extra)", file=sys.stderr)
    out = out_dir / "main.json"
    out.write_text(json.dumps(doc, indent=2))
    print()
    print(report(doc))
    print(f"\nresults written to {out}" + (f" and {chart}" if doc["chart"] else ""))
    return 0


# --- the printed report -------------------------------------------------------------------------


def _ratio_of(section: dict[str, Any], a: str, b: str) -> float | None:
    for q in section["ratios"]:
        if q["a"] == a and q["b"] == b:
            value: float | None = q["ratio"]
            return value
    return None


def small_table(section: dict[str, Any]) -> str:
    by_id = {r["id"]: r for r in section["rows"]}
    header = [
        "size",
        "op",
        "N",
        "async: ops/s (p50 / p99 ms)",
        "sync facade",
        "official SDK",
        "raw aiohttp",
        "async ÷ official",
        "sync ÷ official",
        "async ÷ raw",
        "sync ÷ raw",
    ]
    rows = []
    for size in section["sizes"]:
        for op in section["ops"]:
            for conc in section["concurrency"]:
                cells = []
                for client in section["clients"]:
                    r = by_id[small_id(size, op, client, conc)]
                    cells.append(
                        f"{fmt_num(r['ops_per_s'])} ({fmt_ms(r['p50_ms'] / 1000)} / "
                        f"{fmt_ms(r['p99_ms'] / 1000)})"
                    )
                ratios = [
                    fmt_ratio(
                        _ratio_of(
                            section, small_id(size, op, ours, conc), small_id(size, op, other, conc)
                        )
                    )
                    for other in ("official", "raw")
                    for ours in ("async", "sync")
                ]
                rows.append([fmt_size(size), op, str(conc), *cells, *ratios])
    return markdown_table(header, rows, right="  r" + "r" * 8)


def small_cpu_table(section: dict[str, Any]) -> str:
    """Client CPU µs per operation (median), per client, at each concurrency level."""
    by_id = {r["id"]: r for r in section["rows"]}
    header = ["size", "op", "N", "async", "sync facade", "official SDK", "raw aiohttp", "server"]
    rows = []
    for size in section["sizes"]:
        for op in section["ops"]:
            for conc in section["concurrency"]:
                rs = [by_id[small_id(size, op, c, conc)] for c in section["clients"]]
                servers = [r["server_cpu_us_per_op"] for r in rs if r["server_cpu_us_per_op"]]
                rows.append(
                    [
                        fmt_size(size),
                        op,
                        str(conc),
                        *[fmt_num(r["client_cpu_us_per_op"]) for r in rs],
                        fmt_num(sum(servers) / len(servers)) if servers else "n/a",
                    ]
                )
    return markdown_table(header, rows, right="  rrrrrr")


def large_table(section: dict[str, Any]) -> str:
    names = {"ours": "cos-async", "official": "official SDK", "raw": "raw aiohttp"}
    header = [
        "op",
        "client",
        "settings",
        "MB/s (median)",
        "runs MB/s",
        "client CPU s/GiB",
        "server CPU s/GiB",
        "peak RSS MiB",
    ]
    rows = [
        [
            r["op"],
            names[r["client"]],
            r["settings"],
            fmt_num(r["mb_per_s"]),
            " / ".join(fmt_num(x) for x in r["mb_per_s_all"]),
            fmt_num(r["client_cpu_s_per_gib"], 2),
            fmt_num(r["server_cpu_s_per_gib"], 2),
            fmt_num(r["peak_rss_mib"]),
        ]
        for r in section["rows"]
    ]
    table = markdown_table(header, rows, right="   rrrrr")
    ratio_rows = [
        [q["comparison"], fmt_ratio(q["ratio"]), fmt_ratio(q["cpu_ratio"])]
        for q in section["ratios"]
    ]
    return (
        table
        + "\n\n"
        + markdown_table(
            ["comparison", "MB/s ratio", "client CPU per GiB ratio"], ratio_rows, right=" rr"
        )
    )


def listing_table(section: dict[str, Any]) -> str:
    names = {
        "async": "cos-async (async)",
        "sync": "cos-async (sync facade)",
        "official": "official SDK",
        "raw": "raw aiohttp",
    }
    rows = []
    for r in section["rows"]:
        vs = [
            fmt_ratio(_ratio_of(section, r["id"], f"list_{other}"))
            if r["client"] in ("async", "sync")
            else ""
            for other in ("official", "raw")
        ]
        rows.append(
            [
                names[r["client"]],
                fmt_num(r["keys_per_s"]),
                f"{r['seconds']:.2f}",
                f"{r['client_cpu_s']:.2f}",
                "n/a" if r["server_cpu_s"] is None else f"{r['server_cpu_s']:.2f}",
                *vs,
            ]
        )
    return markdown_table(
        [
            "client",
            "keys/s (median)",
            "s per listing",
            "client CPU s",
            "server CPU s",
            "÷ official",
            "÷ raw",
        ],
        rows,
        right=" rrrrrr",
    )


def report(doc: dict[str, Any]) -> str:
    s = doc["sections"]
    out: list[str] = []
    if "small_objects" in s:
        sec = s["small_objects"]
        out += [
            "## Small objects: "
            + " / ".join(sec["ops"])
            + " of "
            + " and ".join(fmt_size(x) for x in sec["sizes"]),
            "",
            f"ops/s (median of {sec['rounds']} round(s) of {sec['seconds_per_cell']:g} s per cell) and "
            "latency p50 / p99 in ms; N = concurrent tasks (async, raw) or threads sharing one "
            "client (sync facade, official SDK). raw aiohttp: one aiohttp session sending the "
            "same requests with an Authorization header computed once per key before the "
            "timing; it checks only the status (and the body's length).",
            "",
            small_table(sec),
            "",
            "client CPU µs per operation (server: mean over the four clients)",
            "",
            small_cpu_table(sec),
            "",
        ]
    if "large_objects" in s:
        sec = s["large_objects"]
        out += [
            f"## Large objects: {fmt_size(sec['size'])} upload_file / download_file",
            "",
            f"median of {sec['runs']} run(s), each in a fresh process (CPU and peak RSS are the "
            "child's own); raw aiohttp: the same part PUTs / ranged GETs, signed, parts sent "
            "from memory and ranges dropped (no file), without checksums, retries or resume "
            "records",
            "",
            large_table(sec),
            "",
        ]
        wall = sec["measured_child_wall_s_total"]
        if wall:
            out += [
                f"other processes used {sec['foreign_cpu_s_total']:.1f} CPU s while the measured "
                f"transfers ran ({wall:.0f} s)",
                "",
            ]
    if "listing" in s:
        sec = s["listing"]
        out += [
            f"## Listing {sec['keys']:,} keys ({sec['page_size']} per page)",
            "",
            f"median of {sec['rounds']} listing(s) per client; raw aiohttp: GETs of the same "
            "pages (one Authorization header for all), keys counted in the bytes, no XML parsing",
            "",
            listing_table(sec),
            "",
        ]
    m = doc["machine"]
    out.append(
        f"{m['cpus']} CPUs, Python {m['python']}, load average {m['loadavg_start'][0]:.2f} at "
        f"start, {m['loadavg_end'][0]:.2f} at end; whole run {doc['duration_s']:.0f} s"
    )
    return "\n".join(out)
