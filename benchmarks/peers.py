"""The S3 peers (aioboto3, boto3 with s3transfer, s3fs, obstore) against cos-async, on the local
server's S3 side (SigV4), in the same run and against the same server: ``python -m benchmarks
--suite peers``.

Every client talks to one local server (``python -m cos_async.testing --fast-etag``, in memory)
with the same keys; COS clients sign COS signatures, the peers SigV4. The method is the fair
one of design.md: the server is pinned to one CPU and every client (this process and the
transfer children it starts) to the others, so that a client's throughput is its own.

Sections (each a table with ratios ours ÷ each peer):

* transfers: ``upload_file`` / ``download_file`` of one file (``SIZE``, ``--quick`` 256 MiB), each
  run a fresh process (``benchmarks.transfers`` children: wall time, CPU and peak RSS of the
  transfer alone, the downloaded file checked against the source's CRC-64): ours at its
  defaults (CRC-64 verified); boto3's and aioboto3's ``upload_file`` / ``download_file``
  (s3transfer) at their defaults and at ours' part size and concurrency; s3fs ``put_file`` /
  ``get_file``; obstore ``put`` (multipart, its defaults) and ``get`` streamed to the file;
* small objects: put / get / head of 1 KiB and 64 KiB at 1, 8 and 32 in flight: ours async,
  raw aiohttp (the ceiling), aioboto3 and obstore's async API as N tasks; boto3 and s3fs as N
  threads sharing one client;
* listing: every key under a prefix of N objects: ours, boto3's ``list_objects_v2`` paginator,
  aioboto3's, s3fs ``find`` and obstore ``list``.

Settings of the peers: botocore (boto3, aioboto3, s3fs) with ``payload_signing_enabled=False``,
which is what it does by default over HTTPS (real COS); over plain HTTP it would otherwise hash
every body with SHA-256 for its signature, a cost it does not have in production. It still
computes the CRC-32 it sends with each upload (``x-amz-checksum-crc32``, its default since
botocore 1.36). obstore keeps its defaults (it signs a SHA-256 of every body, as it does over
HTTPS too).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from ._pin import pin
from ._report import fmt_num, fmt_ratio, fmt_size, markdown_table, ratio

MiB = 1024 * 1024
#: the peers, in the order the tables show them
PEERS = ("aioboto3", "boto3", "s3fs", "obstore")
#: how a peer is driven in the small-object section: N tasks, or N threads
ASYNC_PEERS = ("aioboto3", "obstore")


# --- how each peer reaches the local server ------------------------------------------------------


def _keys() -> tuple[str, str, str]:
    from cos_async.testing import DEFAULT_REGION, DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY

    return DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, DEFAULT_REGION


def _botocore_config(pool: int) -> Any:
    from botocore.config import Config

    return Config(
        s3={"addressing_style": "path", "payload_signing_enabled": False},
        max_pool_connections=pool,
        retries={"max_attempts": 1},
    )


def boto3_client(endpoint: str, pool: int = 10) -> Any:
    import boto3

    key, secret, region = _keys()
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=_botocore_config(pool),
    )


def aioboto3_client(endpoint: str, pool: int = 10) -> Any:
    """An ``async with`` context of an aioboto3 S3 client."""
    import aioboto3

    key, secret, region = _keys()
    return aioboto3.Session().client(
        "s3",
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=_botocore_config(pool),
    )


def s3fs_filesystem(endpoint: str) -> Any:
    import s3fs

    key, secret, region = _keys()
    return s3fs.S3FileSystem(
        key=key,
        secret=secret,
        client_kwargs={"endpoint_url": endpoint, "region_name": region},
        config_kwargs={"s3": {"payload_signing_enabled": False}, "max_pool_connections": 64},
        skip_instance_cache=True,
    )


def obstore_store(endpoint: str, bucket: str) -> Any:
    from obstore.store import S3Store

    key, secret, region = _keys()
    return S3Store(
        bucket,
        endpoint=endpoint,
        region=region,
        access_key_id=key,
        secret_access_key=secret,
        client_options={"allow_http": True, "pool_max_idle_per_host": "64"},
    )


# --- transfers: one client run (a benchmarks.transfers child) ------------------------------------


Runner = tuple[Callable[[], Any] | None, Callable[[], Any], Callable[[], Any] | None]


def transfer_runner(spec: dict[str, Any]) -> Runner:
    """``(setup, run, cleanup)`` of a peer's transfer: ``run`` is a plain function (boto3, s3fs,
    obstore) or a coroutine function (aioboto3, whose client ``setup`` opens and ``cleanup``
    closes, outside the timing)."""
    client, op = spec["client"], spec["op"]
    endpoint, bucket, key = spec["endpoint"], spec["target"]["bucket"], spec["key"]
    part, conc = spec.get("part_size"), spec.get("concurrency")
    if client in ("boto3", "aioboto3"):
        from boto3.s3.transfer import TransferConfig

        tc = (
            TransferConfig(multipart_chunksize=part, max_concurrency=conc)
            if part is not None
            else TransferConfig()
        )
    if client == "boto3":
        s3 = boto3_client(endpoint, pool=max(10, conc or 10))

        def run_boto3() -> None:
            if op == "upload":
                s3.upload_file(spec["path"], bucket, key, Config=tc)
            else:
                s3.download_file(bucket, key, spec["dest"], Config=tc)

        return None, run_boto3, None
    if client == "aioboto3":
        ctx = aioboto3_client(endpoint, pool=max(10, conc or 10))
        holder: dict[str, Any] = {}

        async def open_aioboto3() -> None:
            holder["s3"] = await ctx.__aenter__()

        async def run_aioboto3() -> None:
            s3 = holder["s3"]
            if op == "upload":
                await s3.upload_file(spec["path"], bucket, key, Config=tc)
            else:
                await s3.download_file(bucket, key, spec["dest"], Config=tc)

        async def close() -> None:
            if "s3" in holder:
                await ctx.__aexit__(None, None, None)

        return open_aioboto3, run_aioboto3, close
    if client == "s3fs":
        fs = s3fs_filesystem(endpoint)

        def run_s3fs() -> None:
            if op == "upload":
                fs.put_file(spec["path"], f"{bucket}/{key}")
            else:
                fs.get_file(f"{bucket}/{key}", spec["dest"])

        return None, run_s3fs, None
    if client == "obstore":
        import obstore

        store = obstore_store(endpoint, bucket)

        def run_obstore() -> None:
            if op == "upload":
                with open(spec["path"], "rb") as f:
                    obstore.put(store, key, f)
            else:
                with open(spec["dest"], "wb") as f:
                    for chunk in obstore.get(store, key).stream(min_chunk_size=8 * MiB):
                        f.write(chunk)

        return None, run_obstore, None
    raise ValueError(f"not a peer: {client!r}")


def transfer_measurements(size: int) -> list[dict[str, Any]]:
    """Ours and the peers, upload and download, for ``transfers.Bench``."""
    from cos_async import _transfer

    from .transfers import measurement

    ps = _transfer.choose_part_size(size, None)
    dps = _transfer.choose_part_size(size, None, _transfer.DEFAULT_DOWNLOAD_PART_SIZE)
    conc = _transfer.DEFAULT_CONCURRENCY
    out = []
    for op, part in (("upload", ps), ("download", dps)):
        p = "up" if op == "upload" else "down"
        crc = {"verify_crc": True} if op == "download" else {}
        out.append(
            measurement(
                f"{p}_ours", op, "ours", "cos", f"defaults ({part // MiB} MiB × {conc}), CRC-64",
                size, part_size=None, concurrency=None, **crc,
            )
        )  # fmt: skip
        for peer in PEERS:
            out.append(measurement(f"{p}_{peer}", op, peer, "cos", "defaults", size))
        for peer in ("boto3", "aioboto3"):
            out.append(
                measurement(
                    f"{p}_{peer}_equal", op, peer, "cos", f"{part // MiB} MiB × {conc} (ours')",
                    size, part_size=part, concurrency=conc,
                )
            )  # fmt: skip
    return out


def transfer_ratios(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_id = {r["id"]: r for r in results}
    out = []
    for p in ("up", "down"):
        ours = by_id[f"{p}_ours"]
        for r in results:
            if r["id"].startswith(f"{p}_") and r["client"] in PEERS:
                out.append(
                    {
                        "a": ours["id"],
                        "b": r["id"],
                        "comparison": f"{p}load: ours ÷ {r['client']} ({r['settings']})",
                        "throughput_ratio": ours["mb_per_s"] / r["mb_per_s"],
                        "cpu_ratio": ours["client_cpu_s_per_gib"] / r["client_cpu_s_per_gib"],
                    }
                )
    return out


def run_transfers(endpoint: str, server: Any, size: int, runs: int) -> dict[str, Any]:
    import shutil
    import tempfile

    from . import transfers

    workdir = Path(tempfile.mkdtemp(prefix="cos-bench-peers-"))
    bench = transfers.Bench(size, runs, workdir, prefix="peers/")
    bench.cos = server
    try:
        print(f"writing a {size // MiB} MiB source file in {workdir}", flush=True)
        transfers._make_file(bench.src, size)
        bench.src_crc = transfers._file_crc(bench.src)
        ms = transfer_measurements(size)
        bench.measure([m for m in ms if m["op"] == "upload"], "upload")
        spec: dict[str, Any] = {
            "id": "setup",
            "client": "ours",
            "op": "upload",
            "size": size,
            "endpoint": endpoint,
            "key": bench.download_key,
            "path": str(bench.src),
        }
        transfers._warm(bench.src)
        transfers._run_child(spec, bench.timeout)
        bench.measure([m for m in ms if m["op"] == "download"], "download")
        transfers.cos_request(bench.target("cos"), "DELETE", bench.download_key)
        results = [transfers._summarize(m, size) for m in ms]
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return {"size": size, "runs": runs, "results": results, "ratios": transfer_ratios(results)}


# --- small objects and listings: the peers' operations ------------------------------------------


class PeerClients:
    """The peers' clients for the small-object and listing sections, on ``loop``."""

    #: the peers driven as N tasks on the loop, and as N threads
    async_clients = frozenset(ASYNC_PEERS)
    thread_clients = frozenset(set(PEERS) - set(ASYNC_PEERS))

    def __init__(self, endpoint: str, bucket: str, pool: int) -> None:
        self.endpoint = endpoint
        self.bucket = bucket
        self.pool = pool
        self.boto3: Any = None
        self.s3fs: Any = None
        self.obstore: Any = None
        self.aioboto3: Any = None
        self._aioboto3_ctx: Any = None

    async def open(self) -> None:
        self.boto3 = boto3_client(self.endpoint, pool=self.pool)
        self.s3fs = s3fs_filesystem(self.endpoint)
        self.obstore = obstore_store(self.endpoint, self.bucket)
        self._aioboto3_ctx = aioboto3_client(self.endpoint, pool=self.pool)
        self.aioboto3 = await self._aioboto3_ctx.__aenter__()

    async def close(self) -> None:
        if self._aioboto3_ctx is not None:
            await self._aioboto3_ctx.__aexit__(None, None, None)
        if self.boto3 is not None:
            self.boto3.close()

    # --- small objects: (w, i) -> one operation ---------------------------------------------

    def async_op(
        self, client: str, payload: bytes, op: str, key: Callable[[int, int], str]
    ) -> Callable[[int, int], Awaitable[None]]:
        bucket, size = self.bucket, len(payload)
        if client == "aioboto3":
            s3 = self.aioboto3

            async def aioboto3_op(w: int, i: int) -> None:
                if op == "put":
                    await s3.put_object(Bucket=bucket, Key=key(w, i), Body=payload)
                elif op == "get":
                    resp = await s3.get_object(Bucket=bucket, Key=key(w, i))
                    async with resp["Body"] as body:
                        if len(await body.read()) != size:
                            raise RuntimeError("aioboto3 get: wrong size")
                else:
                    await s3.head_object(Bucket=bucket, Key=key(w, i))

            return aioboto3_op
        import obstore

        store = self.obstore

        async def obstore_op(w: int, i: int) -> None:
            if op == "put":
                await obstore.put_async(store, key(w, i), payload)
            elif op == "get":
                result = await obstore.get_async(store, key(w, i))
                if len(await result.bytes_async()) != size:
                    raise RuntimeError("obstore get: wrong size")
            else:
                await obstore.head_async(store, key(w, i))

        return obstore_op

    def thread_op(
        self, client: str, payload: bytes, op: str, key: Callable[[int, int], str]
    ) -> Callable[[int, int], None]:
        bucket, size = self.bucket, len(payload)
        if client == "boto3":
            s3 = self.boto3

            def boto3_op(w: int, i: int) -> None:
                if op == "put":
                    s3.put_object(Bucket=bucket, Key=key(w, i), Body=payload)
                elif op == "get":
                    if len(s3.get_object(Bucket=bucket, Key=key(w, i))["Body"].read()) != size:
                        raise RuntimeError("boto3 get: wrong size")
                else:
                    s3.head_object(Bucket=bucket, Key=key(w, i))

            return boto3_op
        fs = self.s3fs

        def s3fs_op(w: int, i: int) -> None:
            path = f"{bucket}/{key(w, i)}"
            if op == "put":
                fs.pipe_file(path, payload)
            elif op == "get":
                if len(fs.cat_file(path)) != size:
                    raise RuntimeError("s3fs get: wrong size")
            else:
                fs.info(path, refresh=True)

        return s3fs_op

    # --- listings ------------------------------------------------------------------------------

    def lister(
        self, client: str, prefix: str, loop: asyncio.AbstractEventLoop
    ) -> Callable[[], int]:
        bucket = self.bucket
        if client == "boto3":
            pages = self.boto3.get_paginator("list_objects_v2")
            return lambda: sum(
                p.get("KeyCount", 0) for p in pages.paginate(Bucket=bucket, Prefix=prefix)
            )
        if client == "aioboto3":
            s3 = self.aioboto3

            async def aioboto3_list() -> int:
                n = 0
                async for page in s3.get_paginator("list_objects_v2").paginate(
                    Bucket=bucket, Prefix=prefix
                ):
                    n += page.get("KeyCount", 0)
                return n

            return lambda: loop.run_until_complete(aioboto3_list())
        if client == "s3fs":
            fs = self.s3fs
            return lambda: len(fs.find(f"{bucket}/{prefix}"))
        import obstore

        store = self.obstore
        return lambda: sum(len(batch) for batch in obstore.list(store, prefix=prefix))


# --- the suite -----------------------------------------------------------------------------


def _small_table(section: dict[str, Any]) -> str:
    by_id = {r["id"]: r for r in section["rows"]}
    from .small_objects import row_id

    clients = section["clients"]
    header = ["size", "op", "N", *clients, *(f"ours ÷ {p}" for p in PEERS)]
    rows = []
    for size in section["sizes"]:
        for op in section["ops"]:
            for conc in section["concurrency"]:
                rs = {c: by_id[row_id(size, op, c, conc)] for c in clients}
                cells = [fmt_num(rs[c]["ops_per_s"]) for c in clients]
                ratios = [
                    fmt_ratio(ratio(rs["async"]["ops_per_s"], rs[p]["ops_per_s"])) for p in PEERS
                ]
                rows.append([fmt_size(size), op, str(conc), *cells, *ratios])
    return markdown_table(header, rows, right="  r" + "r" * (len(clients) + len(PEERS)))


def _listing_table(section: dict[str, Any]) -> str:
    by_id = {r["client"]: r for r in section["rows"]}
    ours = by_id["async"]["keys_per_s"]
    rows = [
        [
            r["client"],
            fmt_num(r["keys_per_s"]),
            f"{r['client_cpu_s']:.2f}",
            fmt_ratio(ratio(ours, r["keys_per_s"])) if r["client"] != "async" else "",
        ]
        for r in section["rows"]
    ]
    return markdown_table(
        ["client", "keys/s (median)", "client CPU s", "ours ÷ client"], rows, right=" rrr"
    )


def _transfer_table(section: dict[str, Any]) -> str:
    rows = [
        [
            r["op"],
            r["client"],
            r["settings"],
            fmt_num(r["mb_per_s"]),
            fmt_num(r["client_cpu_s_per_gib"], 2),
            fmt_num(r["peak_rss_mib"]),
        ]
        for r in section["results"]
    ]
    table = markdown_table(
        ["op", "client", "settings", "MB/s (median)", "client CPU s/GiB", "peak RSS MiB"],
        rows,
        right="   rrr",
    )
    ratio_rows = [
        [q["comparison"], fmt_ratio(q["throughput_ratio"]), fmt_ratio(q["cpu_ratio"])]
        for q in section["ratios"]
    ]
    return (
        table
        + "\n\n"
        + markdown_table(["comparison", "MB/s ratio", "client CPU ratio"], ratio_rows, right=" rr")
    )


def run(args: argparse.Namespace) -> int:
    """``python -m benchmarks --suite peers``."""
    from ._progress import Progress
    from ._target import LOCAL_BUCKET, Target
    from .listing import Listing
    from .server_throughput import ServerProcess
    from .small_objects import SmallObjects

    started = time.time()
    quick = args.quick
    size = (args.size_mib or (256 if quick else 1024)) * MiB
    runs = args.runs or (2 if quick else 3)
    rounds = args.runs or (1 if quick else 3)
    server = ServerProcess(
        [sys.executable, "-m", "cos_async.testing", "--port", "0", "--fast-etag",
         "--bucket", LOCAL_BUCKET]
    )  # fmt: skip
    doc: dict[str, Any] = {"suite": "peers", "quick": quick}
    try:
        pinning = pin(server, enabled=not getattr(args, "no_pin", False))
        print(f"peers: a local server at {server.endpoint}; {pinning}", flush=True)
        doc["pinning"] = pinning
        versions = {}
        from importlib import metadata

        for dist in ("cos-async", "boto3", "botocore", "aioboto3", "s3fs", "obstore", "aiohttp"):
            try:
                versions[dist] = metadata.version(dist)
            except metadata.PackageNotFoundError:
                versions[dist] = "not installed"
        doc["versions"] = versions
        target = Target.local_server(server.endpoint)
        prefix = f"peers-{int(started)}/"
        small = SmallObjects(
            target,
            server,
            prefix,
            sizes=(1024, 64 * 1024),
            concurrency=(1, 8, 32),
            duration=0.3 if quick else 0.8,
            rounds=rounds,
            clients=("async", "raw", *PEERS),
        )
        listing = Listing(
            target,
            server,
            prefix,
            keys=2_000 if quick else 10_000,
            rounds=rounds if quick else 5,
            clients=("async", *PEERS),
        )
        progress = Progress(small.weight() + listing.weight())
        doc["small_objects"] = small.run(progress)
        doc["listing"] = listing.run(progress)
        progress.finish()
        doc["transfers"] = run_transfers(server.endpoint, server, size, runs)
    finally:
        server.stop()
    doc["duration_s"] = time.time() - started
    doc["machine"] = {"cpus": os.cpu_count(), "python": platform.python_version()}
    out_dir = Path(args.results)
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / "peers.json"
    out.write_text(json.dumps(doc, indent=2))
    print()
    print(f"## Small objects (ops/s, median of {rounds} round(s)); {pinning}\n")
    print(_small_table(doc["small_objects"]))
    print(f"\n## Listing {doc['listing']['keys']:,} keys\n")
    print(_listing_table(doc["listing"]))
    print(f"\n## Transfers: {fmt_size(size)}, median of {runs} run(s)\n")
    print(_transfer_table(doc["transfers"]))
    print(f"\nresults written to {out}")
    return 0
