"""COS Select (SelectObjectContent): the query runs in ``_select``; here the object is found,
checked and streamed through it as an event stream."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from cos_async.testing._bodies import drained, read_small, write_body
from cos_async.testing._context import Ctx, err
from cos_async.testing._responses import base_headers, start_stream
from cos_async.testing._select import parse_select_request, select_stream
from cos_async.testing._sse import check_sse_access
from cos_async.testing._state import AppState
from cos_async.testing._store import BucketState, iter_segments

from .common import check_readable, find_version

__all__ = ["select_object_content"]


async def select_object_content(app: AppState, ctx: Ctx, bucket: BucketState) -> web.StreamResponse:
    """COS Select (see ``_select``): an event stream answer, evaluated as it is sent."""
    if ctx.get("select-type") != "2":
        raise err(400, "InvalidArgument", "select-type must be 2")
    v = find_version(ctx, bucket)
    check_sse_access(ctx, v)
    check_readable(app, v)
    request = parse_select_request(await read_small(ctx))
    for seg in v.segments:
        seg.pin()
    try:
        events = select_stream(request, iter_segments(v.segments, 0, v.size))
        first = await anext(events)  # an error before any output is an HTTP error answer

        async def answer() -> AsyncIterator[bytes]:
            yield first
            async for event in events:
                yield event

        h = base_headers(ctx.request_id)
        h["Content-Type"] = "application/octet-stream"
        resp = web.StreamResponse(status=200, headers=h)
        await start_stream(ctx, resp)
        return await write_body(ctx, resp, answer())
    finally:
        await drained(ctx.request)
        for seg in v.segments:
            seg.unpin()
