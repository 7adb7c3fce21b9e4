"""Small objects: put / get / head operations per second and latency, four clients, N workers.

Every client talks to the same bucket (the local server, or ``--endpoint``), from this process:

* ``async``: one ``cos_async.AsyncCosClient``, N concurrent tasks;
* ``sync``: one ``cos_sync.CosClient`` shared by N threads;
* ``official``: one official SDK client (``qcloud_cos.CosS3Client``, ``PoolMaxSize`` raised to
  the largest N) shared by N threads: ``put_object``, ``get_object`` +
  ``Body.get_raw_stream().read()``, ``head_object``;
* ``raw``: one plain ``aiohttp.ClientSession``, N concurrent tasks. Its requests carry an
  ``Authorization`` header computed once per (method, key) before the measurement (signing only
  ``Host``, valid for an hour), so the timed loop signs nothing, checks nothing and parses
  nothing but the status: the ceiling of an aiohttp client against this same server.

One *cell* is (size, op, concurrency, client). Each worker first does two unmeasured operations
(connections open), then repeats the operation until the cell's time is up, recording the latency
of each. ``put`` writes the worker's own ``KEYS_PER_WORKER`` keys in turn (so the server's memory
stays flat); ``get`` / ``head`` read ``SOURCES`` objects written beforehand. Cells run in rounds
(every cell once per round) so a slow moment of a noisy machine spreads over all of them.
Reported: median ops/s over the rounds, p50 / p99 latency over all recorded operations, client
CPU per op (this process) and, for the local server, server CPU per op.
"""

from __future__ import annotations

import asyncio
import resource
import statistics
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

from ._progress import Progress
from ._report import fmt_size, percentile, ratio
from ._target import Target
from .server_throughput import ServerProcess

OPS = ("put", "get", "head")
CLIENTS = ("async", "sync", "official", "raw")
KEYS_PER_WORKER = 4
SOURCES = 64
WARMUP_OPS = 2
#: rough per-cell cost beyond its measured time (threads, warm-up), for the progress estimate
CELL_OVERHEAD_S = 0.05


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def row_id(size: int, op: str, client: str, concurrency: int) -> str:
    return f"small_{fmt_size(size).replace(' ', '')}_{op}_{client}_c{concurrency}"


class _Cell:
    """What one measurement of one cell collected."""

    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.ops = 0
        self.wall = 0.0
        self.client_cpu = 0.0
        self.server_cpu: float | None = None


class SmallObjects:
    def __init__(
        self,
        target: Target,
        server: ServerProcess | None,
        prefix: str,
        *,
        sizes: tuple[int, ...],
        concurrency: tuple[int, ...],
        duration: float,
        rounds: int,
        clients: tuple[str, ...] = CLIENTS,
    ) -> None:
        self.target = target
        #: ``CLIENTS``, or with S3 peers (``benchmarks.peers.PEERS``: ``--suite peers``)
        self.clients = clients
        self.server = server
        self.prefix = prefix
        self.sizes = sizes
        self.concurrency = concurrency
        self.duration = duration
        self.rounds = rounds
        self.payloads = {size: bytes(range(256)) * (size // 256) for size in sizes}
        self._raw_headers: dict[tuple[str, str], dict[str, str]] = {}

    # --- plan -----------------------------------------------------------------------------------

    def cells(self) -> list[tuple[int, str, int, str]]:
        return [
            (size, op, conc, client)
            for size in self.sizes
            for op in OPS
            for conc in self.concurrency
            for client in self.clients
        ]

    def weight(self) -> float:
        """Estimated seconds (progress bar)."""
        return len(self.cells()) * self.rounds * (self.duration + CELL_OVERHEAD_S) + 2.0

    # --- keys -----------------------------------------------------------------------------------

    def put_key(self, size: int, worker: int, i: int) -> str:
        return f"{self.prefix}small/{size}/w{worker}/{i % KEYS_PER_WORKER}"

    def source_key(self, size: int, i: int) -> str:
        return f"{self.prefix}small/{size}/src/{i % SOURCES}"

    # --- measurement --------------------------------------------------------------------------

    def _server_cpu(self) -> float | None:
        return self.server.cpu_seconds() if self.server is not None else None

    def _begin(self) -> tuple[float, float | None]:
        return _cpu(), self._server_cpu()

    def _end(self, cell: _Cell, begin: tuple[float, float | None]) -> None:
        cell.client_cpu = _cpu() - begin[0]
        s1 = self._server_cpu()
        cell.server_cpu = None if begin[1] is None or s1 is None else s1 - begin[1]

    async def _async_cell(
        self, op: Callable[[int, int], Awaitable[None]], conc: int, cell: _Cell
    ) -> None:
        await asyncio.gather(*(op(w, i) for w in range(conc) for i in range(WARMUP_OPS)))
        lists: list[list[float]] = [[] for _ in range(conc)]
        spans: list[tuple[float, float]] = []
        deadline = time.perf_counter() + self.duration

        async def worker(w: int) -> None:
            lats = lists[w]
            i = WARMUP_OPS
            first = time.perf_counter()
            t1 = first
            while True:
                t0 = time.perf_counter()
                if t0 >= deadline and lats:
                    break
                await op(w, i)
                t1 = time.perf_counter()
                lats.append(t1 - t0)
                i += 1
            spans.append((first, t1))

        begin = self._begin()
        await asyncio.gather(*(worker(w) for w in range(conc)))
        self._end(cell, begin)
        cell.wall = max(e for _, e in spans) - min(s for s, _ in spans)
        for lats in lists:
            cell.latencies.extend(lats)
        cell.ops = len(cell.latencies)

    def _thread_cell(self, op: Callable[[int, int], None], conc: int, cell: _Cell) -> None:
        lists: list[list[float]] = [[] for _ in range(conc)]
        spans: list[tuple[float, float]] = []
        errors: list[BaseException] = []
        deadline = [0.0]
        begin: list[tuple[float, float | None]] = []

        def go() -> None:  # run once, by the last thread to reach the barrier, before any leaves
            begin.append(self._begin())
            deadline[0] = time.perf_counter() + self.duration

        barrier = threading.Barrier(conc, action=go)

        def worker(w: int) -> None:
            try:
                for i in range(WARMUP_OPS):
                    op(w, i)
                barrier.wait()
                lats = lists[w]
                i = WARMUP_OPS
                first = time.perf_counter()
                t1 = first
                while True:
                    t0 = time.perf_counter()
                    if t0 >= deadline[0] and lats:
                        break
                    op(w, i)
                    t1 = time.perf_counter()
                    lats.append(t1 - t0)
                    i += 1
                spans.append((first, t1))
            except BaseException as exc:
                errors.append(exc)
                barrier.abort()

        threads = [threading.Thread(target=worker, args=(w,), daemon=True) for w in range(conc)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise errors[0]
        self._end(cell, begin[0])
        cell.wall = max(e for _, e in spans) - min(s for s, _ in spans)
        for lats in lists:
            cell.latencies.extend(lats)
        cell.ops = len(cell.latencies)

    # --- the operations of each client --------------------------------------------------------

    def _async_op(self, cos: Any, size: int, op: str) -> Callable[[int, int], Awaitable[None]]:
        bucket, payload = self.target.bucket, self.payloads[size]
        if op == "put":

            async def put(w: int, i: int) -> None:
                await cos.put_object(bucket, self.put_key(size, w, i), payload)

            return put
        if op == "get":

            async def get(w: int, i: int) -> None:
                body = await cos.get_object(bucket, self.source_key(size, w * 7 + i))
                if len(await body.read()) != size:
                    raise RuntimeError("async get: wrong size")

            return get

        async def head(w: int, i: int) -> None:
            await cos.head_object(bucket, self.source_key(size, w * 7 + i))

        return head

    def _sync_op(self, cos: Any, size: int, op: str) -> Callable[[int, int], None]:
        bucket, payload = self.target.bucket, self.payloads[size]
        if op == "put":
            return lambda w, i: cos.put_object(bucket, self.put_key(size, w, i), payload)
        if op == "get":

            def get(w: int, i: int) -> None:
                if len(cos.get_object(bucket, self.source_key(size, w * 7 + i)).read()) != size:
                    raise RuntimeError("sync get: wrong size")

            return get
        return lambda w, i: cos.head_object(bucket, self.source_key(size, w * 7 + i))

    def _official_op(self, client: Any, size: int, op: str) -> Callable[[int, int], None]:
        bucket, payload = self.target.bucket, self.payloads[size]
        if op == "put":
            return lambda w, i: client.put_object(
                Bucket=bucket, Body=payload, Key=self.put_key(size, w, i)
            )
        if op == "get":

            def get(w: int, i: int) -> None:
                resp = client.get_object(Bucket=bucket, Key=self.source_key(size, w * 7 + i))
                if len(resp["Body"].get_raw_stream().read()) != size:
                    raise RuntimeError("official get: wrong size")

            return get
        return lambda w, i: client.head_object(Bucket=bucket, Key=self.source_key(size, w * 7 + i))

    def _presign_all(self) -> None:
        """The raw client's headers, computed before any measurement."""
        max_conc = max(self.concurrency)
        for size in self.sizes:
            for w in range(max_conc):
                for i in range(KEYS_PER_WORKER):
                    key = self.put_key(size, w, i)
                    self._raw_headers["PUT", key] = self.target.sign("PUT", key)
            for i in range(SOURCES):
                key = self.source_key(size, i)
                for method in ("GET", "HEAD"):
                    self._raw_headers[method, key] = self.target.sign(method, key)

    def _raw_op(self, session: Any, size: int, op: str) -> Callable[[int, int], Awaitable[None]]:
        payload, target, headers = self.payloads[size], self.target, self._raw_headers
        if op == "put":

            async def put(w: int, i: int) -> None:
                key = self.put_key(size, w, i)
                async with session.put(
                    target.url(key), data=payload, headers=headers["PUT", key]
                ) as resp:
                    await resp.read()
                    if resp.status != 200:
                        raise RuntimeError(f"raw PUT: {resp.status}")

            return put
        method = op.upper()

        async def get_or_head(w: int, i: int) -> None:
            key = self.source_key(size, w * 7 + i)
            async with session.request(
                method, target.url(key), headers=headers[method, key]
            ) as resp:
                data = await resp.read()
                if resp.status != 200 or (method == "GET" and len(data) != size):
                    raise RuntimeError(f"raw {method}: {resp.status}, {len(data)} bytes")

        return get_or_head

    # --- the section ----------------------------------------------------------------------------

    def run(self, progress: Progress) -> dict[str, Any]:
        from cos_async import AsyncCosClient
        from cos_sync import CosClient

        loop = asyncio.new_event_loop()
        config = self.target.cos_config()
        samples: dict[tuple[int, str, int, str], list[_Cell]] = {c: [] for c in self.cells()}
        cos = AsyncCosClient(config)
        session = loop.run_until_complete(_session(max(self.concurrency)))
        try:
            official = self.target.official_client(pool_size=max(10, *self.concurrency))
            progress.start("small objects", "writing the objects to read")

            async def setup() -> None:
                sem = asyncio.Semaphore(16)

                async def put(size: int, i: int) -> None:
                    async with sem:
                        await cos.put_object(
                            self.target.bucket, self.source_key(size, i), self.payloads[size]
                        )

                await asyncio.gather(*(put(s, i) for s in self.sizes for i in range(SOURCES)))

            loop.run_until_complete(setup())
            self._presign_all()
            peers = self._open_peers(loop)
            progress.done(2.0)
            with CosClient(config) as sync_cos:
                for r in range(self.rounds):
                    for size, op, conc, client in self.cells():
                        progress.start(
                            "small objects",
                            f"round {r + 1}/{self.rounds}: {fmt_size(size)} {op} × {conc} {client}",
                        )
                        cell = _Cell()
                        if client == "async":
                            loop.run_until_complete(
                                self._async_cell(self._async_op(cos, size, op), conc, cell)
                            )
                        elif client == "raw":
                            loop.run_until_complete(
                                self._async_cell(self._raw_op(session, size, op), conc, cell)
                            )
                        elif client == "sync":
                            self._thread_cell(self._sync_op(sync_cos, size, op), conc, cell)
                        elif peers is not None and client in peers.async_clients:
                            peer_op = peers.async_op(
                                client, self.payloads[size], op, self._key(size, op)
                            )
                            loop.run_until_complete(self._async_cell(peer_op, conc, cell))
                        elif peers is not None and client in peers.thread_clients:
                            peer_sync = peers.thread_op(
                                client, self.payloads[size], op, self._key(size, op)
                            )
                            self._thread_cell(peer_sync, conc, cell)
                        else:
                            self._thread_cell(self._official_op(official, size, op), conc, cell)
                        samples[size, op, conc, client].append(cell)
                        progress.done(self.duration + CELL_OVERHEAD_S)
        finally:
            if self._peers is not None:
                loop.run_until_complete(self._peers.close())
            loop.run_until_complete(cos.aclose())
            loop.run_until_complete(session.close())
            loop.close()
        return self._summarize(samples)

    # --- S3 peers (``--suite peers``) -------------------------------------------------------------

    _peers: Any = None

    def _open_peers(self, loop: asyncio.AbstractEventLoop) -> Any:
        """The S3 peers' clients (``benchmarks.peers``), when the cells name any."""
        from . import peers

        if not set(self.clients) & set(peers.PEERS):
            return None
        self._peers = peers.PeerClients(
            self.target.endpoint, self.target.bucket, pool=max(10, *self.concurrency)
        )
        loop.run_until_complete(self._peers.open())
        return self._peers

    def _key(self, size: int, op: str) -> Callable[[int, int], str]:
        if op == "put":
            return lambda w, i: self.put_key(size, w, i)
        return lambda w, i: self.source_key(size, w * 7 + i)

    def _summarize(self, samples: dict[tuple[int, str, int, str], list[_Cell]]) -> dict[str, Any]:
        rows: list[dict[str, Any]] = []
        for (size, op, conc, client), cells in samples.items():
            lats = [x for c in cells for x in c.latencies]
            server = [c.server_cpu / c.ops for c in cells if c.server_cpu is not None]
            rows.append(
                {
                    "id": row_id(size, op, client, conc),
                    "size": size,
                    "op": op,
                    "client": client,
                    "concurrency": conc,
                    "ops_per_s": statistics.median(c.ops / c.wall for c in cells),
                    "ops_per_s_all": [c.ops / c.wall for c in cells],
                    "p50_ms": percentile(lats, 50) * 1000,
                    "p99_ms": percentile(lats, 99) * 1000,
                    "ops": len(lats),
                    "client_cpu_us_per_op": statistics.median(
                        c.client_cpu / c.ops * 1e6 for c in cells
                    ),
                    "server_cpu_us_per_op": statistics.median(server) * 1e6 if server else None,
                }
            )
        return {
            "sizes": list(self.sizes),
            "ops": list(OPS),
            "clients": list(self.clients),
            "concurrency": list(self.concurrency),
            "seconds_per_cell": self.duration,
            "rounds": self.rounds,
            "rows": rows,
            "ratios": ratios(rows),
        }


async def _session(limit: int) -> Any:
    import aiohttp

    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=max(64, limit)),
        timeout=aiohttp.ClientTimeout(total=60),
    )


def ratios(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """ops/s of ours (async, sync) ÷ the official SDK and ÷ raw aiohttp, per size/op/concurrency."""
    by_id = {r["id"]: r for r in rows}
    out: list[dict[str, Any]] = []
    for r in rows:
        if r["client"] not in ("async", "sync"):
            continue
        for other in ("official", "raw"):
            b = by_id.get(row_id(r["size"], r["op"], other, r["concurrency"]))
            if b is None:
                continue
            out.append(
                {
                    "a": r["id"],
                    "b": b["id"],
                    "metric": "ops_per_s",
                    "ratio": ratio(r["ops_per_s"], b["ops_per_s"]),
                }
            )
    return out
