"""How fast is the local COS server, against a raw aiohttp server that does the minimum?

Both servers run in their own processes on 127.0.0.1; one aiohttp client (this process) sends
the same PUT (streamed 1 MiB slices with a Content-Length) and GET (read with ``iter_any()``).

* ``raw``: an aiohttp.web server whose PUT drains the body and whose GET streams 1 MiB slices of a
  preallocated buffer: the ceiling for any aiohttp-based server on this machine.
* ``cos``: ``python -m cos_async.testing`` (in memory). It verifies the COS signature, computes
  CRC64 and (unless ``--fast-etag``) MD5 of every upload, and stores the bytes.
* ``cos-fast-etag``: the same with ETags derived from CRC64 instead of MD5.

Reported per (operation, server), after warm-up runs: median MB/s over the runs, the client's and
the server's CPU seconds per GiB, and the ratio to ``raw``.
"""

from __future__ import annotations

import asyncio
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp

from cos_async import _signing

MiB = 1024 * 1024
GiB = 1024 * MiB

_RAW_SERVER = r"""
import asyncio, sys
from aiohttp import web
SIZE = int(sys.argv[1])
DATA = bytearray(SIZE)
async def put(request):
    async for _ in request.content.iter_any():
        pass
    return web.Response(status=200)
async def get(request):
    resp = web.StreamResponse(status=200)
    resp.content_length = SIZE
    await resp.prepare(request)
    view = memoryview(DATA)
    for off in range(0, SIZE, 1 << 20):
        await resp.write(view[off:off + (1 << 20)])
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


class ServerProcess:
    def __init__(self, argv: list[str]) -> None:
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if "http://" not in line:
            self.proc.kill()
            raise RuntimeError(f"server did not start: {line!r}")
        self.endpoint = line[line.index("http://") :].split()[0]

    def cpu_seconds(self) -> float | None:
        try:
            with open(f"/proc/{self.proc.pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            ticks = os.sysconf("SC_CLK_TCK")
            return (int(fields[11]) + int(fields[12])) / ticks
        except (OSError, ValueError, IndexError):
            return None

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


async def _body(size: int) -> AsyncIterator[memoryview]:
    buf = memoryview(bytes(range(256)) * (MiB // 256))
    sent = 0
    while sent < size:
        n = min(MiB, size - sent)
        yield buf[:n]
        sent += n


class Target:
    def __init__(self, name: str, endpoint: str, server: ServerProcess, cos: bool) -> None:
        self.name = name
        self.endpoint = endpoint
        self.server = server
        self.cos = cos
        self.bucket = "bench-1250000000"

    def headers(self, method: str, key: str, extra: dict[str, str]) -> dict[str, str]:
        if not self.cos:
            return dict(extra)
        from cos_async.testing import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY

        now = int(time.time())
        host = self.endpoint.split("://", 1)[1].rsplit(":", 1)[0]
        auth = _signing.sign(
            secret_id=DEFAULT_SECRET_ID,
            secret_key=DEFAULT_SECRET_KEY,
            method=method,
            path=f"/{self.bucket}/{key}",
            params={},
            headers={"Host": host, **extra},
            start=now - 60,
            end=now + 3600,
        )
        return {**extra, "Authorization": auth.to_header()}

    def url(self, key: str) -> str:
        return f"{self.endpoint}/{self.bucket}/{key}"


async def _put(session: aiohttp.ClientSession, t: Target, key: str, size: int) -> None:
    headers = t.headers("PUT", key, {"Content-Length": str(size)})
    async with session.put(t.url(key), data=_body(size), headers=headers) as resp:
        if resp.status != 200:
            raise RuntimeError(f"{t.name} PUT {resp.status}: {await resp.text()}")


async def _get(session: aiohttp.ClientSession, t: Target, key: str, size: int) -> None:
    headers = t.headers("GET", key, {})
    n = 0
    async with session.get(t.url(key), headers=headers) as resp:
        if resp.status != 200:
            raise RuntimeError(f"{t.name} GET {resp.status}: {await resp.text()}")
        async for chunk in resp.content.iter_any():
            n += len(chunk)
    if n != size:
        raise RuntimeError(f"{t.name} GET returned {n} of {size} bytes")


async def _measure(
    session: aiohttp.ClientSession, t: Target, op: str, size: int, runs: int
) -> dict[str, Any]:
    rates: list[float] = []
    client_cpu: list[float] = []
    server_cpu: list[float] = []
    if op == "GET" and t.cos:
        await _put(session, t, "obj", size)
    # Warm-up, the same for every server: first touches of fresh memory cost a page fault per
    # 4 KiB here (~1 CPU s/GiB, more as RSS grows). Three PUTs over two alternating keys let the
    # local server's slab pool recycle the first object's memory, as it does in steady state.
    for i in range(3 if op == "PUT" else 1):
        if op == "PUT":
            await _put(session, t, f"put-{i % 2}", size)
        else:
            await _get(session, t, "obj", size)
    for i in range(1, runs + 1):
        s0 = t.server.cpu_seconds()
        c0 = _cpu()
        w0 = time.perf_counter()
        if op == "PUT":
            await _put(session, t, f"put-{i % 2}", size)
        else:
            await _get(session, t, "obj", size)
        wall = time.perf_counter() - w0
        c1 = _cpu()
        s1 = t.server.cpu_seconds()
        rates.append(size / wall / 1e6)
        client_cpu.append((c1 - c0) / (size / GiB))
        if s0 is not None and s1 is not None:
            server_cpu.append((s1 - s0) / (size / GiB))
    return {
        "server": t.name,
        "op": op,
        "size": size,
        "runs": runs,
        "mb_per_s": statistics.median(rates),
        "mb_per_s_all": rates,
        "client_cpu_s_per_gib": statistics.median(client_cpu),
        "server_cpu_s_per_gib": statistics.median(server_cpu) if server_cpu else None,
    }


async def _bench(size: int, runs: int) -> list[dict[str, Any]]:
    py = sys.executable
    servers = {
        "raw": ServerProcess([py, "-c", _RAW_SERVER, str(size)]),
        "cos": ServerProcess(
            [py, "-m", "cos_async.testing", "--port", "0", "--bucket", "bench-1250000000"]
        ),
        "cos-fast-etag": ServerProcess(
            [
                py,
                "-m",
                "cos_async.testing",
                "--port",
                "0",
                "--fast-etag",
                "--bucket",
                "bench-1250000000",
            ]
        ),
        "cos-disk-fast-etag": ServerProcess(
            [
                py,
                "-m",
                "cos_async.testing",
                "--port",
                "0",
                "--fast-etag",
                "--bucket",
                "bench-1250000000",
                "--data-dir",
                "/tmp/cos-bench-data",
            ]
        ),
    }
    results: list[dict[str, Any]] = []
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None)) as session:
            for op in ("PUT", "GET"):
                for name, proc in servers.items():
                    t = Target(name, proc.endpoint, proc, cos=name != "raw")
                    results.append(await _measure(session, t, op, size, runs))
    finally:
        for proc in servers.values():
            proc.stop()
    for r in results:
        base = next(x for x in results if x["op"] == r["op"] and x["server"] == "raw")
        r["ratio_to_raw"] = r["mb_per_s"] / base["mb_per_s"]
    return results


def run(size: int, runs: int) -> list[dict[str, Any]]:
    return asyncio.run(_bench(size, runs))


def table(results: list[dict[str, Any]]) -> str:
    lines = [
        "| op | server | MB/s (median) | client CPU s/GiB | server CPU s/GiB | vs raw aiohttp |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        server_cpu = r["server_cpu_s_per_gib"]
        lines.append(
            f"| {r['op']} | {r['server']} | {r['mb_per_s']:,.0f} | {r['client_cpu_s_per_gib']:.2f} | "
            f"{'n/a' if server_cpu is None else f'{server_cpu:.2f}'} | {r['ratio_to_raw']:.2f}× |"
        )
    return "\n".join(lines)
