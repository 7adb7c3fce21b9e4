"""The client's seams, for tests: instead of patching module globals or private methods, a test
replaces a dependency the request engine was built with (``cos_async._engine.RequestEngine``):
its ``transport``, ``clock`` (monotonic), ``wall_clock`` (signing time), ``sleep`` and ``jitter``.

:class:`RecordingTransport` wraps the client's transport: it records every attempt it is given
(the signed, addressed :class:`HttpRequest`), can run a hook before each one (to delay it, fail
it, or change the world), and counts how many are in flight at once.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qs, urlsplit

from cos_async import AsyncCosClient
from cos_async._engine import RequestEngine
from cos_async._transport import HttpRequest, Response, Transport

__all__ = ["RecordingTransport", "engine", "part_number", "record", "wants_range"]


def engine(client: AsyncCosClient) -> RequestEngine:
    """The request engine of ``client`` (whose attributes are the seams)."""
    return client._engine


Hook = Callable[[HttpRequest], "Awaitable[None] | None"]


class RecordingTransport:
    """A transport that records what it is asked to send, then sends it with ``inner``."""

    def __init__(self, inner: Transport, before: Hook | None = None) -> None:
        self.inner = inner
        self.before = before
        self.sent: list[HttpRequest] = []
        self.in_flight = 0
        self.max_in_flight = 0

    async def send(self, request: HttpRequest) -> Response:
        self.sent.append(request)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.before is not None:
                result = self.before(request)
                if inspect.isawaitable(result):
                    await result
            return await self.inner.send(request)
        finally:
            self.in_flight -= 1

    async def close(self) -> None:
        await self.inner.close()

    def interrupt(self) -> None:
        self.inner.interrupt()

    @property
    def closed(self) -> bool:
        return self.inner.closed

    def matching(self, predicate: Callable[[HttpRequest], bool]) -> list[HttpRequest]:
        return [r for r in self.sent if predicate(r)]


def record(client: AsyncCosClient, before: Hook | None = None) -> RecordingTransport:
    """Wrap ``client``'s transport in a :class:`RecordingTransport` and return it."""
    eng = engine(client)
    recorder = RecordingTransport(eng.transport, before)
    eng.transport = recorder
    return recorder


def _query(request: HttpRequest) -> dict[str, list[str]]:
    return parse_qs(urlsplit(request.url).query, keep_blank_values=True)


def part_number(request: HttpRequest) -> int | None:
    """The part number of an UploadPart (or UploadPartCopy) attempt, else ``None``."""
    values = _query(request).get("partNumber")
    return int(values[0]) if request.method == "PUT" and values else None


def wants_range(request: HttpRequest) -> bool:
    """Whether the attempt is a ranged GET."""
    return request.method == "GET" and "Range" in request.headers


async def no_sleep(delay: float) -> None:
    """A ``sleep`` seam that never waits (records nothing)."""
    await asyncio.sleep(0)
