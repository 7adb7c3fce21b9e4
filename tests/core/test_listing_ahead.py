"""Listings ask for the next page while they parse this one (``paginate_ahead``): the next
marker is read from the answer's bytes, the request goes out, then the page is parsed; a wrong
guess is cancelled and replaced, so the listing is the same either way."""

from __future__ import annotations

import pytest

from cos_async import AsyncCosClient
from cos_async._transport import HttpRequest, Response, Transport
from cos_async.testing import LocalCosServer
from tests.seams import engine, record


async def _fill(cos: AsyncCosClient, bucket: str, n: int) -> list[str]:
    keys = [f"k{i:03d}" for i in range(n)]
    for k in keys:
        await cos.put_object(bucket, k, b"")
    return keys


async def test_the_next_page_is_asked_for_before_this_one_is_handed_over(
    cos: AsyncCosClient, bucket: str
) -> None:
    keys = await _fill(cos, bucket, 9)
    recorder = record(cos)
    seen: list[int] = []
    got = []
    async for obj in cos.list_objects(bucket, page_size=3):
        if not got:
            seen.append(len([r for r in recorder.sent if r.method == "GET"]))
        got.append(obj.key)
    assert got == keys
    assert seen == [2]  # page 2 was on its way when page 1's first key came out


class _MisleadingMarker:
    """Puts a wrong ``<NextMarker>`` before the real one: the bytes read ahead and the parse
    disagree (the parse reads the last)."""

    def __init__(self, inner: Transport) -> None:
        self.inner = inner

    async def send(self, request: HttpRequest) -> Response:
        resp = await self.inner.send(request)
        if request.method != "GET":
            return resp
        data = await resp.read()
        resp.release()
        body = data.replace(b"<NextMarker>", b"<NextMarker>zzz</NextMarker><NextMarker>", 1)
        return _Canned(resp, body)

    async def close(self) -> None:
        await self.inner.close()

    def interrupt(self) -> None:
        self.inner.interrupt()

    @property
    def closed(self) -> bool:
        return self.inner.closed


class _Canned(Response):
    def __init__(self, resp: Response, data: bytes) -> None:
        self.status = resp.status
        self.headers = resp.headers
        self.what = resp.what
        self._data = data

    async def read(self, limit: int = 1 << 26) -> bytes:
        return self._data

    async def iter_body(self):  # type: ignore[no-untyped-def, override]
        yield self._data

    def release(self) -> None:
        pass

    def close(self) -> None:
        pass

    def release_or_close(self) -> None:
        pass


async def test_a_wrong_guess_is_replaced(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str
) -> None:
    keys = await _fill(cos, bucket, 7)
    eng = engine(cos)
    eng.transport = _MisleadingMarker(eng.transport)
    got = [o.key async for o in cos.list_objects(bucket, page_size=3)]
    assert got == keys


@pytest.mark.parametrize("kind", ["versions", "parts", "uploads"])
async def test_the_other_listings_read_ahead_too(
    cos: AsyncCosClient, bucket: str, kind: str
) -> None:
    recorder = record(cos)
    if kind == "versions":
        await _fill(cos, bucket, 7)
        listing = cos.list_object_versions(bucket, page_size=3)
    elif kind == "parts":
        up = await cos.create_multipart_upload(bucket, "p")
        for n in range(1, 8):
            await cos.upload_part(bucket, "p", up.upload_id, n, b"x")
        listing = cos.list_parts(bucket, "p", up.upload_id, page_size=3)
    else:
        for i in range(7):
            await cos.create_multipart_upload(bucket, f"u{i}")
        listing = cos.list_multipart_uploads(bucket, page_size=3)
    before = len([r for r in recorder.sent if r.method == "GET"])
    first = await anext(listing)
    assert first is not None
    assert len([r for r in recorder.sent if r.method == "GET"]) - before == 2
    rest = [x async for x in listing]
    assert len(rest) == 6
