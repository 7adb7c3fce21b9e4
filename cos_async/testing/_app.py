"""The local COS server's aiohttp.web application: one entry point for every request.

:meth:`CosApp.handle` resolves the bucket and key (virtual-hosted or path-style), names the COS
operation from the route table (``_routes``), records the request, applies any armed fault,
authenticates (``_auth``), and dispatches to the operation's handler (``_handlers``). Every
failure answers a COS ``<Error>`` document with ``x-cos-request-id``; nothing answers a Python
traceback.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import secrets

from aiohttp import web

from cos_async._limits import MAX_KEY_BYTES
from cos_async._xml import XMLError

from ._auth import authenticate
from ._bodies import widen_reads
from ._context import CONTROL_PREFIX, CosServerError, Ctx, Disconnected, err, request_context
from ._documents import DocumentError
from ._faults import RequestRecord
from ._handlers import HANDLERS, SERVICE_HANDLERS, control, valid_bucket_name
from ._operations import Operation
from ._responses import error_response
from ._routes import classify
from ._state import AppState
from ._values import number_or_none

__all__ = ["CosApp"]

log = logging.getLogger("cos_async.testing")

#: operations that authenticate themselves (a form's policy signature) or never (a preflight)
_UNSIGNED = frozenset({Operation.OptionsObject, Operation.PostObject})


class CosApp(AppState):
    """One local COS server: its state (:class:`AppState`) and the request entry point."""

    def make_app(self) -> web.Application:
        # auto_decompress=False: a body sent with Content-Encoding: gzip is stored as sent.
        app = web.Application(
            client_max_size=8 * 1024 * 1024, handler_args={"auto_decompress": False}
        )
        app.router.add_route("*", "/{tail:.*}", self.handle)
        return app

    async def handle(self, request: web.Request) -> web.StreamResponse:
        widen_reads(request.transport)
        request_id = base64.b64encode(secrets.token_bytes(18)).decode()
        ctx: Ctx | None = None
        resp: web.StreamResponse
        try:
            ctx = request_context(request, request_id)
            if ctx.bucket is None and ctx.path.startswith(CONTROL_PREFIX):
                return await control(self, ctx)
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
            fault = self.faults.pick(record)
            if fault is not None:
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
            if ctx.operation not in _UNSIGNED:
                authenticate(self, ctx)
            resp = await self._dispatch(ctx)
        except CosServerError as exc:
            resp = error_response(
                ctx,
                exc.status,
                exc.code,
                exc.message,
                extra=exc.headers,
                request_id_value=request_id,
            )
        except DocumentError as exc:
            resp = error_response(
                ctx, exc.status, exc.code, exc.message, request_id_value=request_id
            )
        except XMLError as exc:  # e.g. an element that must hold text holds elements
            resp = error_response(ctx, 400, "MalformedXML", str(exc), request_id_value=request_id)
        except Disconnected:
            resp = web.Response(status=499)  # nobody is listening any more
        except Exception as exc:  # a bug in the server: still answer like COS would
            log.exception("local COS server: internal error")
            resp = error_response(
                ctx,
                500,
                "InternalError",
                f"local COS server error: {type(exc).__name__}: {exc}",
                request_id_value=request_id,
            )
        if ctx is not None and ctx.record is not None and ctx.record.status is None:
            ctx.record.status = resp.status
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
