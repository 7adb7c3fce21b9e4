"""The server's connections read up to READ_SIZE bytes per recv() (asyncio's default is 256 KiB)."""

from __future__ import annotations

import asyncio

import pytest

from cos_async.testing import LocalCosServer, _app
from cos_async.testing._bodies import READ_SIZE, widen_reads
from tests.cos_http import CosHttp


async def test_widen_reads_sets_an_asyncio_transport_instance_only() -> None:
    loop = asyncio.get_running_loop()
    accepted: asyncio.Future[asyncio.BaseTransport] = loop.create_future()

    class Accept(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            accepted.set_result(transport)

    server = await loop.create_server(Accept, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    client, _ = await loop.create_connection(asyncio.Protocol, "127.0.0.1", port)
    try:
        transport = await asyncio.wait_for(accepted, 10)
        default = type(transport).max_size  # type: ignore[attr-defined]
        assert default < READ_SIZE  # what there is to widen
        widen_reads(transport)
        assert transport.max_size == READ_SIZE  # type: ignore[attr-defined]
        assert type(transport).max_size == default  # type: ignore[attr-defined]
        transport.close()
    finally:
        client.close()
        server.close()
        await server.wait_closed()


def test_widen_reads_leaves_other_transports_alone() -> None:
    class NoMaxSize:
        pass

    class Fixed:
        __slots__ = ()
        max_size = 4096  # a class attribute that an instance cannot override

    class Larger:
        max_size = 4 * READ_SIZE

    widen_reads(None)
    widen_reads(NoMaxSize())  # type: ignore[arg-type]
    assert not hasattr(NoMaxSize(), "max_size")
    fixed = Fixed()
    widen_reads(fixed)  # type: ignore[arg-type]
    assert fixed.max_size == 4096
    larger = Larger()
    widen_reads(larger)  # type: ignore[arg-type]
    assert larger.max_size == 4 * READ_SIZE  # never narrowed


async def test_every_request_widens_its_connection(
    server: LocalCosServer, http: CosHttp, bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[object] = []
    monkeypatch.setattr(_app, "widen_reads", seen.append)
    assert (await http.request("PUT", bucket, "k", data=b"x" * 1000)).status == 200
    assert (await http.request("GET", bucket, "k")).status == 200
    assert len(seen) == 2
    assert all(isinstance(t, asyncio.BaseTransport) for t in seen)
