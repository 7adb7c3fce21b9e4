"""The local COS server's HTTP connections: aiohttp's low-level server, with COS answers where
aiohttp would answer plain text.

aiohttp refuses some requests before any handler sees them: a request line or header over
:data:`MAX_LINE_SIZE` / :data:`MAX_FIELD_SIZE` bytes, more than :data:`MAX_HEADERS` headers, a
malformed ``Content-Length`` or chunked encoding... Its ``RequestHandler.handle_error`` answers
those in plain text and logs each with a traceback; :class:`CosRequestHandler` answers a COS
``<Error>`` document (400 ``InvalidRequest``, 500 ``InternalError``) and logs one line.

The low-level server (``web.Server``, no ``web.Application``) has no router: every request, a
key with a newline in it too, reaches :class:`~cos_async.testing._app.CosApp` (the catch-all
route of an application does not match ``\\n``, which answered aiohttp's plain-text 404). It
does not answer ``Expect: 100-continue`` by itself either: the app does, once the request is
authenticated.

Connections are timed out by aiohttp's keep-alive timer (``keepalive_timeout``, the server's
``idle_timeout``): it runs from the connection's start and from the end of each response, and
closes a connection that has not delivered a complete request head by then, so it bounds both
idle keep-alive connections and slowly sent request heads.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiohttp import web
from aiohttp.web_protocol import RequestHandler

from ._responses import error_response

__all__ = ["MAX_FIELD_SIZE", "MAX_HEADERS", "MAX_LINE_SIZE", "CosHttpServer", "CosRequestHandler"]

log = logging.getLogger("cos_async.testing")

#: The longest request line (method, URL, version) aiohttp reads, in bytes (aiohttp's default)
MAX_LINE_SIZE = 8190
#: The longest header (name and value) aiohttp reads, in bytes (aiohttp's default)
MAX_FIELD_SIZE = 8190
#: The most headers a request may have (aiohttp's default)
MAX_HEADERS = 128


class CosRequestHandler(RequestHandler):
    """aiohttp's connection handler, answering the errors it finds itself like COS."""

    def handle_error(
        self,
        request: Any,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        if request.writer.output_size > 0:  # a response has started: only a reset is left
            raise ConnectionError("the response has started; the connection is broken")
        if status >= 500:
            log.error("local COS server: error outside the app: %r", exc, exc_info=exc)
            code, text = "InternalError", f"local COS server error: {exc!r}"
        else:
            text = message or (str(exc) if exc is not None else "bad request")
            log.info("local COS server: refused a malformed request (%s): %s", status, text)
            code = "InvalidRequest"
        resp = error_response(None, status, code, text)
        resp.force_close()
        return resp


class CosHttpServer(web.Server):
    """``web.Server`` whose connections are :class:`CosRequestHandler`\\ s."""

    def __init__(
        self, handler: Any, *, loop: asyncio.AbstractEventLoop, **handler_kwargs: Any
    ) -> None:
        super().__init__(handler, loop=loop, **handler_kwargs)
        self._cos_loop = loop
        self._cos_handler_kwargs = handler_kwargs

    def __call__(self) -> RequestHandler:
        return CosRequestHandler(self, loop=self._cos_loop, **self._cos_handler_kwargs)
