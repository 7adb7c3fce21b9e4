"""The blocking bulk-data path of large transfers.

The bulk data of large transfers (the parts of ``upload_file``, the ranges of ``download_file``)
goes through :class:`ThreadedPath`: the whole exchange runs on a blocking ``http.client``
connection in a worker thread of the client's own pool, with the part's bytes read from (or
written to) a reusable buffer there. Sending, receiving, CRC-64 and file writes all release the
GIL, so the bytes move on every core, where one event loop moves them on one: on a 2-core machine
this path receives a file at about twice the rate of aiohttp at half the CPU
(``docs/transfers.md``). Requests, signing, retries, hooks and errors stay on the event loop,
shared with the aiohttp path; a cancelled exchange has its socket shut down and is waited for, so
no thread touches a buffer or a file descriptor after its coroutine returned.

:class:`~cos_async._transport.AiohttpTransport` decides which request takes this path (a body
that sends itself, or a range written into a file); nothing above the transport knows.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import http.client
import socket
import ssl
import threading
import time
from collections.abc import AsyncGenerator, Callable, Mapping
from typing import cast
from urllib.parse import urlsplit

from multidict import CIMultiDict, CIMultiDictProxy

from ._body import RangeSink, ThreadedBody
from ._config import CosConfig
from ._errors import CosClientError, CosTimeoutError, CosTransportError
from ._transport import HttpRequest, Response

__all__ = ["NOTIFY_INTERVAL", "ThreadedPath", "ThreadedResponse"]


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


def _read_int(path: str, field: int = 0) -> int | None:
    try:
        with open(path, encoding="ascii") as f:
            return int(f.read().split()[field])
    except (OSError, ValueError, IndexError):
        return None


def bulk_send_buffer() -> int | None:
    """The send buffer to give a bulk connection's socket, or None to leave it to the kernel.

    Linux sizes a TCP send buffer by itself (up to ``net.ipv4.tcp_wmem``'s maximum), and on a
    fast path its sizing cost more CPU than the bytes: uploads over connections kept from one
    transfer to the next measured 0.61-0.69 client CPU s/GiB with the kernel's buffer against
    0.34-0.35 with a fixed 4 MiB one (loopback, 16 MiB × 8 parts, pinned CPUs). A fixed size turns the growing off, so it is set only where the system lets it be
    at least that maximum (``net.core.wmem_max`` ≥ the ``tcp_wmem`` maximum): never smaller
    than what the kernel would have reached. Elsewhere (the common default ``wmem_max`` of
    208 KiB) the kernel keeps its own."""
    limit = _read_int("/proc/sys/net/core/wmem_max")
    auto = _read_int("/proc/sys/net/ipv4/tcp_wmem", 2)
    if limit is None or auto is None or limit < auto:
        return None
    return auto


class _BulkConnection(http.client.HTTPConnection):
    """A plain-http bulk connection with its send buffer (:func:`bulk_send_buffer`)."""

    send_buffer: int | None = None

    def connect(self) -> None:
        super().connect()
        _tune(self.sock, self.send_buffer)


class _BulkTLSConnection(http.client.HTTPSConnection):
    """An https bulk connection with its send buffer (:func:`bulk_send_buffer`)."""

    send_buffer: int | None = None

    def connect(self) -> None:
        super().connect()
        _tune(self.sock, self.send_buffer)


def _tune(sock: socket.socket | None, send_buffer: int | None) -> None:
    if sock is not None and send_buffer is not None:
        with contextlib.suppress(OSError):  # a tuning, never a reason to fail
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, send_buffer)


class _Exchange:
    """One threaded exchange in flight: lets the event loop shut its socket down."""

    def __init__(self) -> None:
        self.conn: http.client.HTTPConnection | None = None
        self.aborted = False
        #: when the worker last made progress (started, got the answer's head, moved body
        #: bytes); None until a worker thread takes the exchange
        self.last: float | None = None
        #: aborted by the stall watch: no progress for read_timeout
        self.stalled = False

    def touch(self) -> None:  # in the worker thread
        self.last = time.monotonic()

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
        #: the send buffer of new connections (None: the kernel's own; see bulk_send_buffer)
        self.send_buffer = bulk_send_buffer()
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
            tls_conn = _BulkTLSConnection(host, port, timeout=timeout, context=self.tls)
            tls_conn.send_buffer = self.send_buffer
            return tls_conn, False
        conn = _BulkConnection(host, port, timeout=timeout)
        conn.send_buffer = self.send_buffer
        return conn, False

    def checkin(self, origin: tuple[str, str, int], conn: http.client.HTTPConnection) -> None:
        with self._lock:
            idle = self._idle.setdefault(origin, [])
            if not self._closed and len(idle) < self.config.pool_size:
                idle.append(conn)
                return
        conn.close()  # the pool is full, or closed while this exchange was running

    def idle(self) -> list[http.client.HTTPConnection]:
        with self._lock:
            return [c for conns in self._idle.values() for c in conns]

    def close(self) -> None:
        with self._lock:
            self._closed = True
            conns = [c for idle in self._idle.values() for c in idle]
            self._idle.clear()
        for conn in conns:
            conn.close()
        self.executor.shutdown(wait=False, cancel_futures=True)


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

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        callback: Callable[[int], None],
        interval: float = NOTIFY_INTERVAL,
    ) -> None:
        self._loop = loop
        self._callback = callback
        self._interval = interval
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


class _StallWatch:
    """Our own deadline on a threaded exchange: ``read_timeout`` seconds without progress (the
    answer's head, or body bytes moved either way) shut its socket down, and it fails with
    :class:`CosTimeoutError`. The socket timeout alone is reset by any byte: a server dripping
    bytes that never make body (an endless chunk extension) would hold the thread for as long as
    ``http.client``'s line limits let it."""

    __slots__ = ("_box", "_handle", "_loop", "_timeout")

    def __init__(self, loop: asyncio.AbstractEventLoop, box: _Exchange, timeout: float) -> None:
        self._loop = loop
        self._box = box
        self._timeout = timeout
        self._handle: asyncio.TimerHandle | None = loop.call_later(timeout, self._check)

    def _check(self) -> None:
        box = self._box
        last = box.last
        idle = 0.0 if last is None else time.monotonic() - last  # None: queued for a thread
        if idle >= self._timeout:
            self._handle = None
            box.stalled = True
            box.abort()
            return
        self._handle = self._loop.call_later(self._timeout - idle, self._check)

    def stop(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None


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
    box.touch()
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
            box.touch()
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
    if box.stalled:
        return CosTimeoutError(f"{what}: no progress for the read timeout")
    if box.aborted:
        return CosTransportError(f"{what}: cancelled")
    if isinstance(exc, TimeoutError | socket.timeout):
        return CosTimeoutError(f"{what}: timed out ({type(exc).__name__})")
    if isinstance(exc, http.client.IncompleteRead):
        return CosTransportError(f"{what}: the response body was cut short ({exc!r})")
    if isinstance(exc, OSError | http.client.HTTPException):
        return CosTransportError(f"{what}: {type(exc).__name__}: {exc}")
    return exc


class ThreadedPath:
    """Exchanges on blocking connections in the worker threads of one client (see the module
    docstring). Made by the transport at its first bulk request; closed with it."""

    def __init__(
        self,
        config: CosConfig,
        *,
        notify_interval: float | None = None,
        exchange: Callable[..., ThreadedResponse] | None = None,
    ) -> None:
        self.config = config
        #: how often at most a worker tells the loop of the bytes it moved (NOTIFY_INTERVAL)
        self.notify_interval = NOTIFY_INTERVAL if notify_interval is None else notify_interval
        #: the blocking exchange run in the worker thread (a seam for tests)
        self._exchange = exchange if exchange is not None else _exchange
        self._pool: _ThreadedPool | None = None
        self._active: set[_Exchange] = set()

    def idle_connections(self) -> list[http.client.HTTPConnection]:
        """The keep-alive connections waiting in the pool (for tests and instrumentation)."""
        if self._pool is None:
            return []
        return self._pool.idle()

    async def send(self, request: HttpRequest, tls: ssl.SSLContext | None) -> Response:
        """One exchange in a worker thread: the body sends itself there, a 2xx answer's body
        goes into ``request.sink`` (when given). ``request.on_bytes`` is called on the event
        loop as bytes are sent or received (at most every :data:`NOTIFY_INTERVAL`)."""
        body = request.body
        if body is not None and not body.sends_itself:
            raise CosClientError("a body that does not send itself cannot take the threaded path")
        if body is not None and request.sink is not None:
            raise CosClientError("a ranged download into a file sends no body")
        # a body that sends itself reports its own bytes (progress of an upload's part)
        on_bytes = request.on_bytes if body is None else body.on_bytes
        if self._pool is None:
            self._pool = _ThreadedPool(self.config)
        pool = self._pool
        if pool.tls is None and tls is not None:
            pool.tls = tls  # set here, on the loop, before a worker needs it
        loop = asyncio.get_running_loop()
        progress: Callable[[int], None] = (
            _Notifier(loop, on_bytes, self.notify_interval)
            if on_bytes is not None
            else _ignore_bytes
        )
        box = _Exchange()
        self._active.add(box)

        def notify(n: int) -> None:  # in the worker thread: bytes moved are progress
            box.last = time.monotonic()
            progress(n)

        watch = _StallWatch(loop, box, request.read_timeout)
        future = loop.run_in_executor(
            pool.executor,
            self._exchange,
            pool,
            box,
            request.method,
            request.url,
            request.headers,
            cast(ThreadedBody | None, body),
            request.sink,
            request.read_timeout,
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
        finally:
            watch.stop()
            self._active.discard(box)
        if isinstance(progress, _Notifier):
            progress.flush()  # the worker is done: what it counted since its last report
        return resp

    def interrupt(self) -> None:
        """Shut the sockets of the exchanges in flight down: they fail at once."""
        for box in list(self._active):
            box.abort()

    def close(self) -> None:
        self.interrupt()
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.close()
