"""``Response.read``: a body already received whole is read without a stall watch, and the size
limit holds on both paths (whole and streamed)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from cos_async import CosConfig, CosTransportError, _transport
from cos_async._transport import AiohttpTransport, HttpRequest

SMALL = b"s" * 1000
BIG = b"b" * (3 * 1024 * 1024)


@pytest.fixture
async def url() -> AsyncIterator[str]:
    async def small(request: web.Request) -> web.Response:
        return web.Response(body=SMALL)

    async def big(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse()
        await resp.prepare(request)
        for i in range(0, len(BIG), 256 * 1024):
            await resp.write(BIG[i : i + 256 * 1024])
            await asyncio.sleep(0.01)  # arrives in pieces: the streamed path
        await resp.write_eof()
        return resp

    app = web.Application()
    app.router.add_get("/small", small)
    app.router.add_get("/big", big)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def _get(transport: AiohttpTransport, url: str) -> _transport.Response:
    return await transport.send(HttpRequest(method="GET", url=url, headers={}))


async def test_whole_and_streamed_bodies(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    watches: list[object] = []
    real = _transport._StallWatch

    def counting(*args: object) -> object:
        watches.append(args)
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(_transport, "_StallWatch", counting)
    transport = AiohttpTransport(CosConfig(region="ap-guangzhou"))
    try:
        resp = await _get(transport, url + "/small")
        await asyncio.sleep(0.05)  # the whole answer is in
        assert await resp.read() == SMALL
        resp.release()
        assert watches == []  # nothing left to wait for: no stall watch
        resp = await _get(transport, url + "/big")
        assert await resp.read() == BIG
        resp.release()
        assert len(watches) == 1
    finally:
        await transport.close()


@pytest.mark.parametrize("path", ["/small", "/big"])
async def test_the_limit_holds_on_both_paths(url: str, path: str) -> None:
    transport = AiohttpTransport(CosConfig(region="ap-guangzhou"))
    try:
        resp = await _get(transport, url + path)
        await asyncio.sleep(0.05)
        with pytest.raises(CosTransportError, match="larger than 999 bytes"):
            await resp.read(limit=999)
        resp.close()
    finally:
        await transport.close()
