"""The request engine: every operation of the client goes through :meth:`RequestEngine.send`
(or :meth:`~RequestEngine.open` for a streamed answer), which signs each attempt afresh, sends it
through the transport, runs the hooks and the DEBUG log, maps error answers to exceptions and
retries what is worth retrying.

An operation describes its request as a typed :class:`Request` (the object_store habit: method,
bucket, key, params, headers, body, plus what is special about it: a read timeout, a 200 that may
carry an ``<Error>`` document, a check of the answer, a file range to write the body into).

Seams: the transport, the clocks, the sleep between attempts and the jitter are constructor
arguments (and attributes), so tests inject them instead of patching module globals.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import inspect
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Mapping
from typing import Any
from urllib.parse import urlsplit

import anyio
import attrs

from . import _retry, _signing
from ._body import RangeSink, RequestBody, make_body
from ._config import CosConfig
from ._credentials import Credentials, CredentialsProvider
from ._endpoint import Endpoint
from ._errors import (
    CosClientError,
    CosError,
    CosServiceError,
    CosTransportError,
    IntegrityError,
    code_for_status,
    retry_exhausted,
    service_error,
)
from ._models import RequestEvent, RequestHook, ResponseEvent, ResponseHook, freeze_headers
from ._threaded import ThreadedPath
from ._transport import AiohttpTransport, HttpRequest, Response, Transport
from ._validate import check_header_values, encode_query
from ._xml import FlatDocument, XMLError, build, parse, parse_flat, text_of

__all__ = ["CLOSE_GRACE", "Reply", "Request", "RequestEngine", "xml_body"]

log = logging.getLogger("cos_async")

_EMPTY: Mapping[str, Any] = {}
#: seconds ``aclose`` waits for the requests in flight, and the cleanup they start, to end
CLOSE_GRACE = 30.0


@attrs.frozen(kw_only=True)
class Request:
    """One COS request, as an operation describes it (every attempt is built from it)."""

    method: str
    bucket: str | None = None
    key: str | None = None
    params: Mapping[str, str | None] = _EMPTY
    headers: Mapping[str, str] = _EMPTY
    body: RequestBody | None = None
    #: the read timeout of this request (default: the config's)
    read_timeout: float | None = None
    #: COS may answer 200 and then an ``<Error>`` document (copies, CompleteMultipartUpload)
    late_error: bool = False
    #: checks a successful answer (e.g. the CRC-64 COS stored against the one sent); raising
    #: :class:`IntegrityError` makes the attempt fail (retried with a replayable body)
    verify: Callable[[Response], None] | None = None
    #: a successful answer's body is written into this file range (a ranged download)
    sink: RangeSink | None = None
    #: told of the bytes received into ``sink`` as they arrive
    on_bytes: Callable[[int], None] | None = None
    #: the cleanup of a failed operation (an abort): still sent while the client closes, so that
    #: closing never leaves a multipart upload or a damaged object behind
    cleanup: bool = False
    #: closing the client interrupts the request in flight (False for a request whose outcome
    #: must be known: an Initiate, whose upload is to be aborted, or a Complete)
    interruptible: bool = True
    #: a bucket in another region, or behind another endpoint, than the client's (the source
    #: of a cross-region copy)
    region: str | None = None
    endpoint: str | None = None
    #: a COS service on a host of its own (the migration service of async fetch):
    #: ``<scheme>://<service_host>/<bucket>/<key>``, signed so; a path-style ``endpoint_url``
    #: keeps its address and sends this ``Host``
    service_host: str | None = None

    @property
    def target(self) -> str:
        """``bucket/key`` for messages."""
        return "/".join(p for p in (self.bucket, self.key) if p) or "/"


class Reply:
    """A fully read, successful answer."""

    __slots__ = ("attempts", "body", "elapsed", "headers", "request_id", "status")

    def __init__(self, resp: Response, body: bytes, attempts: int = 1, elapsed: float = 0.0):
        self.status = resp.status
        self.headers = freeze_headers(resp.headers)
        self.request_id = resp.request_id
        self.body = body
        #: how many attempts it took, and the seconds from the first one's start
        self.attempts = attempts
        self.elapsed = elapsed

    def flat(self, root: str, records: Collection[str]) -> FlatDocument:
        """The body as a flat listing page (:func:`~cos_async._xml.parse_flat`):
        ``CosClientError`` when it is not a well-formed ``<root>`` document."""
        try:
            return parse_flat(self.body, root, records)
        except XMLError as exc:
            raise CosClientError(f"COS sent a malformed {root} document: {exc}") from exc

    def xml(self, root: str) -> dict[str, Any]:
        """The children of the ``<root>`` document of the body (``CosClientError`` when the body
        is not that document)."""
        try:
            doc = parse(self.body)
        except XMLError as exc:
            raise CosClientError(f"COS sent a malformed {root} document: {exc}") from exc
        value = doc.get(root)
        if value is None:
            if root in doc:
                return {}
            raise CosClientError(f"expected a <{root}> document, got <{next(iter(doc))}>")
        if not isinstance(value, dict):
            return {}
        return value


def xml_body(
    root: str, doc: Mapping[str, Any], *, md5: bool = True
) -> tuple[RequestBody, dict[str, str]]:
    """An XML request body and its headers (``Content-MD5`` where COS requires it)."""
    data = build(root, doc)
    headers = {"Content-Type": "application/xml"}
    if md5:
        headers["Content-MD5"] = base64.b64encode(hashlib.md5(data).digest()).decode()
    return make_body(data), headers


def _is_late_error(data: bytes) -> bool:
    """A 200 body that is an ``<Error>`` document (after keep-alive whitespace and an optional
    XML declaration, which COS error documents carry)."""
    head = data.lstrip()
    if head.startswith(b"<?xml"):
        head = head[head.find(b"?>") + 2 :].lstrip()
    return head.startswith(b"<Error")


def error_from_answer(
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    method: str,
    bucket: str | None,
    key: str | None,
) -> CosServiceError:
    """The exception of an error answer: from its ``<Error>`` document, else its headers, else
    its status (a HEAD has no body: a 404 is NoSuchKey or NoSuchBucket by the request alone)."""
    fields: dict[str, str] = {}
    if body.strip():
        try:
            doc = parse(body).get("Error")
            if isinstance(doc, dict):
                fields = {k: text_of(v) for k, v in doc.items() if not isinstance(v, dict | list)}
        except XMLError:
            fields = {"Message": body[:200].decode("utf-8", "replace")}
    code = (
        fields.get("Code")
        or headers.get("x-cos-error-code")
        or code_for_status(status, object_request=key is not None)
    )
    return service_error(
        status=status,
        code=code,
        message=fields.get("Message", ""),
        request_id=fields.get("RequestId") or headers.get("x-cos-request-id"),
        trace_id=fields.get("TraceId") or headers.get("x-cos-trace-id"),
        resource=fields.get("Resource"),
        method=method,
        bucket=bucket,
        key=key,
    )


class RequestEngine:
    """Signs, sends, retries, observes and maps errors, for every request of one client."""

    def __init__(
        self,
        config: CosConfig,
        *,
        transport: Transport | None = None,
        credentials: CredentialsProvider | None = None,
        on_request: RequestHook | None = None,
        on_response: ResponseHook | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        jitter: Callable[[], float] = _retry.jitter,
    ) -> None:
        self.config = config
        self.endpoint = Endpoint(config)
        #: the seams: what sends, what tells the time, what waits between attempts
        self.transport: Transport = (
            transport
            if transport is not None
            else AiohttpTransport(config, bulk=ThreadedPath(config))
        )
        self.credentials_provider = credentials
        self.on_request = on_request
        self.on_response = on_response
        self.clock = clock
        self.wall_clock = wall_clock
        self.sleep = sleep
        self.jitter = jitter
        #: set by close(): only cleanup requests are sent any more
        self.closing = False
        #: the requests and transfers in flight (close waits for them), and the cancel scopes of
        #: the requests close interrupts
        self._busy = 0
        self._idle = asyncio.Event()
        self._interruptible: dict[asyncio.Task[Any], int] = {}
        self._cancelled_by_close: set[asyncio.Task[Any]] = set()

    # --- signing ------------------------------------------------------------------------------

    async def credentials(self) -> Credentials | None:
        if self.credentials_provider is None:
            return None
        return await self.credentials_provider.get_credentials()

    def sign(
        self,
        creds: Credentials,
        method: str,
        path: str,
        params: Mapping[str, str | None],
        headers: Mapping[str, str],
        *,
        now: int | None = None,
        expires: int | None = None,
    ) -> _signing.Authorization:
        t = int(self.wall_clock()) if now is None else now
        return _signing.sign(
            secret_id=creds.secret_id,
            secret_key=creds.secret_key,
            method=method,
            path=path,
            params=params,
            headers=headers,
            start=t - 60,
            end=t + (expires if expires is not None else self.config.sign_expires),
        )

    # --- one attempt ------------------------------------------------------------------------

    async def _attempt(self, req: Request, read_timeout: float) -> Response:
        base, enc_path, path = self.endpoint.locate(
            req.bucket,
            req.key,
            region=req.region,
            endpoint=req.endpoint,
            service_host=req.service_host,
        )
        headers = {k: v.strip() for k, v in req.headers.items()}
        headers["Host"] = req.service_host or urlsplit(base).netloc
        body = req.body
        if body is not None:
            body.begin()  # every attempt sends (and counts the CRC of) the body from its start
            if body.length is not None:
                headers["Content-Length"] = str(body.length)
        creds = await self.credentials()
        if creds is not None:
            if creds.token:
                headers["x-cos-security-token"] = creds.token
            headers["Authorization"] = self.sign(
                creds, req.method, path, req.params, headers
            ).to_header()
        if req.sink is not None:
            req.sink.reset()  # every attempt writes the range from its start
        return await self.transport.send(
            HttpRequest(
                method=req.method,
                url=base + enc_path + (f"?{encode_query(req.params)}" if req.params else ""),
                headers=headers,
                body=body,
                sink=req.sink,
                on_bytes=req.on_bytes,
                read_timeout=read_timeout,
            )
        )

    async def _error_from(self, resp: Response, req: Request) -> CosServiceError:
        body = b""
        try:
            if req.method != "HEAD":
                body = await resp.read(limit=1 << 20)
        finally:
            resp.release()
        return error_from_answer(resp.status, resp.headers, body, req.method, req.bucket, req.key)

    # --- with retries -------------------------------------------------------------------------

    async def send(self, req: Request) -> Reply:
        """Send with retries; the successful answer, read whole."""
        resp, data, attempts, elapsed = await self._tracked(req, stream=False)
        return Reply(resp, data, attempts, elapsed)

    async def open(self, req: Request) -> Response:
        """Send with retries; the successful answer's head. The caller owns the response and
        must release (or close) it."""
        resp, _, _, _ = await self._tracked(req, stream=True)
        return resp

    def _refuse_when_closing(self, what: str) -> None:
        if self.closing:
            raise CosClientError(f"{what}: the client is closed")

    def _enter(self) -> None:
        self._busy += 1
        self._idle.clear()

    def _leave(self) -> None:
        self._busy -= 1
        if not self._busy:
            self._idle.set()

    @contextlib.asynccontextmanager
    async def activity(self, what: str) -> AsyncIterator[None]:
        """Count a transfer among the work in flight: :meth:`close` waits (bounded) for it to
        end, with the cleanup it does (the abort of its multipart upload). Refused once the
        client closes."""
        self._refuse_when_closing(what)
        self._enter()
        try:
            yield
        finally:
            self._leave()

    async def _tracked(self, req: Request, *, stream: bool) -> tuple[Response, bytes, int, float]:
        """:meth:`_run`, counted among the requests in flight (which close waits for) and, unless
        the request is cleanup or must finish, interrupted by close with a ``CosClientError``."""
        if not req.cleanup:
            self._refuse_when_closing(f"{req.method} {req.target}")
        if req.headers:
            check_header_values(req.headers)
        self._enter()
        try:
            if req.cleanup or not req.interruptible:
                return await self._run(req, stream=stream)
            task = self._hold()
            try:
                return await self._run(req, stream=stream)
            except asyncio.CancelledError:
                if self._closed_us(task):
                    raise CosClientError(
                        f"{req.method} {req.target}: the client was closed while the request "
                        "was in flight"
                    ) from None
                raise  # a cancellation from outside goes on
            finally:
                self._release(task)
        finally:
            self._leave()

    # Interrupting by task, not by a cancel scope per request (6 us less per request): close()
    # cancels the tasks held here and marks them, and a CancelledError in a marked task becomes
    # the call's CosClientError (on Python 3.11+ with the cancellation uncounted, unless someone
    # else cancelled the task too: then it goes on).

    def _hold(self) -> asyncio.Task[Any] | None:
        task = asyncio.current_task()
        if task is not None:
            self._interruptible[task] = self._interruptible.get(task, 0) + 1
        return task

    def _release(self, task: asyncio.Task[Any] | None) -> None:
        if task is None:
            return
        held = self._interruptible.get(task, 0) - 1
        if held > 0:
            self._interruptible[task] = held
        else:
            self._interruptible.pop(task, None)
            self._cancelled_by_close.discard(task)

    def _closed_us(self, task: asyncio.Task[Any] | None) -> bool:
        """Whether a CancelledError in ``task`` is close()'s (then it is consumed)."""
        if task is None or task not in self._cancelled_by_close:
            return False
        self._cancelled_by_close.discard(task)
        uncancel = getattr(task, "uncancel", None)  # Python 3.11+
        return not (uncancel is not None and uncancel() > 0)

    async def flat(
        self, req: Request, root: str, records: Collection[str]
    ) -> tuple[Reply, FlatDocument]:
        """Send; the answer and its ``<root>`` listing page, parsed flat."""
        reply = await self.send(req)
        return reply, reply.flat(root, records)

    async def xml(self, req: Request, root: str) -> tuple[Reply, dict[str, Any]]:
        """Send; the answer and the children of its ``<root>`` document."""
        reply = await self.send(req)
        return reply, reply.xml(root)

    async def _run(self, req: Request, *, stream: bool) -> tuple[Response, bytes, int, float]:
        retry = self.config.retry
        timeout = req.read_timeout or self.config.read_timeout
        body = req.body
        started = self.clock()
        attempt = 0
        earlier: list[CosError] = []
        observe = _Observe(self, req)
        while True:
            attempt += 1
            t0 = self.clock()
            error: CosError
            status: int | None = None
            request_id: str | None = None
            if self.on_request is not None:
                await observe.request(attempt)
            try:
                resp = await self._attempt(req, timeout)
                status = resp.status
                request_id = resp.request_id
                if status >= 300:
                    error = await self._error_from(resp, req)
                    if request_id is None and retry.switch_domain:
                        self.endpoint.switch_domain(req.bucket)
                else:
                    if stream:
                        await observe.response(status, request_id, attempt, t0, None, resp)
                        return resp, b"", attempt, self.clock() - started
                    try:
                        data = await resp.read()
                    finally:
                        resp.release()
                    if req.late_error and _is_late_error(data):
                        error = error_from_answer(
                            200, resp.headers, data, req.method, req.bucket, req.key
                        )
                    else:
                        if req.verify is not None:
                            req.verify(resp)
                        await observe.response(status, request_id, attempt, t0, None)
                        return resp, data, attempt, self.clock() - started
            except IntegrityError as exc:
                error = exc
            except CosTransportError as exc:
                error = exc
                if retry.switch_domain:
                    self.endpoint.switch_domain(req.bucket)
            await observe.response(status, request_id, attempt, t0, error)
            retryable = _retry.is_retryable(error) or (
                isinstance(error, IntegrityError) and body is not None
            )
            if not retryable:
                raise error
            if body is not None and not body.replayable:
                raise error  # a one-shot stream is never replayed
            elapsed = self.clock() - started
            if attempt >= retry.max_attempts or elapsed >= retry.max_elapsed:
                raise retry_exhausted(
                    f"{req.method} {req.target} failed after {attempt} attempt(s) in "
                    f"{elapsed:.1f} s: {error}",
                    attempts=attempt,
                    last_error=error,
                    elapsed=elapsed,
                    earlier_errors=tuple(earlier),
                ) from error
            earlier.append(error)
            if self.closing and not req.cleanup:  # no new attempt once the client closes
                raise CosClientError(
                    f"{req.method} {req.target}: the client was closed after attempt {attempt} "
                    f"failed: {error}"
                ) from error
            delay = retry.backoff(attempt, self.jitter())
            delay = min(delay, max(0.0, retry.max_elapsed - elapsed))
            if delay > 0:
                await self._pause(delay, req)
                if self.closing and not req.cleanup:
                    raise CosClientError(
                        f"{req.method} {req.target}: the client was closed after attempt "
                        f"{attempt} failed: {error}"
                    ) from error

    async def _pause(self, delay: float, req: Request) -> None:
        """The wait between attempts; closing the client ends it (but a cleanup's)."""
        if req.cleanup:
            await self.sleep(delay)
            return
        task = self._hold()
        try:
            await self.sleep(delay)
        except asyncio.CancelledError:
            if not self._closed_us(task):
                raise
        finally:
            self._release(task)

    async def close(self) -> None:
        """Close: new requests are refused at once; the requests in flight are interrupted and
        fail with ``CosClientError`` (an Initiate or Complete runs to its end, so that its
        outcome is known), and the transfers in flight are given :data:`CLOSE_GRACE` seconds
        to finish their cleanup (the abort of their multipart upload) before the connections
        close. Idempotent."""
        if not self.closing:
            self.closing = True
            for task in list(self._interruptible):
                self._cancelled_by_close.add(task)
                task.cancel()
            self.transport.interrupt()
            if self._busy:
                with anyio.move_on_after(CLOSE_GRACE):
                    await self._idle.wait()
        await self.transport.close()


class _Observe:
    """The DEBUG log line and the hooks of one request (all its attempts)."""

    __slots__ = ("_engine", "_req", "_url")

    def __init__(self, engine: RequestEngine, req: Request) -> None:
        self._engine = engine
        self._req = req
        self._url: str | None = None
        if engine.on_request is not None or engine.on_response is not None:
            # sub-resources and options; signatures go in headers
            self._url = engine.endpoint.url(
                req.bucket, req.key, req.params, service_host=req.service_host
            )

    async def request(self, attempt: int) -> None:
        hook = self._engine.on_request
        if hook is not None:
            assert self._url is not None
            req = self._req
            event = RequestEvent(
                method=req.method, url=self._url, bucket=req.bucket, key=req.key, attempt=attempt
            )
            result = hook(event)
            if inspect.isawaitable(result):
                await result

    async def response(
        self,
        status: int | None,
        request_id: str | None,
        attempt: int,
        t0: float,
        error: BaseException | None,
        resp: Response | None = None,
    ) -> None:
        engine = self._engine
        hook = engine.on_response
        debug = log.isEnabledFor(logging.DEBUG)
        if hook is None and not debug:
            return
        req = self._req
        duration = engine.clock() - t0
        if debug:
            log.debug(
                "%s %s bucket=%s key=%s status=%s request_id=%s attempt=%d duration=%.3fs%s",
                req.method,
                urlsplit(engine.endpoint.locate(req.bucket, None)[0]).netloc,
                req.bucket or "-",
                req.key if req.key is not None else "-",
                status,
                request_id,
                attempt,
                duration,
                f" error={type(error).__name__}" if error is not None else "",
            )
        if hook is not None:
            assert self._url is not None
            event = ResponseEvent(
                method=req.method,
                url=self._url,
                bucket=req.bucket,
                key=req.key,
                attempt=attempt,
                status=status,
                request_id=request_id,
                duration=duration,
                error=error,
            )
            try:
                result = hook(event)
                if inspect.isawaitable(result):
                    await result
            except BaseException:
                if resp is not None:  # a streamed response the caller will now never own
                    resp.close()
                raise
