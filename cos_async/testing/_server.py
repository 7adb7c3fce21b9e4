"""``LocalCosServer``: run the local COS server in the current event loop or in a thread."""

from __future__ import annotations

import asyncio
import os
import ssl
import threading
import time
from collections.abc import Callable, Coroutine, Iterable
from types import TracebackType
from typing import Any, TypeVar

from aiohttp import web

from ._app import CosApp
from ._faults import DEFAULT_REQUEST_LOG_SIZE, FaultInjector, RequestLog
from ._protocol import MAX_FIELD_SIZE, MAX_HEADERS, MAX_LINE_SIZE, CosHttpServer
from ._state import ServerCredential
from ._store import Acl, Store

__all__ = [
    "DEFAULT_APPID",
    "DEFAULT_BODY_TIMEOUT",
    "DEFAULT_IDLE_TIMEOUT",
    "DEFAULT_REGION",
    "DEFAULT_REQUEST_LOG_SIZE",
    "DEFAULT_SECRET_ID",
    "DEFAULT_SECRET_KEY",
    "LocalCosServer",
    "ThreadedLocalCosServer",
]

#: Well-known test credentials the server accepts unless told otherwise (never real keys).
DEFAULT_SECRET_ID = "AKIDLocalCosTestingSecretId0000000000"
DEFAULT_SECRET_KEY = "LocalCosTestingSecretKey00000000"
DEFAULT_REGION = "ap-guangzhou"
DEFAULT_APPID = "1250000000"
#: Seconds a connection may stay without a complete request head: idle between requests
#: (keep-alive) or sending a head slowly. Longer than the keep-alive of aiohttp's client pool
#: (15 s), so that pooled connections are closed by the client, not under it.
DEFAULT_IDLE_TIMEOUT = 30.0
#: Seconds a request body may stall (no byte arriving while the server waits for one) before
#: the server answers 400 ``RequestTimeout`` and closes the connection.
DEFAULT_BODY_TIMEOUT = 30.0

T = TypeVar("T")


class LocalCosServer:
    """A COS-compatible server on ``host:port`` (``port=0`` picks a free one).

    Use ``async with LocalCosServer() as server`` inside an event loop, or
    ``with LocalCosServer.run_in_thread() as server`` from synchronous code.

    ``credentials`` replaces the default key pair (``DEFAULT_SECRET_ID``/``DEFAULT_SECRET_KEY``);
    give a :class:`ServerCredential` a ``token`` to model temporary (STS) keys. ``data_dir`` keeps
    everything on disk across restarts. ``fast_etag`` derives ETags from the CRC64 instead of MD5
    (COS uses MD5; MD5 costs ~1.3 CPU s/GiB, which on a small machine makes the server, not the
    client, the bottleneck of a benchmark). ``restore_delay`` is how long a restore of an archived
    object takes. ``keep_received_chunks`` keeps uploaded bodies in memory as the chunks they
    arrived in instead of copying them into pooled buffers: one copy less per byte, but without
    a pool every upload needs memory of its own, which costs a page fault per 4 KiB unless the
    process keeps freed memory (``python -m cos_async.testing`` arranges that with glibc).
    ``ssl_context`` (a server-side context with a certificate loaded) serves HTTPS instead.

    ``idle_timeout`` closes connections that send no complete request head for that long (idle
    keep-alive connections, slowly sent heads); ``body_timeout`` answers 400 ``RequestTimeout``
    to a request whose body stalls that long (detected within twice that). ``request_log_size``
    is how many of the most recent requests :attr:`requests` keeps (``None``: all of them).
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        data_dir: str | os.PathLike[str] | None = None,
        credentials: Iterable[ServerCredential] | None = None,
        region: str = DEFAULT_REGION,
        appid: str = DEFAULT_APPID,
        fast_etag: bool = False,
        restore_delay: float = 0.0,
        clock: Callable[[], float] = time.time,
        keep_received_chunks: bool = False,
        ssl_context: ssl.SSLContext | None = None,
        idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
        body_timeout: float = DEFAULT_BODY_TIMEOUT,
        request_log_size: int | None = DEFAULT_REQUEST_LOG_SIZE,
    ) -> None:
        for name, value in (("idle_timeout", idle_timeout), ("body_timeout", body_timeout)):
            if not isinstance(value, int | float) or isinstance(value, bool) or not value > 0:
                raise ValueError(f"{name} must be a positive number of seconds, got {value!r}")
        self.host = host
        self._requested_port = port
        self.port = port
        self.region = region
        self.appid = appid
        self.credentials = (
            list(credentials)
            if credentials is not None
            else [ServerCredential(DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY)]
        )
        if not self.credentials:
            raise ValueError("credentials must not be empty")
        self.faults = FaultInjector()
        self.requests = RequestLog(maxlen=request_log_size)
        self.idle_timeout = float(idle_timeout)
        self.body_timeout = float(body_timeout)
        self.store = Store(data_dir, keep_chunks=keep_received_chunks)
        self.ssl_context = ssl_context
        self.app = CosApp(
            store=self.store,
            credentials=self.credentials,
            region=region,
            appid=appid,
            faults=self.faults,
            requests=self.requests,
            fast_etag=fast_etag,
            restore_delay=restore_delay,
            clock=clock,
            body_timeout=self.body_timeout,
        )
        self._runner: web.ServerRunner | None = None
        self._bucket_counter = 0

    @property
    def secret_id(self) -> str:
        """The SecretId of the first accepted key pair (what a client should sign with)."""
        return self.credentials[0].secret_id

    @property
    def secret_key(self) -> str:
        """The SecretKey of the first accepted key pair."""
        return self.credentials[0].secret_key

    @property
    def endpoint(self) -> str:
        """``http://host:port`` (``https://`` with an ``ssl_context``; path-style requests:
        ``{endpoint}/{bucket}/{key}``)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        scheme = "https" if self.ssl_context is not None else "http"
        return f"{scheme}://{host}:{self.port}"

    def storage_options(self) -> dict[str, str]:
        """The options of a ``cos://`` filesystem (:mod:`cos_async.fs`) on this server: its
        region, keys and endpoint, for ``fsspec.filesystem("cos", **options)`` or as the
        ``storage_options=`` of pandas, Dask and Ray."""
        return {
            "region": self.region,
            "secret_id": self.secret_id,
            "secret_key": self.secret_key,
            "endpoint_url": self.endpoint,
        }

    async def start(self) -> None:
        """Bind and start serving (``port`` is then the actual port)."""
        if self._runner is not None:
            raise RuntimeError("the server is already running")
        http_server = CosHttpServer(
            self.app.handle,
            loop=asyncio.get_running_loop(),
            keepalive_timeout=self.idle_timeout,
            max_line_size=MAX_LINE_SIZE,
            max_field_size=MAX_FIELD_SIZE,
            max_headers=MAX_HEADERS,
            # a body sent with Content-Encoding: gzip is stored as sent
            auto_decompress=False,
            access_log=None,
        )
        runner = web.ServerRunner(http_server, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(
            runner,
            self.host,
            self._requested_port,
            reuse_address=True,
            ssl_context=self.ssl_context,
        )
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        listening = site._server
        assert listening is not None
        sockets = getattr(listening, "sockets", None) or []
        self.port = sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Stop serving (idempotent)."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> LocalCosServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    def create_bucket(
        self, name: str | None = None, *, acl: str = "private", region: str | None = None
    ) -> str:
        """Create a bucket directly in the store (no request); returns its name.

        Without a name, a fresh ``test-<n>-<appid>`` name is chosen. ``region``: a bucket of
        another region than the server's (the source of a cross-region copy names it). Call it
        on the server's loop (or through :class:`ThreadedLocalCosServer`, which does that for
        you).
        """
        if name is None:
            while True:
                self._bucket_counter += 1
                name = f"test-{self._bucket_counter}-{self.appid}"
                if name not in self.store.buckets:
                    break
        if name in self.store.buckets:
            raise ValueError(f"bucket {name!r} already exists")
        self.store.create_bucket(name, region or self.region, Acl(canned=acl))
        return name

    def delete_bucket(self, name: str) -> None:
        """Remove a bucket and everything in it (objects, versions, uploads)."""
        state = self.store.buckets.get(name)
        if state is None:
            return
        for key in list(state.objects):
            for v in list(state.objects.get(key, [])):
                self.store.remove_version(state, key, v.version_id)
        self.store.delete_bucket(name)

    def host_for(self, bucket: str) -> str:
        """The virtual-hosted COS host name of a bucket (what the official SDK sends as Host)."""
        return f"{bucket}.cos.{self.region}.myqcloud.com"

    @classmethod
    def run_in_thread(cls, **kwargs: Any) -> ThreadedLocalCosServer:
        """A server on its own event loop thread, for synchronous code (a context manager)."""
        return ThreadedLocalCosServer(cls(**kwargs))


class ThreadedLocalCosServer:
    """A :class:`LocalCosServer` running on a private event loop in a daemon thread."""

    def __init__(self, server: LocalCosServer) -> None:
        self.server = server
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.server, name)

    @property
    def endpoint(self) -> str:
        """``http://host:port`` of the running server."""
        return self.server.endpoint

    def storage_options(self) -> dict[str, str]:
        """:meth:`LocalCosServer.storage_options`: the options of a ``cos://`` filesystem on
        this server."""
        return self.server.storage_options()

    def start(self) -> ThreadedLocalCosServer:
        """Start the server on a new daemon thread and wait until it listens."""
        if self._thread is not None:
            raise RuntimeError("the server is already running")
        loop = asyncio.new_event_loop()
        started = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self.server.start())
            except BaseException as exc:  # reported to the starting thread
                failure.append(exc)
                started.set()
                loop.close()
                return
            started.set()
            loop.run_forever()
            loop.run_until_complete(self.server.stop())
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

        thread = threading.Thread(target=run, name="cos-async-local-server", daemon=True)
        thread.start()
        started.wait()
        if failure:
            thread.join()
            raise failure[0]
        self._loop = loop
        self._thread = thread
        return self

    def stop(self) -> None:
        """Stop the server and its thread (idempotent)."""
        loop, thread = self._loop, self._thread
        self._loop = self._thread = None
        if loop is None or thread is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=30)

    def call(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a plain function on the server's loop thread and return its result."""
        if self._loop is None:
            raise RuntimeError("the server is not running")

        async def _run() -> T:
            return fn(*args)

        return self.run(_run())

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine on the server's loop and wait for it."""
        if self._loop is None:
            coro.close()
            raise RuntimeError("the server is not running")
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result()

    def create_bucket(
        self, name: str | None = None, *, acl: str = "private", region: str | None = None
    ) -> str:
        """:meth:`LocalCosServer.create_bucket`, run on the server's thread."""
        return self.call(lambda: self.server.create_bucket(name, acl=acl, region=region))

    def delete_bucket(self, name: str) -> None:
        """:meth:`LocalCosServer.delete_bucket`, run on the server's thread."""
        self.call(self.server.delete_bucket, name)

    def __enter__(self) -> ThreadedLocalCosServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
