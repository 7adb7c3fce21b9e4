"""The local COS server's answers: COS headers, ``<Error>`` documents, XML and empty responses."""

from __future__ import annotations

import asyncio
import email.utils
import hashlib
import re
import secrets
import time
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from cos_async._xml import build

from ._context import Ctx
from ._faults import FaultRule
from ._s3_headers import s3_response_headers

__all__ = [
    "base_headers",
    "empty_response",
    "error_document",
    "error_response",
    "http_date",
    "iso_date",
    "late_error",
    "start_stream",
    "strip_declaration",
    "xml_response",
    "xml_safe",
]

#: characters XML 1.0 cannot carry (a key or a header value may hold them)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(text: str) -> str:
    """``text`` with the characters XML 1.0 cannot carry written as ``\\xNN``/``\\uNNNN``."""
    if _NOT_XML.search(text) is None:
        return text
    return _NOT_XML.sub(lambda m: repr(m.group())[1:-1], text)


async def start_stream(ctx: Ctx, resp: web.StreamResponse) -> None:
    """Send ``resp``'s head: from now on an error can only abort the connection (the app
    does that when it sees :attr:`Ctx.started`), never answer a second response."""
    s3_response_headers(ctx, resp)
    await resp.prepare(ctx.request)
    ctx.started = resp


def http_date(ts: float) -> str:
    return email.utils.formatdate(ts, usegmt=True)


def iso_date(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts)) + f".{int(ts * 1000) % 1000:03d}Z"


def base_headers(request_id: str | None) -> dict[str, str]:
    """``Server``, and ``x-cos-request-id``/``x-cos-trace-id`` unless ``request_id`` is None."""
    headers = {"Server": "tencent-cos"}
    if request_id is not None:
        headers["x-cos-request-id"] = request_id
        headers["x-cos-trace-id"] = hashlib.sha1(request_id.encode()).hexdigest()
    return headers


def error_response(
    ctx: Ctx | None,
    status: int,
    code: str,
    message: str,
    *,
    extra: Mapping[str, str] | None = None,
    request_id: bool = True,
    request_id_value: str | None = None,
    fields: Mapping[str, str] | None = None,
) -> web.Response:
    """A COS ``<Error>`` answer (headers only for HEAD and 304); ``fields``: more elements."""
    rid = request_id_value or (ctx.request_id if ctx is not None else secrets.token_hex(12))
    headers = base_headers(rid if request_id else None)
    headers.update(extra or {})
    if (ctx is not None and ctx.method == "HEAD") or status == 304:
        return web.Response(status=status, headers=headers)  # no body, no Content-Type
    body: dict[str, Any] = {
        "Code": code,
        "Message": xml_safe(message),
        "Resource": xml_safe(ctx.resource) if ctx is not None else "",
    }
    if request_id:
        body["RequestId"] = rid
        body["TraceId"] = headers["x-cos-trace-id"]
    for name, value in (fields or {}).items():
        body.setdefault(name, xml_safe(value))
    headers["Content-Type"] = "application/xml"
    return web.Response(status=status, body=build("Error", body), headers=headers)


def xml_response(
    ctx: Ctx,
    root: str,
    body: Mapping[str, Any],
    *,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> web.Response:
    h = base_headers(ctx.request_id)
    h["Content-Type"] = "application/xml"
    h.update(headers or {})
    return web.Response(status=status, body=build(root, body), headers=h)


def empty_response(
    ctx: Ctx, status: int = 200, headers: Mapping[str, str] | None = None
) -> web.Response:
    h = base_headers(ctx.request_id)
    h.update(headers or {})
    return web.Response(status=status, headers=h)


def strip_declaration(doc: bytes) -> bytes:
    if doc.startswith(b"<?xml"):
        return doc[doc.index(b"?>") + 2 :].lstrip()
    return doc


def error_document(ctx: Ctx, fault: FaultRule) -> bytes:
    """The ``<Error>`` document of an ``error_after_200`` fault, without the XML declaration."""
    doc = build(
        "Error",
        {
            "Code": fault.code,
            "Message": fault.message,
            "Resource": xml_safe(ctx.resource),
            "RequestId": ctx.request_id,
        },
    )
    return strip_declaration(doc)


async def late_error(ctx: Ctx, fault: FaultRule) -> web.StreamResponse:
    """200, whitespace, then an Error document (how COS reports late failures)."""
    resp = web.StreamResponse(status=200, headers=base_headers(ctx.request_id))
    resp.content_type = "application/xml"
    await start_stream(ctx, resp)
    await resp.write(b" ")
    await asyncio.sleep(0)
    await resp.write(b"\n ")
    await resp.write(error_document(ctx, fault))
    await resp.write_eof()
    return resp
