"""The HTTP layer: one aiohttp session (connection pool) per client. The only aiohttp importer.

The session is created lazily inside the first coroutine (aiohttp needs a running loop) and is
bound to that loop: using the client from another event loop raises a clear error instead of
aiohttp's "attached to a different loop". aiohttp exceptions are mapped here, once, to
:class:`CosTransportError` / :class:`CosTimeoutError` (``raise ... from exc``).

The bulk data of large transfers (the parts of ``upload_file``, the ranges of ``download_file``)
takes a second path: :meth:`Transport.send_threaded` runs the whole exchange on a blocking
``http.client`` connection in a worker thread of the client's own pool, with the part's bytes
read from (or written to) a reusable buffer there. Sending, receiving, CRC-64 and file writes all
release the GIL, so the bytes move on every core, where one event loop moves them on one: on a
2-core machine this path receives a file at about twice the rate of aiohttp at half the CPU
(``docs/transfers.md``). Requests, signing, retries, hooks and errors stay on the event loop,
shared with the aiohttp path; a cancelled exchange has its socket shut down and is waited for, so
no thread touches a buffer or a file descriptor after its coroutine returned.
"""

from __future__ import annotations

import abc
import asyncio
import concurrent.futures
import contextlib
import http.client
import os
import socket
import ssl
import threading
import time
from collections.abc import AsyncGenerator, Callable, Iterator, Mapping
from typing import Any, Protocol
from urllib.parse import urlsplit

import aiohttp
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from ._config import CosConfig
from ._crc64 import Crc64
from ._errors import CosClientError, CosTimeoutError, CosTransportError

__all__ = ["RangeSink", "Response", "ThreadedBody", "Transport", "map_transport_errors"]


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
    except (aiohttp.ClientError, OSError) as exc:
        cause = exc.__cause__
        if cause is not None and not isinstance(
            cause, OSError | aiohttp.ClientError | asyncio.TimeoutError
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


class AiohttpResponse(Response):
    def __init__(self, resp: aiohttp.ClientResponse) -> None:
        self._resp = resp
        self.status = resp.status
        self.headers = resp.headers
        self.what = f"{resp.method} {resp.url.host}{resp.url.raw_path}"

    async def read(self, limit: int = 64 * 1024 * 1024) -> bytes:
        with map_transport_errors(self.what):
            chunks: list[bytes] = []
            size = 0
            async for chunk in self._resp.content.iter_chunked(1 << 20):
                size += len(chunk)
                if size > limit:
                    raise CosTransportError(f"{self.what}: response body larger than {limit} bytes")
                chunks.append(chunk)
            return b"".join(chunks)

    async def iter_body(self) -> AsyncGenerator[bytes, None]:
        with map_transport_errors(self.what):
            async for chunk in self._resp.content.iter_any():
                yield chunk

    def release(self) -> None:
        self._resp.release()

    def close(self) -> None:
        self._resp.close()

    def release_or_close(self) -> None:
        # a body abandoned half-read cannot go back to the pool: close its connection
        if self._resp.content.at_eof():
            self._resp.release()
        else:
            self._resp.close()


class ThreadedResponse(Response):
    """The answer of a threaded exchange: its body was read in the worker thread (into the
    :class:`RangeSink` for a successful ranged GET, else into memory)."""

    def __init__(self, status: int, headers: CIMultiDictProxy[str], body: bytes, what: str):
        self.status = status
        self.headers = headers
        self.what = what
        self._body = body

    async def read(self, limit: int = 64 * 1024 * 1024) -> bytes:
        if len(self._body) > limit:
            raise CosTransportError(f"{self.what}: response body larger than {limit} bytes")
        return self._body

    async def iter_body(self) -> AsyncGenerator[bytes, None]:
        if self._body:
            yield self._body


class RangeSink:
    """Where the body of a successful ranged GET goes in a threaded exchange: ``length`` bytes
    written at ``offset`` of the open file ``fd`` through ``buffer`` (reused across exchanges),
    with their CRC-64 computed as they arrive. Reset for every attempt."""

    def __init__(self, fd: int, offset: int, length: int, buffer: bytearray) -> None:
        if not buffer:
            raise ValueError("RangeSink needs a non-empty buffer")
        self.fd = fd
        self.offset = offset
        self.length = length
        self._buffer = buffer
        self.crc = Crc64()

    @property
    def written(self) -> int:
        return self.crc.length

    def reset(self) -> None:
        self.crc = Crc64()

    def check_room(self, n: int) -> None:
        """Refuse ``n`` more bytes than the range holds (before any of them is written)."""
        if self.crc.length + n > self.length:
            raise CosTransportError(
                f"the range at {self.offset} sent more than its {self.length} bytes"
            )

    def _put(self, view: memoryview) -> None:
        self.check_room(len(view))
        pos, done = self.offset + self.crc.length, 0
        while done < len(view):
            done += os.pwrite(self.fd, view[done:], pos + done)
        self.crc.update(view)  # fastcrc releases the GIL

    def write(self, chunks: list[bytes]) -> None:
        """Append ``chunks`` to what was written (CRC-64 included)."""
        for chunk in chunks:
            self._put(memoryview(chunk))

    def fill(self, resp: http.client.HTTPResponse, notify: Callable[[int], None]) -> None:
        """Read the whole body into the file (in the worker thread)."""
        view = memoryview(self._buffer)
        while n := resp.readinto(view):
            self._put(view[:n])
            notify(n)


class ThreadedBody(Protocol):
    """A request body that sends itself from a worker thread (``_body.FilePartBody``)."""

    length: int | None

    def send_to(self, send: Callable[[memoryview], object], notify: Callable[[int], None]) -> None:
        """Send every byte through ``send``, from the first, telling ``notify`` as it goes."""


class _Exchange:
    """One threaded exchange in flight: lets the event loop shut its socket down."""

    def __init__(self) -> None:
        self.conn: http.client.HTTPConnection | None = None
        self.aborted = False

    def abort(self) -> None:
        self.aborted = True
        conn = self.conn
        sock = getattr(conn, "sock", None) if conn is not None else None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class _ThreadedPool:
    """Blocking keep-alive connections per (scheme, host, port), for worker threads."""

    def __init__(self, config: CosConfig, tls: ssl.SSLContext | None = None) -> None:
        self.config = config
        #: the TLS settings of https connections (set before the first https exchange)
        self.tls = tls
        self._idle: dict[tuple[str, str, int], list[http.client.HTTPConnection]] = {}
        self._lock = threading.Lock()
        self._closed = False
        self.executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=config.pool_size, thread_name_prefix="cos-async-io"
        )

    def checkout(self, origin: tuple[str, str, int]) -> tuple[http.client.HTTPConnection, bool]:
        """A connection to ``origin`` and whether it was used before (idle in the pool)."""
        with self._lock:
            idle = self._idle.get(origin)
            if idle:
                return idle.pop(), True
        scheme, host, port = origin
        timeout = self.config.connect_timeout
        if scheme == "https":
            if self.tls is None:
                raise CosClientError("an https connection was asked for before its TLS settings")
            return (
                http.client.HTTPSConnection(host, port, timeout=timeout, context=self.tls),
                False,
            )
        return http.client.HTTPConnection(host, port, timeout=timeout), False

    def checkin(self, origin: tuple[str, str, int], conn: http.client.HTTPConnection) -> None:
        with self._lock:
            idle = self._idle.setdefault(origin, [])
            if not self._closed and len(idle) < self.config.pool_size:
                idle.append(conn)
                return
        conn.close()  # the pool is full, or closed while this exchange was running

    def close(self) -> None:
        with self._lock:
            self._closed = True
            conns = [c for idle in self._idle.values() for c in idle]
            self._idle.clear()
        for conn in conns:
            conn.close()
        self.executor.shutdown(wait=False, cancel_futures=True)


def ssl_context(config: CosConfig) -> ssl.SSLContext:
    """The TLS settings of both paths: the system's CAs, or no verification at all when
    ``CosConfig.verify_ssl`` is false."""
    ctx = ssl.create_default_context()
    if not config.verify_ssl:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


#: how often at most a worker thread tells the event loop of the bytes it moved: each telling
#: wakes the loop, and one per 1 MiB buffer cost about 0.08 client CPU s/GiB on the 2-core CI VM
NOTIFY_INTERVAL = 0.05


def _ignore_bytes(n: int) -> None:
    """The worker's byte counter when nobody listens."""


class _Notifier:
    """Counts bytes in the worker thread and hands them to ``callback`` on the event loop at
    most every :data:`NOTIFY_INTERVAL` seconds; :meth:`flush` (on the loop, once the worker is
    done) hands over the rest."""

    __slots__ = ("_callback", "_interval", "_last", "_loop", "_pending")

    def __init__(self, loop: asyncio.AbstractEventLoop, callback: Callable[[int], None]) -> None:
        self._loop = loop
        self._callback = callback
        self._interval = NOTIFY_INTERVAL
        self._last = time.monotonic()
        self._pending = 0

    def __call__(self, n: int) -> None:  # in the worker thread
        self._pending += n
        now = time.monotonic()
        if now - self._last >= self._interval:
            self._last = now
            moved, self._pending = self._pending, 0
            self._loop.call_soon_threadsafe(self._callback, moved)

    def flush(self) -> None:  # on the loop
        moved, self._pending = self._pending, 0
        if moved:
            self._callback(moved)


def _exchange(
    pool: _ThreadedPool,
    box: _Exchange,
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: ThreadedBody | None,
    sink: RangeSink | None,
    read_timeout: float,
    notify: Callable[[int], None],
) -> ThreadedResponse:
    """The whole request/response exchange, in a worker thread."""
    parts = urlsplit(url)
    scheme = parts.scheme
    host = parts.hostname or ""
    port = parts.port or (443 if scheme == "https" else 80)
    origin = (scheme, host, port)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    what = f"{method} {host}{parts.path}"
    for fresh_retry in (False, True):
        conn, reused = pool.checkout(origin)
        box.conn = conn
        if box.aborted:
            conn.close()
            raise CosTransportError(f"{what}: cancelled")
        try:
            if conn.sock is None:
                conn.connect()
            assert conn.sock is not None
            conn.sock.settimeout(read_timeout)
            conn.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
            for name, value in headers.items():
                conn.putheader(name, value)
            conn.endheaders()
            if body is not None:
                body.send_to(conn.send, notify)
            resp = conn.getresponse()
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as exc:
            conn.close()
            if reused and not fresh_retry and not box.aborted:
                continue  # a keep-alive connection the server had closed: once more, fresh
            raise _mapped(what, exc, box) from exc
        except BaseException as exc:
            conn.close()
            raise _mapped(what, exc, box) from exc
        break
    try:
        status = resp.status
        hdrs = CIMultiDictProxy(CIMultiDict(resp.getheaders()))
        data = b""
        if sink is not None and 200 <= status < 300:
            sink.fill(resp, notify)
        else:
            data = resp.read(1 << 20)
            if not resp.isclosed():  # an unexpectedly large body: not worth draining
                resp.close()
                conn.close()
        keep = resp.isclosed() and not resp.will_close and not box.aborted
    except BaseException as exc:
        conn.close()
        raise _mapped(what, exc, box) from exc
    if keep:
        pool.checkin(origin, conn)
    else:
        conn.close()
    return ThreadedResponse(status, hdrs, data, what)


def _mapped(what: str, exc: BaseException, box: _Exchange) -> BaseException:
    if isinstance(exc, CosClientError):
        return exc
    if box.aborted:
        return CosTransportError(f"{what}: cancelled")
    if isinstance(exc, TimeoutError | socket.timeout):
        return CosTimeoutError(f"{what}: timed out ({type(exc).__name__})")
    if isinstance(exc, http.client.IncompleteRead):
        return CosTransportError(f"{what}: the response body was cut short ({exc!r})")
    if isinstance(exc, OSError | http.client.HTTPException):
        return CosTransportError(f"{what}: {type(exc).__name__}: {exc}")
    return exc


class Transport:
    def __init__(self, config: CosConfig) -> None:
        self.config = config
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pid = os.getpid()
        self._closed = False
        self._threaded: _ThreadedPool | None = None
        self._ssl: ssl.SSLContext | None = None

    def _ssl_context(self) -> ssl.SSLContext:
        """One context for both paths, made at the first https request (loading the CAs costs
        about 35 ms of CPU: done once per client, and never by a plain-http client)."""
        if self._ssl is None:
            self._ssl = ssl_context(self.config)
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
        return self._session

    async def send(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        data: Any,
        *,
        read_timeout: float,
    ) -> Response:
        session = await self.session()
        what = f"{method} {URL(url, encoded=True).host}"
        timeout = aiohttp.ClientTimeout(
            total=None, sock_connect=self.config.connect_timeout, sock_read=read_timeout
        )
        with map_transport_errors(what):
            resp = await session.request(
                method,
                URL(url, encoded=True),
                headers=dict(headers),
                data=data,
                timeout=timeout,
                allow_redirects=False,
                proxy=self.config.proxy,
                ssl=self._ssl_context() if url.startswith("https:") else True,
            )
        return AiohttpResponse(resp)

    @property
    def threaded_ok(self) -> bool:
        """Whether :meth:`send_threaded` can be used (not through a proxy)."""
        return self.config.proxy is None

    async def send_threaded(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        *,
        body: ThreadedBody | None,
        sink: RangeSink | None,
        on_bytes: Callable[[int], None] | None,
        read_timeout: float,
    ) -> Response:
        """One exchange on a blocking connection in a worker thread (see the module docstring):
        ``body`` sends itself there, a 2xx answer's body goes into ``sink`` (when given).
        ``on_bytes`` is called on the event loop as bytes are sent or received."""
        await self.session()  # the same loop / fork / closed checks as the aiohttp path
        if self._threaded is None:
            self._threaded = _ThreadedPool(self.config)
        pool = self._threaded
        if pool.tls is None and url.startswith("https:"):
            pool.tls = self._ssl_context()  # set here, on the loop, before a worker needs it
        loop = asyncio.get_running_loop()
        notify = _Notifier(loop, on_bytes) if on_bytes is not None else _ignore_bytes
        box = _Exchange()
        future = loop.run_in_executor(
            pool.executor,
            _exchange,
            pool,
            box,
            method,
            url,
            headers,
            body,
            sink,
            read_timeout,
            notify,
        )
        try:
            resp = await asyncio.shield(future)
        except asyncio.CancelledError:
            # the thread may still be using the buffer and the file descriptor: stop it, and
            # wait until it has let go of them before the cancellation goes on
            box.abort()
            while not future.done():
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.wait([future])
            if not future.cancelled():
                future.exception()  # retrieved: its error is the cancellation's consequence
            raise
        if isinstance(notify, _Notifier):
            notify.flush()  # the worker is done: what it counted since its last report
        return resp

    async def close(self) -> None:
        self._closed = True
        session, self._session = self._session, None
        threaded, self._threaded = self._threaded, None
        if threaded is not None and self._pid == os.getpid():
            threaded.close()
        if session is not None and self._pid == os.getpid():
            await session.close()

    @property
    def closed(self) -> bool:
        return self._closed
