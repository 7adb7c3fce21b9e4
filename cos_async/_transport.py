"""The HTTP layer: one aiohttp session (connection pool) per client. The only aiohttp importer.

The session is created lazily inside the first coroutine (aiohttp needs a running loop) and is
bound to that loop: using the client from another event loop raises a clear error instead of
aiohttp's "attached to a different loop". aiohttp exceptions are mapped here, once, to
:class:`CosTransportError` / :class:`CosTimeoutError` (``raise ... from exc``).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import ssl
from collections.abc import AsyncGenerator, Iterator, Mapping
from typing import Any

import aiohttp
from multidict import CIMultiDictProxy
from yarl import URL

from ._config import CosConfig
from ._errors import CosClientError, CosTimeoutError, CosTransportError

__all__ = ["Response", "Transport", "map_transport_errors"]


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


class Response:
    """A received response head; the body is read with :meth:`read` or streamed."""

    def __init__(self, resp: aiohttp.ClientResponse) -> None:
        self._resp = resp
        self.status = resp.status
        self.headers: CIMultiDictProxy[str] = resp.headers
        self.what = f"{resp.method} {resp.url.host}{resp.url.raw_path}"

    @property
    def request_id(self) -> str | None:
        return self.headers.get("x-cos-request-id")

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
        """Drop the connection (for a body abandoned half-read)."""
        self._resp.close()


class Transport:
    def __init__(self, config: CosConfig) -> None:
        self.config = config
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pid = os.getpid()
        self._closed = False

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
            ssl_arg: Any = None if cfg.verify_ssl else False
            if cfg.verify_ssl is True and cfg.scheme == "https":
                ssl_arg = ssl.create_default_context()
            connector = aiohttp.TCPConnector(
                limit=cfg.pool_size,
                limit_per_host=cfg.pool_size,
                ssl=ssl_arg if ssl_arg is not None else True,
                enable_cleanup_closed=True,
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
            )
        return Response(resp)

    async def close(self) -> None:
        self._closed = True
        session, self._session = self._session, None
        if session is not None and self._pid == os.getpid():
            await session.close()

    @property
    def closed(self) -> bool:
        return self._closed
