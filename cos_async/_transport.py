"""The HTTP layer: the :class:`Transport` protocol the engine sends through, and its aiohttp
implementation, one session (connection pool) per client. The only aiohttp importer.

The session is created lazily inside the first coroutine (aiohttp needs a running loop) and is
bound to that loop: using the client from another event loop raises a clear error instead of
aiohttp's "attached to a different loop". aiohttp exceptions are mapped here, once, to
:class:`CosTransportError` / :class:`CosTimeoutError` (``raise ... from exc``).

Which path a request takes is decided here, in :meth:`AiohttpTransport.send`: the bulk data of a
transfer (a request body that sends itself, a ranged GET written straight into a file) goes to
the blocking path of :mod:`cos_async._threaded` when one was given (not through a proxy);
everything else goes through aiohttp.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import os
import ssl
from collections.abc import AsyncGenerator, Callable, Iterator, Mapping
from typing import Protocol

import aiohttp
import aiohttp.http_exceptions
import anyio
import attrs
from multidict import CIMultiDictProxy
from yarl import URL

from ._body import RangeSink, RequestBody
from ._config import CosConfig
from ._errors import CosClientError, CosTimeoutError, CosTransportError, PoolTimeout

__all__ = [
    "AiohttpTransport",
    "BulkPath",
    "HttpRequest",
    "Response",
    "Transport",
    "map_transport_errors",
    "ssl_context",
]


@attrs.frozen(kw_only=True)
class HttpRequest:
    """One attempt of a request, signed and addressed: what a transport sends."""

    method: str
    url: str
    headers: Mapping[str, str]
    body: RequestBody | None = None
    #: a 2xx answer's body goes into this file range instead of memory (a ranged download)
    sink: RangeSink | None = None
    #: told of the bytes sent or received as they move (progress)
    on_bytes: Callable[[int], None] | None = None
    read_timeout: float = 60.0


class Transport(Protocol):
    """What the engine sends through: the aiohttp transport, or a test's wrapper of it."""

    async def send(self, request: HttpRequest) -> Response:
        """Send one attempt; the answer's head (its body is read from the response)."""
        ...

    async def close(self) -> None:
        """Close every connection (idempotent)."""
        ...

    def interrupt(self) -> None:
        """Make the exchanges in flight fail promptly (the client is closing)."""
        ...

    @property
    def closed(self) -> bool: ...


class BulkPath(Protocol):
    """A second path for bulk data (``cos_async._threaded.ThreadedPath``)."""

    async def send(self, request: HttpRequest, tls: ssl.SSLContext | None) -> Response: ...

    def interrupt(self) -> None: ...

    def close(self) -> None: ...


@contextlib.contextmanager
def map_transport_errors(what: str) -> Iterator[None]:
    """Turn aiohttp / socket errors into the SDK's transport errors."""
    try:
        yield
    except CosClientError:
        raise
    except (asyncio.TimeoutError, aiohttp.ServerTimeoutError) as exc:
        raise CosTimeoutError(f"{what}: timed out ({type(exc).__name__})") from exc
    except aiohttp.ClientPayloadError as exc:
        raise CosTransportError(f"{what}: the response body was cut short ({exc})") from exc
    except aiohttp.http_exceptions.HttpProcessingError as exc:
        # a malformed answer, seen by aiohttp's pure-Python parser while reading the body (its
        # errors are no ClientError)
        raise CosTransportError(
            f"{what}: malformed HTTP answer: {type(exc).__name__}: {exc}"
        ) from exc
    except RuntimeError as exc:
        # aiohttp's StreamReader, read after its connection was closed (the client closing)
        if str(exc).startswith("Connection closed"):
            raise CosTransportError(f"{what}: the connection was closed") from exc
        raise
    except (aiohttp.ClientError, OSError) as exc:
        cause = exc.__cause__
        if cause is not None and not isinstance(
            cause,
            OSError
            | aiohttp.ClientError
            | asyncio.TimeoutError
            | aiohttp.http_exceptions.HttpProcessingError,
        ):
            # Raised by the request body stream (our InvalidArgument / IntegrityError, or the
            # caller's own iterator), which aiohttp wraps as a connection error: give the caller
            # the real error, not a retryable transport error.
            raise cause from None
        raise CosTransportError(f"{what}: {type(exc).__name__}: {exc}") from exc


class Response(abc.ABC):
    """A received response head; the body is read with :meth:`read` or streamed."""

    status: int
    headers: CIMultiDictProxy[str]
    #: "METHOD host/path", for error messages
    what: str

    @property
    def request_id(self) -> str | None:
        return self.headers.get("x-cos-request-id")

    @abc.abstractmethod
    async def read(self, limit: int = 64 * 1024 * 1024) -> bytes:
        """The whole body (at most ``limit`` bytes)."""

    @abc.abstractmethod
    def iter_body(self) -> AsyncGenerator[bytes, None]:
        """The body, chunk by chunk."""

    def release(self) -> None:  # noqa: B027 - a body read in a thread holds no connection
        """Give the connection back to the pool (the body was read)."""

    def close(self) -> None:  # noqa: B027 - a body read in a thread holds no connection
        """Drop the connection (for a body abandoned half-read)."""

    def release_or_close(self) -> None:
        """Release the connection if the body was read to its end, else close it."""
        self.release()

    async def drain_into(self, sink: RangeSink, on_bytes: Callable[[int], None] | None) -> None:
        """Stream the body into ``sink`` from the event loop (file writes in 4 MiB batches off
        the loop): the aiohttp path of a ranged download, used when the threaded one is not."""
        pending: list[bytes] = []
        size = 0
        async for chunk in self.iter_body():
            sink.check_room(size + len(chunk))
            pending.append(chunk)
            size += len(chunk)
            if on_bytes is not None:
                on_bytes(len(chunk))
            if size >= 4 << 20:
                await asyncio.to_thread(sink.write, pending)
                pending, size = [], 0
        if pending:
            await asyncio.to_thread(sink.write, pending)


class _StallWatch:
    """Our own deadline on each wait for body bytes: ``read_timeout`` seconds without a byte of
    body fails the read with :class:`CosTimeoutError` (and closes the connection).

    aiohttp's ``sock_read`` timeout is not enough: bytes that never make body (an endless chunk
    extension) keep resetting it, and its C parser, on a chunk that is malformed mid-body, leaves
    the read waiting forever even after the server closes the connection. One timer per body,
    re-armed only when it fires: a chunk costs two attribute writes and a clock read."""

    __slots__ = ("_content", "_handle", "_loop", "_resp", "_since", "_timeout", "_what")

    def __init__(self, resp: aiohttp.ClientResponse, timeout: float, what: str) -> None:
        self._resp = resp
        self._content = resp.content
        self._timeout = timeout
        self._what = what
        self._loop = asyncio.get_running_loop()
        self._since: float | None = None
        self._handle: asyncio.TimerHandle | None = None

    def waiting(self) -> None:
        self._since = now = self._loop.time()
        if self._handle is None:
            self._handle = self._loop.call_at(now + self._timeout, self._check)

    def arrived(self) -> None:
        self._since = None

    def stop(self) -> None:
        self._since = None
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def _check(self) -> None:
        self._handle = None
        since = self._since
        if since is None:  # not waiting now: the next wait re-arms
            return
        if self._loop.time() - since < self._timeout:
            self._handle = self._loop.call_at(since + self._timeout, self._check)
            return
        self._content.set_exception(
            CosTimeoutError(f"{self._what}: no body bytes for {self._timeout:g} s (read_timeout)")
        )
        self._resp.close()


class AiohttpResponse(Response):
    def __init__(
        self, resp: aiohttp.ClientResponse, slots: _Slots, read_timeout: float = 60.0
    ) -> None:
        self._resp = resp
        self._slots: _Slots | None = slots
        self.status = resp.status
        self.headers = resp.headers
        self._read_timeout = read_timeout

    @property
    def what(self) -> str:  # type: ignore[override]
        """``METHOD host/path``, for messages (made when one is needed)."""
        resp = self._resp
        return f"{resp.method} {resp.url.host}{resp.url.raw_path}"

    async def read(self, limit: int = 64 * 1024 * 1024) -> bytes:
        content = self._resp.content
        if content.is_eof() and content.exception() is None:
            # the whole body is already here (a small answer): no wait to guard
            with map_transport_errors("reading a response"):
                data = await content.read()
            if len(data) > limit:
                raise CosTransportError(f"{self.what}: response body larger than {limit} bytes")
            return data
        watch = _StallWatch(self._resp, self._read_timeout, self.what)
        with map_transport_errors(self.what):
            chunks: list[bytes] = []
            size = 0
            try:
                while True:
                    watch.waiting()
                    chunk = await content.read(1 << 20)
                    watch.arrived()
                    if not chunk:
                        break
                    size += len(chunk)
                    if size > limit:
                        raise CosTransportError(
                            f"{self.what}: response body larger than {limit} bytes"
                        )
                    chunks.append(chunk)
            finally:
                watch.stop()
            return b"".join(chunks)

    async def iter_body(self) -> AsyncGenerator[bytes, None]:
        content = self._resp.content
        watch = _StallWatch(self._resp, self._read_timeout, self.what)
        with map_transport_errors(self.what):
            try:
                while True:
                    watch.waiting()
                    chunk = await content.readany()
                    watch.arrived()
                    if not chunk:
                        return
                    yield chunk
            finally:
                watch.stop()

    def _done(self) -> None:
        slots, self._slots = self._slots, None
        if slots is not None:
            slots.release(answered=True)

    def release(self) -> None:
        self._resp.release()
        self._done()

    def close(self) -> None:
        self._resp.close()
        self._done()

    def release_or_close(self) -> None:
        # a body abandoned half-read cannot go back to the pool: close its connection
        if self._resp.content.at_eof():
            self._resp.release()
        else:
            self._resp.close()
        self._done()


class _Slots:
    """The connections of the pool, counted: a request takes one before it is sent and gives it
    back when its response is released or closed, so that waiting for a free one is bounded
    (``pool_timeout``) and the error can say who holds them."""

    def __init__(self, size: int, timeout: float) -> None:
        self.size = size
        self.timeout = timeout
        self._free = asyncio.Semaphore(size)
        #: answers handed out whose body was neither read to the end nor closed yet
        self.answered = 0

    async def acquire(self, what: str) -> None:
        if not self._free.locked():
            await self._free.acquire()  # a free one: taken at once
            return
        try:
            # anyio's deadline, not asyncio.wait_for: wait_for may swallow a cancellation that
            # arrives as the semaphore is granted (a cancelled transfer worker would go on)
            with anyio.fail_after(self.timeout):
                await self._free.acquire()
        except TimeoutError:
            raise PoolTimeout(
                f"{what}: no free connection in the client's pool (pool_size={self.size}) after "
                f"{self.timeout:g} s (pool_timeout): {self.answered} of them are held by response "
                "bodies that were neither read to the end nor closed (read them, or use "
                "'async with await cos.get_object(...)'), the others by requests in flight"
            ) from None

    def answered_one(self) -> None:
        self.answered += 1

    def release(self, *, answered: bool) -> None:
        if answered:
            self.answered -= 1
        self._free.release()


def ssl_context(config: CosConfig) -> ssl.SSLContext:
    """The TLS settings of both paths: the system's CAs, or no verification at all when
    ``CosConfig.verify_ssl`` is false."""
    ctx = ssl.create_default_context()
    if not config.verify_ssl:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


class AiohttpTransport:
    """The transport of a client: an aiohttp session, plus the ``bulk`` path for the bulk data
    of transfers (unused through a proxy)."""

    def __init__(
        self,
        config: CosConfig,
        *,
        bulk: BulkPath | None = None,
        tls_factory: Callable[[CosConfig], ssl.SSLContext] | None = None,
    ) -> None:
        self.config = config
        #: the path of bulk data (None through a proxy: every byte then goes through aiohttp)
        self.bulk = bulk if config.proxy is None else None
        self._tls_factory = tls_factory if tls_factory is not None else ssl_context
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pid = os.getpid()
        self._closed = False
        self._ssl: ssl.SSLContext | None = None
        self._slots: _Slots | None = None
        #: exchanges sent on each path (for tests and instrumentation)
        self.sent = {"aiohttp": 0, "bulk": 0}

    def _ssl_context(self) -> ssl.SSLContext:
        """One context for both paths, made at the first https request (loading the CAs costs
        about 35 ms of CPU: done once per client, and never by a plain-http client)."""
        if self._ssl is None:
            self._ssl = self._tls_factory(self.config)
        return self._ssl

    def _check_loop(self) -> None:
        loop = asyncio.get_running_loop()
        if self._pid != os.getpid():
            raise CosClientError(
                "this client was created before fork(); create a new client in the child process"
            )
        if self._loop is not None and self._loop is not loop:
            raise CosClientError(
                "this client is bound to another event loop; create one client per event loop"
            )

    async def session(self) -> aiohttp.ClientSession:
        if self._closed:
            raise CosClientError("the client is closed")
        self._check_loop()
        if self._session is None:
            cfg = self.config
            # the TLS settings go with each https request (see send): plain-http clients never
            # load the CA certificates (about 35 ms of CPU)
            connector = aiohttp.TCPConnector(
                limit=cfg.pool_size, limit_per_host=cfg.pool_size, enable_cleanup_closed=True
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=aiohttp.ClientTimeout(total=None),
                auto_decompress=False,
                skip_auto_headers=("Content-Type", "Accept-Encoding"),
                headers={"User-Agent": cfg.user_agent},
            )
            self._loop = asyncio.get_running_loop()
            self._slots = _Slots(cfg.pool_size, cfg.pool_timeout)
        return self._session

    async def send(self, request: HttpRequest) -> Response:
        session = await self.session()  # the loop / fork / closed checks of both paths
        https = request.url.startswith("https:")
        body = request.body
        if self.bulk is not None and (
            request.sink is not None or (body is not None and body.sends_itself)
        ):
            # the bulk data of a transfer: sent / received in a worker thread (_threaded)
            self.sent["bulk"] += 1
            return await self.bulk.send(request, self._ssl_context() if https else None)
        self.sent["aiohttp"] += 1
        what = f"{request.method} {URL(request.url, encoded=True).host}"
        slots = self._slots
        assert slots is not None
        await slots.acquire(what)
        timeout = aiohttp.ClientTimeout(
            total=None, sock_connect=self.config.connect_timeout, sock_read=request.read_timeout
        )
        try:
            with map_transport_errors(what):
                resp = await session.request(
                    request.method,
                    URL(request.url, encoded=True),
                    headers=dict(request.headers),
                    data=body.stream() if body is not None else None,
                    timeout=timeout,
                    allow_redirects=False,
                    proxy=self.config.proxy,
                    ssl=self._ssl_context() if https else True,
                )
        except BaseException:
            slots.release(answered=False)
            raise
        slots.answered_one()
        response = AiohttpResponse(resp, slots, request.read_timeout)
        if request.sink is not None and 200 <= response.status < 300:
            try:
                await response.drain_into(request.sink, request.on_bytes)
            except BaseException:
                response.close()
                raise
        return response

    def interrupt(self) -> None:
        """The bulk exchanges in flight fail now (their sockets are shut down); a request on
        aiohttp ends by itself, or when the session closes."""
        if self.bulk is not None:
            self.bulk.interrupt()

    async def close(self) -> None:
        self._closed = True
        session, self._session = self._session, None
        bulk, self.bulk = self.bulk, None
        if bulk is not None and self._pid == os.getpid():
            bulk.close()
        if session is not None and self._pid == os.getpid():
            await session.close()

    @property
    def closed(self) -> bool:
        return self._closed
