"""Listing: iterate over every key under a prefix holding N objects (1,000 per page).

* ``async``: ``async for obj in AsyncCosClient.list_objects(bucket, prefix=...)``;
* ``sync``: ``for obj in cos_sync.CosClient.list_objects(bucket, prefix=...)``;
* ``official``: the official SDK's pagination loop, ``list_objects(Bucket, Prefix, Marker,
  MaxKeys=1000)`` until ``IsTruncated`` is ``"false"``, following ``NextMarker``;
* ``raw``: plain aiohttp GETs of the same pages with one ``Authorization`` header computed
  before the measurement (``Host`` signed, query parameters not), counting ``<Key>`` elements and
  cutting ``<NextMarker>`` out of the bytes: no XML parsing, no models.

The N empty objects are written first (unmeasured, 32 at a time) and deleted afterwards.
Each client lists them once per round; reported: median keys per second, client CPU seconds
and, for the local server, server CPU seconds per listing.
"""

from __future__ import annotations

import asyncio
import re
import resource
import statistics
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from ._progress import Progress
from ._report import ratio
from ._target import Target
from .server_throughput import ServerProcess

CLIENTS = ("async", "sync", "official", "raw")
PAGE = 1000
_NEXT_MARKER = re.compile(rb"<NextMarker>([^<]*)</NextMarker>")


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def row_id(client: str) -> str:
    return f"list_{client}"


class Listing:
    def __init__(
        self,
        target: Target,
        server: ServerProcess | None,
        prefix: str,
        *,
        keys: int,
        rounds: int,
        clients: tuple[str, ...] = CLIENTS,
    ) -> None:
        self.target = target
        #: ``CLIENTS``, or with S3 peers (``benchmarks.peers.PEERS``: ``--suite peers``)
        self.clients = clients
        self.server = server
        self.prefix = prefix + "list/"
        self.keys = keys
        self.rounds = rounds

    def key(self, i: int) -> str:
        return f"{self.prefix}{i:06d}"

    def weight(self) -> float:
        per_listing = 0.2 + self.keys / 20_000  # seconds, roughly
        return 2.0 * self.keys / 3_000 + self.rounds * len(self.clients) * per_listing

    # --- the four clients -----------------------------------------------------------------------

    async def _async(self, cos: Any) -> int:
        n = 0
        async for _ in cos.list_objects(self.target.bucket, prefix=self.prefix):
            n += 1
        return n

    def _sync(self, cos: Any) -> int:
        return sum(1 for _ in cos.list_objects(self.target.bucket, prefix=self.prefix))

    def _official(self, client: Any) -> int:
        n, marker = 0, ""
        while True:
            resp = client.list_objects(
                Bucket=self.target.bucket, Prefix=self.prefix, Marker=marker, MaxKeys=PAGE
            )
            n += len(resp.get("Contents", ()))
            if resp["IsTruncated"] == "false":
                return n
            marker = str(resp["NextMarker"])

    async def _raw(self, session: Any, headers: dict[str, str]) -> int:
        n, marker = 0, ""
        base = self.target.url("")
        while True:
            query = f"prefix={quote(self.prefix, safe='')}&max-keys={PAGE}"
            if marker:
                query += f"&marker={quote(marker, safe='')}"
            async with session.get(f"{base}?{query}", headers=headers) as resp:
                body: bytes = await resp.read()
                if resp.status != 200:
                    raise RuntimeError(f"raw list: {resp.status} {body[:200]!r}")
            n += body.count(b"<Key>")
            if b"<IsTruncated>true</IsTruncated>" not in body:
                return n
            m = _NEXT_MARKER.search(body)
            if m is None:
                raise RuntimeError("raw list: truncated page without NextMarker")
            marker = m.group(1).decode()

    # --- the section ----------------------------------------------------------------------------

    def run(self, progress: Progress) -> dict[str, Any]:
        import aiohttp

        from cos_async import AsyncCosClient
        from cos_sync import CosClient

        loop = asyncio.new_event_loop()
        config = self.target.cos_config()
        cos = AsyncCosClient(config)
        session = loop.run_until_complete(_session(aiohttp))
        samples: dict[str, list[dict[str, float]]] = {c: [] for c in self.clients}
        peers: Any = None
        try:
            progress.start("listing", f"writing {self.keys:,} objects")
            loop.run_until_complete(self._populate(cos))
            progress.done(2.0 * self.keys / 3_000)
            official = self.target.official_client()
            raw_headers = self.target.sign("GET", "")
            with CosClient(config) as sync_cos:
                run: dict[str, Callable[[], int]] = {
                    "async": lambda: loop.run_until_complete(self._async(cos)),
                    "sync": lambda: self._sync(sync_cos),
                    "official": lambda: self._official(official),
                    "raw": lambda: loop.run_until_complete(self._raw(session, raw_headers)),
                }
                peers = self._open_peers(loop)
                if peers is not None:  # the S3 peers (--suite peers)
                    from .peers import PEERS

                    for name in PEERS:
                        run[name] = peers.lister(name, self.prefix, loop)
                for r in range(self.rounds):
                    for client in self.clients:
                        progress.start("listing", f"round {r + 1}/{self.rounds}: {client}")
                        s0 = self.server.cpu_seconds() if self.server else None
                        c0 = _cpu()
                        t0 = time.perf_counter()
                        n = run[client]()
                        wall = time.perf_counter() - t0
                        c1 = _cpu()
                        s1 = self.server.cpu_seconds() if self.server else None
                        if n != self.keys:
                            raise RuntimeError(f"{client} listed {n} keys, expected {self.keys}")
                        samples[client].append(
                            {
                                "seconds": wall,
                                "client_cpu_s": c1 - c0,
                                "server_cpu_s": -1.0 if s0 is None or s1 is None else s1 - s0,
                            }
                        )
                        progress.done(0.2 + self.keys / 20_000)
            progress.start("listing", "deleting the objects")
            loop.run_until_complete(self._delete(cos))
        finally:
            if peers is not None:
                loop.run_until_complete(peers.close())
            loop.run_until_complete(cos.aclose())
            loop.run_until_complete(session.close())
            loop.close()
        rows = []
        for client, runs in samples.items():
            server = [s["server_cpu_s"] for s in runs if s["server_cpu_s"] >= 0]
            rows.append(
                {
                    "id": row_id(client),
                    "client": client,
                    "keys": self.keys,
                    "keys_per_s": statistics.median(self.keys / s["seconds"] for s in runs),
                    "keys_per_s_all": [self.keys / s["seconds"] for s in runs],
                    "seconds": statistics.median(s["seconds"] for s in runs),
                    "client_cpu_s": statistics.median(s["client_cpu_s"] for s in runs),
                    "server_cpu_s": statistics.median(server) if server else None,
                }
            )
        return {
            "keys": self.keys,
            "page_size": PAGE,
            "rounds": self.rounds,
            "rows": rows,
            "ratios": ratios(rows),
        }

    def _open_peers(self, loop: asyncio.AbstractEventLoop) -> Any:
        """The S3 peers' clients (``benchmarks.peers``), when the listing names any."""
        from . import peers

        if not set(self.clients) & set(peers.PEERS):
            return None
        clients = peers.PeerClients(self.target.endpoint, self.target.bucket, pool=10)
        loop.run_until_complete(clients.open())
        return clients

    async def _populate(self, cos: Any) -> None:
        sem = asyncio.Semaphore(32)

        async def put(i: int) -> None:
            async with sem:
                await cos.put_object(self.target.bucket, self.key(i), b"")

        await asyncio.gather(*(put(i) for i in range(self.keys)))

    async def _delete(self, cos: Any) -> None:
        result = await cos.delete_objects(
            self.target.bucket, [self.key(i) for i in range(self.keys)], quiet=True
        )
        if result.errors:
            raise RuntimeError(f"listing clean-up: {len(result.errors)} keys not deleted")


async def _session(aiohttp: Any) -> Any:
    return aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120))


def ratios(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """keys/s of ours (async, sync) ÷ the official SDK and ÷ raw aiohttp."""
    by_id = {r["id"]: r for r in rows}
    out: list[dict[str, Any]] = []
    for ours in ("async", "sync"):
        for other in ("official", "raw"):
            a, b = by_id.get(row_id(ours)), by_id.get(row_id(other))
            if a is None or b is None:
                continue
            out.append(
                {
                    "a": a["id"],
                    "b": b["id"],
                    "metric": "keys_per_s",
                    "ratio": ratio(a["keys_per_s"], b["keys_per_s"]),
                }
            )
    return out
