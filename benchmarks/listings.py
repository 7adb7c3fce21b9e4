"""``python -m benchmarks --suite listing``: the four listings of N entries each (objects, object
versions, the parts of one multipart upload, multipart uploads), through ours (the async
iterator), the sync facade's generator and the official SDK's page loop (1,000 entries a page),
against one local COS server, with the fair method (``benchmarks/_pin.py``).

Each client lists each listing once per round (rounds rotate the order of the clients); the
report gives the median entries per second and client CPU seconds per listing, and the ratios
ours ÷ official and sync ÷ async.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ._pin import pin
from ._target import LOCAL_BUCKET, Target
from .server_throughput import ServerProcess

KINDS = ("objects", "versions", "parts", "uploads")
CLIENTS = ("async", "sync", "official")
PAGE = 1000
VERSIONS_PER_KEY = 4
VERSIONED_BUCKET = "benchv-1250000000"


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


class Listings:
    def __init__(self, target: Target, n: int) -> None:
        self.target = target
        self.bucket = target.bucket
        self.n = n
        self.upload_id = ""

    # --- the data -------------------------------------------------------------------------------

    async def populate(self, cos: Any) -> None:
        from cos_async import VersioningConfiguration

        sem = asyncio.Semaphore(32)

        async def limited(coro: Any) -> Any:
            async with sem:
                return await coro

        b, n = self.bucket, self.n
        await asyncio.gather(*(limited(cos.put_object(b, f"o/{i:06d}", b"")) for i in range(n)))
        if not await cos.bucket_exists(VERSIONED_BUCKET):
            await cos.create_bucket(VERSIONED_BUCKET)
        await cos.put_bucket_versioning(VERSIONED_BUCKET, VersioningConfiguration(status="Enabled"))
        keys = n // VERSIONS_PER_KEY
        for _ in range(VERSIONS_PER_KEY):
            await asyncio.gather(
                *(limited(cos.put_object(VERSIONED_BUCKET, f"v/{i:06d}", b"")) for i in range(keys))
            )
        up = await cos.create_multipart_upload(b, "parts/one")
        self.upload_id = up.upload_id
        await asyncio.gather(
            *(
                limited(cos.upload_part(b, "parts/one", up.upload_id, p, b"x"))
                for p in range(1, n + 1)
            )
        )
        await asyncio.gather(
            *(limited(cos.create_multipart_upload(b, f"u/{i:06d}")) for i in range(n))
        )

    def expected(self, kind: str) -> int:
        return (self.n // VERSIONS_PER_KEY) * VERSIONS_PER_KEY if kind == "versions" else self.n

    # --- ours -----------------------------------------------------------------------------------

    def ours_async(self, cos: Any, kind: str) -> Any:
        b = self.bucket
        if kind == "objects":
            return cos.list_objects(b, prefix="o/")
        if kind == "versions":
            return cos.list_object_versions(VERSIONED_BUCKET, prefix="v/")
        if kind == "parts":
            return cos.list_parts(b, "parts/one", self.upload_id)
        return cos.list_multipart_uploads(b, prefix="u/")

    async def count_async(self, cos: Any, kind: str) -> int:
        n = 0
        async for _ in self.ours_async(cos, kind):
            n += 1
        return n

    def count_sync(self, cos: Any, kind: str) -> int:
        return sum(1 for _ in self.ours_async(cos, kind))

    # --- the official SDK's page loops ----------------------------------------------------------

    def count_official(self, client: Any, kind: str) -> int:
        b, n = self.bucket, 0
        if kind == "objects":
            marker = ""
            while True:
                r = client.list_objects(Bucket=b, Prefix="o/", Marker=marker, MaxKeys=PAGE)
                n += len(r.get("Contents", ()))
                if r["IsTruncated"] == "false":
                    return n
                marker = r["NextMarker"]
        if kind == "versions":
            km, vm = "", ""
            while True:
                r = client.list_objects_versions(
                    Bucket=VERSIONED_BUCKET,
                    Prefix="v/",
                    KeyMarker=km,
                    VersionIdMarker=vm,
                    MaxKeys=PAGE,
                )
                n += len(r.get("Version", ())) + len(r.get("DeleteMarker", ()))
                if r["IsTruncated"] == "false":
                    return n
                km, vm = r["NextKeyMarker"], r["NextVersionIdMarker"]
        if kind == "parts":
            marker = "0"
            while True:
                r = client.list_parts(
                    Bucket=b,
                    Key="parts/one",
                    UploadId=self.upload_id,
                    MaxParts=PAGE,
                    PartNumberMarker=marker,
                )
                n += len(r.get("Part", ()))
                if r["IsTruncated"] == "false":
                    return n
                marker = r["NextPartNumberMarker"]
        km, um = "", ""
        while True:
            r = client.list_multipart_uploads(
                Bucket=b, Prefix="u/", KeyMarker=km, UploadIdMarker=um, MaxUploads=PAGE
            )
            n += len(r.get("Upload", ()))
            if r["IsTruncated"] == "false":
                return n
            km, um = r["NextKeyMarker"], r["NextUploadIdMarker"]


def run(n: int, rounds: int, *, pinned: bool = True) -> dict[str, Any]:
    from cos_async import AsyncCosClient
    from cos_sync import CosClient

    server = ServerProcess(
        [sys.executable, "-m", "cos_async.testing", "--port", "0", "--bucket", LOCAL_BUCKET]
    )
    pinning = pin(server, enabled=pinned)
    print(f"listing: {n:,} entries per listing, {rounds} rounds; {pinning}", flush=True)
    target = Target.local_server(server.endpoint)
    listings = Listings(target, n)
    loop = asyncio.new_event_loop()
    samples: dict[tuple[str, str], list[tuple[float, float]]] = {}
    try:
        cos = AsyncCosClient(target.cos_config())
        t0 = time.perf_counter()
        loop.run_until_complete(listings.populate(cos))
        print(f"  data written in {time.perf_counter() - t0:.0f} s", flush=True)
        official = target.official_client()
        with CosClient(target.cos_config()) as sync_cos:
            run_one: dict[str, Callable[[str], int]] = {
                "async": lambda k: loop.run_until_complete(listings.count_async(cos, k)),
                "sync": lambda k: listings.count_sync(sync_cos, k),
                "official": lambda k: listings.count_official(official, k),
            }
            for kind in KINDS:  # one unmeasured listing each: connections and caches warm
                for client in CLIENTS:
                    run_one[client](kind)
            for r in range(rounds):
                order = CLIENTS[r % len(CLIENTS) :] + CLIENTS[: r % len(CLIENTS)]
                for kind in KINDS:
                    for client in order:
                        c0, w0 = _cpu(), time.perf_counter()
                        got = run_one[client](kind)
                        wall, cpu = time.perf_counter() - w0, _cpu() - c0
                        if got != listings.expected(kind):
                            raise RuntimeError(
                                f"{client} listed {got} {kind}, expected {listings.expected(kind)}"
                            )
                        samples.setdefault((kind, client), []).append((wall, cpu))
                print(f"  round {r + 1}/{rounds} done", flush=True)
        loop.run_until_complete(cos.aclose())
    finally:
        loop.close()
        server.stop()
    rows = []
    for (kind, client), runs in samples.items():
        count = listings.expected(kind)
        rows.append(
            {
                "kind": kind,
                "client": client,
                "entries": count,
                "per_s": statistics.median(count / w for w, _ in runs),
                "per_s_all": [count / w for w, _ in runs],
                "client_cpu_s": statistics.median(c for _, c in runs),
            }
        )
    return {"n": n, "rounds": rounds, "pinning": pinning, "rows": rows}


def table(data: dict[str, Any]) -> str:
    rate = {(r["kind"], r["client"]): r["per_s"] for r in data["rows"]}
    cpu = {(r["kind"], r["client"]): r["client_cpu_s"] for r in data["rows"]}
    lines = [
        f"listing {data['n']:,} entries, median of {data['rounds']} rounds; {data['pinning']}",
        "",
        "| listing | async /s | sync /s | official /s | ours ÷ official | sync ÷ async "
        "| CPU s: async / sync / official |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for kind in KINDS:
        a, s, o = (rate[(kind, c)] for c in CLIENTS)
        ca, cs, co = (cpu[(kind, c)] for c in CLIENTS)
        lines.append(
            f"| {kind} | {a:,.0f} | {s:,.0f} | {o:,.0f} | {a / o:.2f}× | {s / a:.2f} "
            f"| {ca:.2f} / {cs:.2f} / {co:.2f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.listings", description=__doc__)
    p.add_argument("--entries", type=int, default=10_000, help="entries per listing")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--quick", action="store_true", help="2,000 entries, 2 rounds")
    p.add_argument("--no-pin", action="store_true", help="do not pin server and client CPUs")
    p.add_argument("--results", default="results")
    args = p.parse_args(argv)
    n, rounds = (2_000, 2) if args.quick else (args.entries, args.rounds)
    if not 1 <= n <= 10_000:
        p.error("--entries must be 1..10000 (a multipart upload has at most 10,000 parts)")
    started = time.time()
    data = run(n, rounds, pinned=not args.no_pin)
    print()
    print(table(data))
    out = Path(args.results)
    out.mkdir(parents=True, exist_ok=True)
    doc = {
        "suite": "listing",
        "started": started,
        "python": platform.python_version(),
        "cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        **data,
    }
    (out / "listing.json").write_text(json.dumps(doc, indent=2))
    print(f"\nresults written to {out / 'listing.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
