"""The local COS server's request handler: one entry point for every request (aiohttp's
low-level server calls it, see ``_protocol``).

:meth:`CosApp.handle` resolves the bucket and key (virtual-hosted or path-style), names the COS
operation from the route table (``_routes``), records the request, applies any armed fault,
authenticates (``_auth``), answers ``Expect: 100-continue``, and dispatches to the operation's
handler (``_handlers``). Every failure answers a COS ``<Error>`` document with
``x-cos-request-id``; nothing answers a Python traceback. Once a response has started (its head
sent: a download, a select event stream, a completion's keep-alive whitespace) an error resets
the connection instead, so that the client sees a broken stream rather than a second response
inside the first. A client that goes away is recorded with status 499 and logged at DEBUG.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import secrets

from aiohttp import HttpVersion11, web

from cos_async._limits import MAX_KEY_BYTES
from cos_async._xml import XMLError

from . import _s3
from ._auth import authenticate
from ._bodies import reset_connection, widen_reads
from ._context import (
    CONTROL_PREFIX,
    BodyWatch,
    CosServerError,
    Ctx,
    Disconnected,
    err,
    request_context,
)
from ._documents import DocumentError
from ._faults import RequestRecord
from ._handlers import HANDLERS, SERVICE_HANDLERS, control, valid_bucket_name
from ._operations import Operation
from ._responses import error_response
from ._routes import classify
from ._s3_headers import s3_response_headers
from ._state import AppState
from ._values import number_or_none

__all__ = ["CosApp"]

log = logging.getLogger("cos_async.testing")

#: the status recorded for a request whose client went away (nginx's "client closed request")
_DISCONNECTED = 499

#: fault actions that strike a body: they fire only when they strike
_BODY_ACTIONS = frozenset({"reset", "truncate", "corrupt"})

#: operations that authenticate themselves (a form's policy signature) or never (a preflight)
_UNSIGNED = frozenset({Operation.OptionsObject, Operation.PostObject})


class CosApp(AppState):
    """One local COS server: its state (:class:`AppState`) and the request entry point."""

    async def handle(self, request: web.BaseRequest) -> web.StreamResponse:
        widen_reads(request.transport)
        request_id = base64.b64encode(secrets.token_bytes(18)).decode()
        ctx: Ctx | None = None
        watch = BodyWatch(request, self.body_timeout) if request.body_exists else None
        try:
            ctx = request_context(request, request_id)
            ctx.body_watch = watch
            resp = await self._handle(ctx)
        except Exception as exc:
            resp = self._failure(request, ctx, request_id, exc)
        finally:
            if watch is not None:
                watch.close()
        if ctx is not None and ctx.s3 is not None:
            s3_response_headers(ctx, resp)
        if resp.status >= 400 and request.headers.get("Expect", "").lower() == "100-continue":
            # the client may or may not send the body it held back: only a new connection is
            # sure not to read its bytes as the next request
            resp.force_close()
        if ctx is not None and ctx.record is not None:
            if ctx.record.status is None:
                ctx.record.status = resp.status
            ctx.record.response_bytes = 0 if ctx.method == "HEAD" else resp.content_length
        return resp

    async def _handle(self, ctx: Ctx) -> web.StreamResponse:
        if ctx.bucket is None and ctx.path.startswith(CONTROL_PREFIX):
            return await control(self, ctx)
        if _s3.is_s3_request(ctx):
            _s3.adopt(ctx)
        ctx.operation = classify(ctx)
        record = RequestRecord(
            method=ctx.method,
            operation=ctx.operation,
            bucket=ctx.bucket,
            key=ctx.key,
            part_number=number_or_none(ctx.get("partNumber")),
        )
        ctx.record = record
        ctx.keep_document = self.requests.keep_documents
        self.requests.append(record)
        picked = self.faults.pick_with_id(record)
        if picked is not None:
            ctx.fault_id, fault = picked
            record.fault = fault.action
            if fault.action == "delay":
                await asyncio.sleep(fault.delay)
            elif fault.action == "error":
                resp = error_response(
                    ctx, fault.status, fault.code, fault.message, request_id=fault.request_id
                )
                record.status = resp.status
                return resp
            else:
                ctx.fault = fault
        try:
            if ctx.operation not in _UNSIGNED:
                if ctx.s3 is not None:
                    _s3.authenticate(self, ctx)
                else:
                    authenticate(self, ctx)
            await _continue(ctx)
            answer = await self._dispatch(ctx)
            if ctx.s3 is not None:
                _s3.after(self, ctx, answer)
            return answer
        finally:
            if ctx.fault is not None and ctx.fault.action in _BODY_ACTIONS and not ctx.fault_spent:
                self._release_fault(ctx)

    def _release_fault(self, ctx: Ctx) -> None:
        """A body fault that did not strike (the body was empty, or the request was answered
        before its body) has not fired: it stays armed for the next matching request."""
        if ctx.fault_id is not None:
            self.faults.release(ctx.fault_id)
        if ctx.record is not None:
            ctx.record.fault = None
        ctx.fault = None

    def _failure(
        self, request: web.BaseRequest, ctx: Ctx | None, request_id: str, exc: Exception
    ) -> web.StreamResponse:
        """The answer to a request that raised ``exc``: its COS error; a reset connection
        once the response has started (a second response written into it would corrupt it)."""
        disconnected = isinstance(exc, Disconnected | ConnectionError)
        where = f"{request.method} {request.rel_url.raw_path[:200]}"
        if disconnected:
            log.debug("local COS server: the client went away: %s (%r)", where, exc)
        elif not isinstance(exc, CosServerError | DocumentError | XMLError):
            log.error("local COS server: internal error: %s", where, exc_info=exc)
        if ctx is not None and ctx.started is not None:
            if not disconnected:
                log.warning("local COS server: aborted a started response: %s", where)
            reset_connection(request)
            if ctx.record is not None:
                ctx.record.status = _DISCONNECTED if disconnected else 500
            return ctx.started
        if disconnected:
            return web.Response(status=_DISCONNECTED)  # nobody is listening any more
        fields: dict[str, str] = {}
        if isinstance(exc, CosServerError):
            status, code, message, extra = exc.status, exc.code, exc.message, exc.headers
            fields = exc.fields
        elif isinstance(exc, DocumentError):
            status, code, message, extra = exc.status, exc.code, exc.message, {}
        elif isinstance(exc, XMLError):  # e.g. an element that must hold text holds elements
            status, code, message, extra = 400, "MalformedXML", str(exc), {}
        else:  # a bug in the server: still answer like COS would
            status, code = 500, "InternalError"
            message, extra = f"local COS server error: {type(exc).__name__}: {exc}", {}
        resp = error_response(
            ctx, status, code, message, extra=extra, request_id_value=request_id, fields=fields
        )
        if extra.get("Connection") == "close":
            resp.force_close()
        return resp

    async def _dispatch(self, ctx: Ctx) -> web.StreamResponse:
        op = ctx.operation
        service_handler = SERVICE_HANDLERS.get(op)
        if service_handler is not None:
            return await service_handler(self, ctx)
        assert ctx.bucket is not None
        if not valid_bucket_name(ctx.bucket):
            raise err(
                400, "InvalidBucketName", f"The specified bucket is not valid: {ctx.bucket!r}"
            )
        bucket = self.store.buckets.get(ctx.bucket)
        if bucket is None:
            raise err(404, "NoSuchBucket", "The specified bucket does not exist.")
        if ctx.key is not None and len(ctx.key.encode("utf-8")) > MAX_KEY_BYTES:
            raise err(400, "KeyTooLong", f"The object key is longer than {MAX_KEY_BYTES} bytes.")
        handler = HANDLERS.get(op)
        if handler is None:
            raise err(501, "NotImplemented", f"{op} is not implemented by the local COS server")
        return await handler(self, ctx, bucket)


async def _continue(ctx: Ctx) -> None:
    """Answer ``Expect: 100-continue`` (once the request is known and authenticated: a client
    sends its body only after this, so an unauthorised upload costs it nothing)."""
    expect = ctx.header("Expect")
    if expect is None or ctx.request.version < HttpVersion11:
        return
    if expect.strip().lower() != "100-continue":
        raise err(417, "ExpectationFailed", f"unknown expectation: {expect[:100]!r}")
    writer = ctx.request.writer
    await writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
    writer.output_size = 0  # not part of the response (as aiohttp does it)
