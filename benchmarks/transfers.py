"""File transfers: ``upload_file`` / ``download_file`` against the official SDK and raw aiohttp.

One local COS server (``python -m cos_async.testing --fast-etag``, in memory, so its MD5 is not
the bottleneck) and one raw aiohttp server (PUT drains the body, GET streams a preallocated buffer
and honours ``Range``) run as subprocesses on 127.0.0.1. Every client run is a fresh subprocess
(``python -m benchmarks.transfers --child SPEC``) that prints one JSON line: wall seconds and
user+sys CPU seconds of the transfer alone, and the process's peak RSS (``VmHWM``). So CPU and
RSS are per measurement, and the official SDK's threads are counted (``RUSAGE_SELF``).

Measurements (``SIZE``: 1 GiB, ``--quick`` 256 MiB):

* upload: ours ``upload_file`` (CRC64 always verified) at its defaults and at 8 MiB × 5; the
  official ``upload_file`` at its defaults (``PartSize=1, MAXThread=5``) and at 8 MB × 5; raw
  aiohttp part PUTs (8 MiB parts, 8 at a time, streamed from the file in 1 MiB ``os.pread``
  slices with a Content-Length) to the raw server and, signed, to the COS server.
* download: ours ``download_file`` at its defaults with ``verify_crc`` on and off and at
  20 MiB × 5; the official ``download_file`` at its defaults (20 MB × 5) with ``EnableCRC`` on and
  off; raw aiohttp ranged GETs (16 MiB ranges, 8 at a time, ``iter_any()``, ``os.pwrite`` into a
  file sized up front) from the raw server and, signed, from the COS server.
* full runs only: the peak RSS of ours uploading a sparse 4 GiB file at its defaults, against the
  bound ``concurrency × part size + 100 MiB``.

The source file is read once (into the page cache) right before every upload run. Each
measurement first gets ``WARMUP`` unmeasured runs; then the measured runs go in rounds (every
measurement once per round), so slow drifts of this noisy VM spread over all of them. Uploaded
objects are deleted (multipart uploads aborted) after every run: the server keeps them in memory.
Every file downloaded from the COS server is checked against the source's CRC-64 (outside the
timing). Downloads land in the temporary directory (on disk); ours ``fsync``s the file before
renaming it, the others do not. The report also says how much CPU other processes on the machine
used while the clients ran: throughput on a busy 2-vCPU VM is noisy, CPU s/GiB much less so.

To profile one client run: ``python -m benchmarks.transfers --child '{...,"profile": "out.prof"}'``
(the SPEC of any measurement is in ``results/transfers.json``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import json
import os
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from ._pin import pin
from ._target import LOCAL_BUCKET, Target
from .server_throughput import ServerProcess

MiB = 1024 * 1024
GiB = 1024 * MiB
BUCKET = LOCAL_BUCKET
ROOT = Path(__file__).resolve().parent.parent
WARMUP = 1

_RAW_SERVER = r"""
import asyncio, re, sys
from aiohttp import web
SIZE = int(sys.argv[1])
DATA = bytearray(SIZE)
RANGE = re.compile(r"bytes=(\d+)-(\d*)$")
async def put(request):
    async for _ in request.content.iter_any():
        pass
    return web.Response(status=200)
async def get(request):
    start, end, status = 0, SIZE, 200
    m = RANGE.match(request.headers.get("Range", ""))
    if m:
        start = int(m.group(1))
        end = min(SIZE, int(m.group(2)) + 1) if m.group(2) else SIZE
        status = 206
    resp = web.StreamResponse(status=status)
    resp.content_length = end - start
    if status == 206:
        resp.headers["Content-Range"] = f"bytes {start}-{end - 1}/{SIZE}"
    await resp.prepare(request)
    view = memoryview(DATA)
    for off in range(start, end, 1 << 20):
        await resp.write(view[off:min(end, off + (1 << 20))])
    await resp.write_eof()
    return resp
async def main():
    app = web.Application()
    app.router.add_route("PUT", "/{tail:.*}", put)
    app.router.add_route("GET", "/{tail:.*}", get)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    print(f"listening on http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}", flush=True)
    await asyncio.Event().wait()
asyncio.run(main())
"""
"""The raw server of ``server_throughput`` (PUT drains the body; GET streams 1 MiB slices of a
preallocated buffer), with single-``Range`` support added for the ranged GETs."""


# --- addressing and signing (raw clients and the parent's clean-up requests) ----------------


def target_of(spec: dict[str, Any]) -> Target:
    """The bucket a run talks to: ``spec["target"]`` (see ``_target``), else the local server
    at ``spec["endpoint"]`` with its test keys."""
    if "target" in spec:
        return Target.from_spec(spec["target"])
    return Target.local_server(spec["endpoint"], BUCKET)


def _query(params: dict[str, str | None]) -> str:
    return "&".join(k if v is None else urlencode({k: v}) for k, v in params.items())


def cos_request(
    target: Target,
    method: str,
    key: str,
    params: dict[str, str | None] | None = None,
    extra: dict[str, str] | None = None,
) -> tuple[int, bytes]:
    """One small signed request from the parent (clean-up, checks, set-up)."""
    params = params or {}
    parts = urlsplit(target.url(key))
    conn_class = (
        http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    )
    conn = conn_class(parts.hostname or "127.0.0.1", parts.port, timeout=60)
    try:
        path = parts.path
        if params:
            path += "?" + _query(params)
        conn.request(method, path, headers=target.sign(method, key, params, extra))
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def allow_anonymous(target: Target) -> None:
    """Make the bucket public-read-write, for the unsigned raw ceiling rows."""
    status, body = cos_request(target, "PUT", "", {"acl": None}, {"x-cos-acl": "public-read-write"})
    if status != 200:
        raise RuntimeError(f"PUT ?acl: {status} {body[:200]!r}")


# --- the child: one client run ----------------------------------------------------------------


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _rss_mib(field: str = "VmRSS") -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


def _peak_rss_mib() -> float:
    """This process's peak RSS since its ``exec``. Not ``ru_maxrss``: Linux carries the parent's
    RSS at ``fork`` over into it, so every child seemed to use at least what its parent did."""
    peak = _rss_mib("VmHWM")
    return peak if peak else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _busy_cpu() -> float | None:
    """CPU seconds all processes on the machine have used (``/proc/stat``), to spot other load."""
    try:
        with open("/proc/stat") as f:
            fields = f.readline().split()
        # user nice system idle iowait irq softirq steal: everything but idle and iowait
        ticks = sum(int(x) for i, x in enumerate(fields[1:9]) if i not in (3, 4))
        return ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


async def _raw_upload(spec: dict[str, Any]) -> Callable[[], Any]:
    """Part PUTs of the file; returns the timed coroutine factory (setup done here)."""
    import aiohttp

    target = target_of(spec)
    key, path, size = spec["key"], spec["path"], spec["size"]
    part, conc, signed = spec["part_size"], spec["concurrency"], spec["signed"]
    files = spec.get("files", True)  # False: parts sent from memory, nothing read from a file
    multipart = spec.get("multipart", signed)  # a COS server: a real multipart upload
    session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None))
    url = target.url(key)
    upload_id = "raw"
    if multipart:
        params: dict[str, str | None] = {"uploads": None}
        initiate = target.sign("POST", key, params) if signed else {}
        async with session.post(url + "?uploads", headers=initiate) as resp:
            text = await resp.text()
            if resp.status != 200:
                raise RuntimeError(f"initiate multipart: {resp.status} {text}")
        m = re.search(r"<UploadId>([^<]+)</UploadId>", text)
        if m is None:
            raise RuntimeError(f"no UploadId in {text!r}")
        upload_id = m.group(1)
    fd = os.open(path, os.O_RDONLY)
    nparts = -(-size // part)
    memory = memoryview(bytes(range(256)) * (MiB // 256)) if not files else None

    async def body(offset: int, length: int) -> AsyncIterator[bytes | memoryview]:
        end = offset + length
        while offset < end:
            if memory is not None:
                data: bytes | memoryview = memory[: min(MiB, end - offset)]
            else:
                data = os.pread(fd, min(MiB, end - offset), offset)
            if not data:
                raise RuntimeError("file shrank")
            offset += len(data)
            yield data

    async def put_part(n: int) -> None:
        offset = (n - 1) * part
        length = min(part, size - offset)
        params: dict[str, str | None] = {"partNumber": str(n), "uploadId": upload_id}
        extra = {"Content-Length": str(length)}
        headers = target.sign("PUT", key, params, extra) if signed else extra
        async with session.put(
            f"{url}?{_query(params)}", data=body(offset, length), headers=headers
        ) as resp:
            if resp.status != 200:
                raise RuntimeError(f"PUT part {n}: {resp.status} {await resp.text()}")
            await resp.read()

    async def run() -> None:
        todo = iter(range(1, nparts + 1))

        async def worker() -> None:
            for n in todo:
                await put_part(n)

        await asyncio.gather(*(worker() for _ in range(min(conc, nparts))))

    async def cleanup() -> None:
        os.close(fd)
        if multipart:
            params: dict[str, str | None] = {"uploadId": upload_id}
            async with session.delete(
                f"{url}?{_query(params)}", headers=target.sign("DELETE", key, params)
            ) as resp:
                await resp.read()
        await session.close()

    spec["_cleanup"] = cleanup
    return run


async def _raw_download(spec: dict[str, Any]) -> Callable[[], Any]:
    import aiohttp

    target = target_of(spec)
    key, dest, size = spec["key"], spec["dest"], spec["size"]
    part, conc, signed = spec["part_size"], spec["concurrency"], spec["signed"]
    session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None))
    url = target.url(key)

    files = spec.get("files", True)  # False: the bytes are counted and dropped, no file

    async def get_range(fd: int, start: int, end: int) -> None:
        extra = {"Range": f"bytes={start}-{end - 1}"}
        headers = target.sign("GET", key, {}, extra) if signed else extra
        pos = start
        async with session.get(url, headers=headers) as resp:
            if resp.status != 206:
                raise RuntimeError(f"GET range: {resp.status} {await resp.text()}")
            async for chunk in resp.content.iter_any():
                if not files:
                    pos += len(chunk)
                    continue
                n = os.pwrite(fd, chunk, pos)
                if n != len(chunk):  # pragma: no cover - regular files write everything
                    raise RuntimeError("short write")
                pos += n
        if pos != end:
            raise RuntimeError(f"range {start}-{end - 1}: got {pos - start} bytes")

    async def run() -> None:
        fd = os.open(dest, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644) if files else -1
        try:
            if files:
                os.ftruncate(fd, size)
            todo = iter(range(0, size, part))

            async def worker() -> None:
                for start in todo:
                    await get_range(fd, start, min(size, start + part))

            await asyncio.gather(*(worker() for _ in range(min(conc, -(-size // part)))))
        finally:
            if files:
                os.close(fd)

    async def cleanup() -> None:
        await session.close()

    spec["_cleanup"] = cleanup
    return run


async def _ours(spec: dict[str, Any]) -> Callable[[], Any]:
    from cos_async import AsyncCosClient

    target = target_of(spec)
    client = AsyncCosClient(target.cos_config())
    kwargs: dict[str, Any] = {}
    if spec.get("part_size") is not None:
        kwargs["part_size"] = spec["part_size"]
    if spec.get("concurrency") is not None:
        kwargs["concurrency"] = spec["concurrency"]

    async def run() -> None:
        if spec["op"] == "upload":
            await client.upload_file(target.bucket, spec["key"], spec["path"], **kwargs)
        else:
            await client.download_file(
                target.bucket, spec["key"], spec["dest"], verify_crc=spec["verify_crc"], **kwargs
            )

    spec["_cleanup"] = client.aclose
    return run


def _official(spec: dict[str, Any]) -> Callable[[], Any]:
    target = target_of(spec)
    client = target.official_client()
    mb = spec["part_size"] // MiB

    def run() -> None:
        if spec["op"] == "upload":
            client.upload_file(
                Bucket=target.bucket,
                Key=spec["key"],
                LocalFilePath=spec["path"],
                PartSize=mb,
                MAXThread=spec["concurrency"],
            )
        else:
            client.download_file(
                Bucket=target.bucket,
                Key=spec["key"],
                DestFilePath=spec["dest"],
                PartSize=mb,
                MAXThread=spec["concurrency"],
                EnableCRC=spec["verify_crc"],
                # its resume records (deleted on success) go beside the file, not in ~
                DumpRecordDir=os.path.dirname(spec["dest"]),
            )

    return run


class _Meter:
    """Wall time, CPU seconds and minor page faults of this process from construction on."""

    def __init__(self) -> None:
        self.rss_before_mib = _rss_mib()
        r = resource.getrusage(resource.RUSAGE_SELF)
        self.flt = r.ru_minflt
        self.cpu = r.ru_utime + r.ru_stime
        self.wall = time.perf_counter()

    def result(self) -> dict[str, Any]:
        wall = time.perf_counter() - self.wall
        r = resource.getrusage(resource.RUSAGE_SELF)
        return {
            "wall_s": wall,
            "cpu_s": r.ru_utime + r.ru_stime - self.cpu,
            "minflt": r.ru_minflt - self.flt,
            "maxrss_mib": _peak_rss_mib(),
            "rss_before_mib": self.rss_before_mib,
        }


def _recycle(spec: dict[str, Any]) -> None:
    """Delete the scratch file the parent has just written, right before the timing starts, so
    that memory for this run's page cache is free and resident. This VM hands memory that stays
    free (or cold) for a second or two back to its host (virtio free page reporting, DAMON
    reclaim), and faulting it in again costs about 1-2 CPU s/GiB: without this, a download was
    fast or slow by what the run before it had freed, and when."""
    recycle = spec.get("recycle")
    if recycle:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(recycle)


def child(spec: dict[str, Any]) -> dict[str, Any]:
    """Run one transfer described by ``spec``; returns the JSON line's content."""
    import cProfile

    client = spec["client"]
    profile = spec.get("profile")
    prof = cProfile.Profile() if profile else None
    if client in _peers().PEERS:
        return _peer_child(spec)
    if client == "official":
        run_sync = _official(spec)
        _recycle(spec)
        meter = _Meter()
        if prof is not None:
            prof.runcall(run_sync)
        else:
            run_sync()
        result = meter.result()
    else:

        async def main() -> dict[str, Any]:
            factory = {
                "ours": _ours,
                "raw": _raw_upload if spec["op"] == "upload" else _raw_download,
            }[client]
            run_async = await factory(spec)
            try:
                _recycle(spec)
                meter = _Meter()
                if prof is not None:
                    prof.enable()
                try:
                    await run_async()
                finally:
                    if prof is not None:
                        prof.disable()
                return meter.result()
            finally:
                await spec["_cleanup"]()

        result = asyncio.run(main())
    if prof is not None:
        prof.dump_stats(str(profile))
    return result


def _peers() -> Any:
    from . import peers

    return peers


def _peer_child(spec: dict[str, Any]) -> dict[str, Any]:
    """One run of an S3 peer (``benchmarks.peers``: aioboto3, boto3, s3fs, obstore)."""
    setup, run_peer, close = _peers().transfer_runner(spec)
    if not asyncio.iscoroutinefunction(run_peer):
        _recycle(spec)
        meter = _Meter()
        run_peer()
        return meter.result()

    async def main() -> dict[str, Any]:
        try:
            if setup is not None:
                await setup()
            _recycle(spec)
            meter = _Meter()
            await run_peer()
            return meter.result()
        finally:
            if close is not None:
                await close()

    return asyncio.run(main())


# --- the parent -------------------------------------------------------------------------------


def _run_child(spec: dict[str, Any], timeout: float) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.transfers", "--child", json.dumps(spec)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if proc.returncode != 0:
        raise RuntimeError(
            f"{spec['id']}: client run failed (exit {proc.returncode}):\n{proc.stderr[-4000:]}"
        )
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if not lines:
        raise RuntimeError(f"{spec['id']}: no result line in {proc.stdout!r} / {proc.stderr!r}")
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def _warm(path: Path) -> None:
    """Read the file once so the upload reads it from the page cache."""
    buf = bytearray(8 * MiB)
    with open(path, "rb", buffering=0) as f:
        while f.readinto(buf):
            pass


def _file_crc(path: Path) -> int:
    """CRC-64 of a file (to check what each client downloaded)."""
    from cos_async._crc64 import crc64

    crc = 0
    buf = bytearray(8 * MiB)
    view = memoryview(buf)
    with open(path, "rb", buffering=0) as f:
        while n := f.readinto(buf):
            crc = crc64(view[:n], crc)
    return crc


def _make_file(path: Path, size: int) -> None:
    block = os.urandom(4 * MiB)
    with open(path, "wb") as f:
        left = size
        while left > 0:
            n = min(len(block), left)
            f.write(block[:n])
            left -= n


class Bench:
    """Runs measurements against the ``cos`` server (``cos_target``: by default the local server
    process ``cos``; any bucket if set, then without server CPU) and the ``raw`` server. Object
    keys start with ``prefix``; downloads read ``download_key`` (uploaded by the caller)."""

    def __init__(self, size: int, runs: int, workdir: Path, prefix: str = "") -> None:
        self.size = size
        self.runs = runs
        self.workdir = workdir
        self.src = workdir / "source.bin"
        self.dest = workdir / "download.bin"
        self.recycle = workdir / "previous-download.bin"
        self.cos: ServerProcess | None = None
        self.raw: ServerProcess | None = None
        self.cos_target: Target | None = None
        self.prefix = prefix
        self.download_key = prefix + "download-source"
        self.timeout = max(300.0, size / (20 * 1e6))  # at least 20 MB/s
        self.seq = 0
        self.src_crc: int | None = None

    def server(self, name: str) -> ServerProcess | None:
        """The local server process behind ``name`` (``None``: a bucket elsewhere)."""
        if name == "cos" and self.cos_target is not None and not self.cos_target.local:
            return None
        return self.cos if name == "cos" else self.raw

    def target(self, name: str) -> Target:
        if name == "cos" and self.cos_target is not None:
            return self.cos_target
        proc = self.cos if name == "cos" else self.raw
        assert proc is not None
        return Target.local_server(proc.endpoint, BUCKET)

    def once(self, m: dict[str, Any]) -> dict[str, Any]:
        """One run of measurement ``m`` in a fresh child, with the preparation and clean-up."""
        spec = dict(m["spec"])
        server = self.server(m["server"])
        target = self.target(m["server"])
        spec["endpoint"] = target.endpoint
        spec["target"] = target.to_spec()
        spec["id"] = m["id"]
        if m["op"] == "upload":
            self.seq += 1
            spec["key"] = f"{self.prefix}upload/{m['id']}/{self.seq}"
            spec["path"] = str(spec.get("path") or self.src)
            _warm(Path(spec["path"]))
        else:
            spec["key"] = self.download_key
            spec["dest"] = str(self.dest)
            self._clean_dest()
            if spec.get("files", True):
                # memory for the run's page cache, freed by the child right before its timing
                spec["recycle"] = str(self.recycle)
                _make_file(self.recycle, self.size + 64 * MiB)
        ours0 = self._our_cpu()
        s0 = server.cpu_seconds() if server is not None else None
        t0 = time.perf_counter()
        r = _run_child(spec, self.timeout)
        r["child_wall_s"] = time.perf_counter() - t0
        s1 = server.cpu_seconds() if server is not None else None
        ours1 = self._our_cpu()
        r["server_cpu_s"] = None if s0 is None or s1 is None else s1 - s0
        # CPU used meanwhile by processes that are not part of this benchmark (noise)
        r["foreign_cpu_s"] = (
            None
            if ours0 is None or ours1 is None
            else max(0.0, ours1[0] - ours0[0] - (ours1[1] - ours0[1]))
        )
        if m["op"] == "upload":
            if m["server"] == "cos" and m["client"] != "raw":
                status, body = cos_request(target, "DELETE", spec["key"])
                if status not in (200, 204):
                    raise RuntimeError(f"DELETE {spec['key']}: {status} {body[:200]!r}")
        elif spec.get("files", True):
            got = os.path.getsize(self.dest)
            if got != spec["size"]:
                raise RuntimeError(f"{m['id']}: downloaded {got} bytes, expected {spec['size']}")
            if m["server"] == "cos" and _file_crc(self.dest) != self.src_crc:
                raise RuntimeError(f"{m['id']}: the downloaded file differs from the source")
            self._clean_dest()
        return r

    def _our_cpu(self) -> tuple[float, float] | None:
        """(machine-wide busy CPU, CPU of this benchmark's processes), in seconds."""
        busy = _busy_cpu()
        servers = [p.cpu_seconds() for p in (self.cos, self.raw) if p is not None]
        if busy is None or any(x is None for x in servers):
            return None
        return busy, _cpu() + _children_cpu() + sum(x for x in servers if x is not None)

    def _clean_dest(self) -> None:
        for p in self.workdir.iterdir():
            if p.name.startswith(("download.bin", ".download.bin")):
                p.unlink()

    def measure(self, ms: list[dict[str, Any]], label: str) -> None:
        print(f"{label}: {WARMUP} warm-up run(s) each", flush=True)
        for m in ms:
            for _ in range(WARMUP):
                self.once(m)
        for i in range(1, self.runs + 1):
            print(f"{label}: round {i}/{self.runs}", flush=True)
            # each round in its own (seeded) order: whatever a run inherits from the one before
            # it (this VM hands memory freed for ~2 s back to its host, and faulting it in again
            # is slow) does not fall on the same measurement every time
            order = list(ms)
            if i > 1:
                random.Random(i).shuffle(order)
            for m in order:
                r = self.once(m)
                m["runs_raw"].append(r)
                print(
                    f"  {m['id']:<26} {self.size / r['wall_s'] / 1e6:8,.0f} MB/s  "
                    f"cpu {r['cpu_s'] / (self.size / GiB):5.2f} s/GiB  "
                    f"rss {r['maxrss_mib']:6.0f} MiB",
                    flush=True,
                )


def _summarize(m: dict[str, Any], size: int) -> dict[str, Any]:
    runs = m.pop("runs_raw")
    gib = size / GiB
    rates = [size / r["wall_s"] / 1e6 for r in runs]
    server = [r["server_cpu_s"] / gib for r in runs if r["server_cpu_s"] is not None]
    return {
        **m,
        "size": size,
        "runs": len(runs),
        "mb_per_s": statistics.median(rates),
        "mb_per_s_all": rates,
        "client_cpu_s_per_gib": statistics.median(r["cpu_s"] / gib for r in runs),
        "server_cpu_s_per_gib": statistics.median(server) if server else None,
        "peak_rss_mib": max(r["maxrss_mib"] for r in runs),
        "rss_before_mib": statistics.median(r["rss_before_mib"] for r in runs),
        "minflt_per_gib": statistics.median(r["minflt"] / gib for r in runs),
        "foreign_cpu_s": [r["foreign_cpu_s"] for r in runs],
        "raw_runs": runs,
    }


def measurement(
    id_: str, op: str, client: str, server: str, settings: str, size: int, **spec: Any
) -> dict[str, Any]:
    """One measurement for :meth:`Bench.once`: ``client`` is ours / official / raw, ``server``
    cos / raw, ``spec`` the child's options (part_size, concurrency, verify_crc, signed)."""
    return {
        "id": id_,
        "op": op,
        "client": client,
        "server": server,
        "settings": settings,
        "spec": {"client": client, "op": op, "size": size, **spec},
        "runs_raw": [],
    }


def _measurements(size: int) -> list[dict[str, Any]]:
    from cos_async import _transfer

    ps = _transfer.choose_part_size(size, None)
    dps = _transfer.choose_part_size(size, None, _transfer.DEFAULT_DOWNLOAD_PART_SIZE)
    conc = _transfer.DEFAULT_CONCURRENCY

    def m(
        id_: str, op: str, client: str, server: str, settings: str, **spec: Any
    ) -> dict[str, Any]:
        return measurement(id_, op, client, server, settings, size, **spec)

    return [
        m(
            "up_ours_default",
            "upload",
            "ours",
            "cos",
            f"defaults ({ps // MiB} MiB × {conc}), CRC64 verified",
            part_size=None,
            concurrency=None,
        ),
        m(
            "up_ours_8x5",
            "upload",
            "ours",
            "cos",
            "8 MiB × 5, CRC64 verified",
            part_size=8 * MiB,
            concurrency=5,
        ),
        m(
            "up_official_default",
            "upload",
            "official",
            "cos",
            "defaults (PartSize=1 × MAXThread=5)",
            part_size=1 * MiB,
            concurrency=5,
        ),
        m(
            "up_official_8x5",
            "upload",
            "official",
            "cos",
            "PartSize=8 × MAXThread=5",
            part_size=8 * MiB,
            concurrency=5,
        ),
        m(
            "up_raw_cos",
            "upload",
            "raw",
            "cos",
            f"{ps // MiB} MiB × {conc} → COS server: unsigned, from memory (the ceiling)",
            part_size=ps,
            concurrency=conc,
            signed=False,
            multipart=True,
            files=False,
        ),
        m(
            "up_raw_cos_files",
            "upload",
            "raw",
            "cos",
            f"{ps // MiB} MiB × {conc} → COS server: signed, read from the file",
            part_size=ps,
            concurrency=conc,
            signed=True,
        ),
        m(
            "up_raw_rawserver",
            "upload",
            "raw",
            "raw",
            f"{ps // MiB} MiB × {conc} → raw aiohttp server, from memory",
            part_size=ps,
            concurrency=conc,
            signed=False,
            files=False,
        ),
        m(
            "down_ours_default_crc",
            "download",
            "ours",
            "cos",
            f"defaults ({dps // MiB} MiB × {conc}), verify_crc=True",
            part_size=None,
            concurrency=None,
            verify_crc=True,
        ),
        m(
            "down_ours_default_nocrc",
            "download",
            "ours",
            "cos",
            f"defaults ({dps // MiB} MiB × {conc}), verify_crc=False",
            part_size=None,
            concurrency=None,
            verify_crc=False,
        ),
        m(
            "down_ours_20x5_crc",
            "download",
            "ours",
            "cos",
            "20 MiB × 5, verify_crc=True",
            part_size=20 * MiB,
            concurrency=5,
            verify_crc=True,
        ),
        m(
            "down_official_crc",
            "download",
            "official",
            "cos",
            "defaults (PartSize=20 × MAXThread=5), EnableCRC=True",
            part_size=20 * MiB,
            concurrency=5,
            verify_crc=True,
        ),
        m(
            "down_official_nocrc",
            "download",
            "official",
            "cos",
            "defaults (PartSize=20 × MAXThread=5), EnableCRC=False",
            part_size=20 * MiB,
            concurrency=5,
            verify_crc=False,
        ),
        m(
            "down_raw_cos",
            "download",
            "raw",
            "cos",
            f"{dps // MiB} MiB × {conc} ← COS server: unsigned, no file (the ceiling)",
            part_size=dps,
            concurrency=conc,
            signed=False,
            files=False,
        ),
        m(
            "down_raw_cos_files",
            "download",
            "raw",
            "cos",
            f"{dps // MiB} MiB × {conc} ← COS server: signed, written to a file",
            part_size=dps,
            concurrency=conc,
            signed=True,
        ),
        m(
            "down_raw_rawserver",
            "download",
            "raw",
            "raw",
            f"{dps // MiB} MiB × {conc} ← raw aiohttp server, no file",
            part_size=dps,
            concurrency=conc,
            signed=False,
            files=False,
        ),
    ]


# (a, b, description, target or None): throughput ratio a ÷ b, target = minimum
#: (a, b, comparison, the least throughput ratio a ÷ b, the most client CPU ratio a ÷ b):
#: the targets of the performance issues (None: shown for information)
_RATIOS: list[tuple[str, str, str, float | None, float | None]] = [
    (
        "up_ours_default",
        "up_official_default",
        "upload: ours ÷ official, both at defaults",
        2.0,
        None,
    ),
    (
        "up_ours_8x5",
        "up_official_8x5",
        "upload: ours ÷ official, equal settings (8 MiB × 5)",
        1.3,
        None,
    ),
    (
        "up_ours_default",
        "up_raw_cos_files",
        "upload: ours ÷ raw aiohttp reading the same file (signed); CPU ≤ 1.25×",
        None,
        1.25,
    ),
    (
        "up_ours_default",
        "up_raw_cos",
        "upload: ours ÷ raw aiohttp ceiling (same server, unsigned, no file, no checksum)",
        None,
        None,
    ),
    (
        "down_ours_default_crc",
        "down_official_nocrc",
        "download: ours (verify_crc) ÷ official EnableCRC=False, defaults",
        1.2,
        None,
    ),
    (
        "down_ours_default_crc",
        "down_raw_cos_files",
        "download: ours (verify_crc) ÷ raw aiohttp writing the same file (signed)",
        0.9,
        None,
    ),
    (
        "down_ours_default_crc",
        "down_official_crc",
        "download: ours (verify_crc) ÷ official EnableCRC=True, defaults",
        5.0,
        None,
    ),
    (
        "down_ours_default_nocrc",
        "down_official_nocrc",
        "download: ours (no verify) ÷ official EnableCRC=False, defaults",
        None,
        None,
    ),
    (
        "down_ours_20x5_crc",
        "down_official_nocrc",
        "download: ours (verify_crc) ÷ official EnableCRC=False, equal settings (20 MiB × 5)",
        None,
        None,
    ),
    (
        "down_ours_default_crc",
        "down_raw_cos",
        "download: ours ÷ raw aiohttp ceiling (same server, unsigned, no file, no checksum)",
        None,
        None,
    ),
    (
        "down_ours_default_crc",
        "down_ours_default_nocrc",
        "download: ours verify_crc on ÷ off (CRC cost; ≥0.91× = cost ≤10 %)",
        1 / 1.1,
        None,
    ),
]


def _ratios(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_id = {r["id"]: r for r in results}
    out = []
    for a, b, text, least, most_cpu in _RATIOS:
        ra, rb = by_id[a], by_id[b]
        ratio = ra["mb_per_s"] / rb["mb_per_s"]
        cpu = ra["client_cpu_s_per_gib"] / rb["client_cpu_s_per_gib"]
        checks = [ratio >= least] if least is not None else []
        checks += [cpu <= most_cpu] if most_cpu is not None else []
        out.append(
            {
                "a": a,
                "b": b,
                "comparison": text,
                "throughput_ratio": ratio,
                "cpu_ratio": cpu,
                "target_min": least,
                "cpu_target_max": most_cpu,
                "met": all(checks) if checks else None,
            }
        )
    return out


def _rss_check(bench: Bench) -> dict[str, Any]:
    from cos_async import _transfer

    size = 4 * GiB
    free = shutil.disk_usage(bench.workdir).free
    if free < 10 * GiB:
        note = f"skipped: {free / GiB:.1f} GiB free in {bench.workdir} (< 10 GiB)"
        print(f"4 GiB RSS check {note}", flush=True)
        return {"skipped": note}
    path = bench.workdir / "sparse-4g.bin"
    with open(path, "wb"):
        pass
    os.truncate(path, size)
    ps = _transfer.choose_part_size(size, None)
    conc = _transfer.DEFAULT_CONCURRENCY
    bound = conc * ps / MiB + 100
    print(f"4 GiB RSS check: ours upload_file defaults ({ps // MiB} MiB × {conc})", flush=True)
    m = {
        "id": "up_ours_default_4gib",
        "op": "upload",
        "client": "ours",
        "server": "cos",
        "spec": {
            "client": "ours",
            "op": "upload",
            "size": size,
            "part_size": None,
            "concurrency": None,
            "path": str(path),
        },
    }
    saved, bench.timeout = bench.timeout, max(bench.timeout, 1200.0)
    try:
        r = bench.once(m)
    finally:
        bench.timeout = saved
        path.unlink()
    out = {
        "size": size,
        "part_size": ps,
        "concurrency": conc,
        "mb_per_s": size / r["wall_s"] / 1e6,
        "client_cpu_s_per_gib": r["cpu_s"] / 4,
        "peak_rss_mib": r["maxrss_mib"],
        "rss_before_mib": r["rss_before_mib"],
        "bound_mib": bound,
        "met": r["maxrss_mib"] <= bound,
        "raw_run": r,
    }
    print(
        f"  peak RSS {out['peak_rss_mib']:.0f} MiB (bound {bound:.0f} MiB: "
        f"{'met' if out['met'] else 'NOT met'}), {out['mb_per_s']:,.0f} MB/s",
        flush=True,
    )
    return out


def run(size: int, runs: int, *, rss_check: bool, pinned: bool = True) -> dict[str, Any]:
    """Run the suite; returns everything that goes into the JSON file. ``pinned``: the
    servers on the last CPU, the client processes on the others (``benchmarks/_pin.py``)."""
    load_start = os.getloadavg()
    workdir = Path(tempfile.mkdtemp(prefix="cos-bench-transfers-"))
    bench = Bench(size, runs, workdir)
    py = sys.executable
    try:
        print(f"writing a {size // MiB} MiB source file in {workdir}", flush=True)
        _make_file(bench.src, size)
        bench.src_crc = _file_crc(bench.src)
        bench.cos = ServerProcess(
            [py, "-m", "cos_async.testing", "--port", "0", "--fast-etag", "--bucket", BUCKET]
        )
        bench.raw = ServerProcess([py, "-c", _RAW_SERVER, str(size)])
        pinning = pin(bench.cos, bench.raw, enabled=pinned)
        print(f"CPUs: {pinning}", flush=True)
        allow_anonymous(bench.target("cos"))
        ms = _measurements(size)
        uploads = [m for m in ms if m["op"] == "upload"]
        downloads = [m for m in ms if m["op"] == "download"]
        bench.measure(uploads, "upload")
        # the object every download reads (uploaded by ours, unmeasured)
        spec: dict[str, Any] = {
            "id": "setup",
            "client": "ours",
            "op": "upload",
            "size": size,
            "endpoint": bench.cos.endpoint,
            "key": bench.download_key,
            "path": str(bench.src),
        }
        _warm(bench.src)
        _run_child(spec, bench.timeout)
        bench.measure(downloads, "download")
        cos_request(bench.target("cos"), "DELETE", bench.download_key)
        results = [_summarize(m, size) for m in ms]
        check = _rss_check(bench) if rss_check else {"skipped": "quick run"}
    finally:
        for proc in (bench.cos, bench.raw):
            if proc is not None:
                proc.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    foreign = [x for r in results for x in r["foreign_cpu_s"] if x is not None]
    wall = sum(x["child_wall_s"] for r in results for x in r["raw_runs"])
    return {
        "size": size,
        "runs": runs,
        "warmup_runs": WARMUP,
        "pinning": pinning,
        "loadavg_start": load_start,
        "loadavg_end": os.getloadavg(),
        # CPU seconds used by other processes on the machine during the measured runs
        "foreign_cpu_s_total": sum(foreign),
        "measured_child_wall_s_total": wall,
        "results": results,
        "ratios": _ratios(results),
        "rss_check_4gib": check,
    }


def table(data: dict[str, Any]) -> str:
    lines = [
        f"CPUs: {data.get('pinning', 'not recorded')}",
        "",
        "| op | client | settings | MB/s (median) | MB/s runs | client CPU s/GiB "
        "| server CPU s/GiB | client page faults k/GiB | peak RSS MiB |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in data["results"]:
        client = {"ours": "ours", "official": "official SDK", "raw": "raw aiohttp"}[r["client"]]
        runs = " / ".join(f"{x:,.0f}" for x in r["mb_per_s_all"])
        server = r["server_cpu_s_per_gib"]
        lines.append(
            f"| {r['op']} | {client} | {r['settings']} | {r['mb_per_s']:,.0f} | {runs} | "
            f"{r['client_cpu_s_per_gib']:.2f} | {'n/a' if server is None else f'{server:.2f}'} | "
            f"{r['minflt_per_gib'] / 1000:.0f} | {r['peak_rss_mib']:.0f} |"
        )
    lines += [
        "",
        "| comparison | throughput ratio | client CPU ratio | target | met |",
        "| --- | ---: | ---: | ---: | --- |",
    ]
    for q in data["ratios"]:
        least, most_cpu = q["target_min"], q.get("cpu_target_max")
        wanted = ([f"≥ {least:.2f}×"] if least is not None else []) + (
            [f"CPU ≤ {most_cpu:.2f}×"] if most_cpu is not None else []
        )
        met = "" if q["met"] is None else ("yes" if q["met"] else "**no**")
        lines.append(
            f"| {q['comparison']} | {q['throughput_ratio']:.2f}× | {q['cpu_ratio']:.2f}× | "
            f"{', '.join(wanted) or 'info'} | {met} |"
        )
    check = data["rss_check_4gib"]
    lines.append("")
    foreign, wall = data["foreign_cpu_s_total"], data["measured_child_wall_s_total"]
    lines.append(
        f"Machine load: {os.cpu_count()} CPUs; load average {data['loadavg_start'][0]:.2f} at "
        f"start, {data['loadavg_end'][0]:.2f} at end; other processes used {foreign:.1f} CPU s "
        f"while the measured clients ran ({wall:.1f} s; {foreign / wall if wall else 0:.2f} CPUs on "
        "average)" + (": figures are disturbed" if wall and foreign / wall > 0.1 else "")
    )
    if "skipped" in check:
        lines.append(f"4 GiB upload peak-RSS check: {check['skipped']}")
    else:
        lines.append(
            f"4 GiB upload peak-RSS check (ours, {check['part_size'] // MiB} MiB × "
            f"{check['concurrency']}): peak RSS {check['peak_rss_mib']:.0f} MiB "
            f"(of which {check['rss_before_mib']:.0f} MiB before the transfer) ≤ bound "
            f"{check['bound_mib']:.0f} MiB: {'yes' if check['met'] else '**no**'}; "
            f"{check['mb_per_s']:,.0f} MB/s, {check['client_cpu_s_per_gib']:.2f} CPU s/GiB"
        )
    return "\n".join(lines)


def _main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.transfers")
    p.add_argument("--child", required=True, help="JSON spec of one client run (internal)")
    args = p.parse_args(argv)
    print(json.dumps(child(json.loads(args.child))), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())
