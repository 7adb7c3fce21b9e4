"""Client-side encryption for the blocking client: :class:`CosEncryptionClient`.

    from cos_sync import CosClient
    from cos_sync.crypto import AesKeyProvider, CosEncryptionClient

    with CosClient(config) as cos:
        enc = CosEncryptionClient(cos, AesKeyProvider.from_base64(master_key))
        enc.upload_file(bucket, "secret.bin", "secret.bin")

The methods of :class:`cos_async.crypto.AsyncCosEncryptionClient` as plain calls, run on the
client's private loop thread (as :class:`~cos_sync.CosClient` runs its own); the providers and
errors are ``cos_async.crypto``'s. Needs the ``crypto`` extra.
"""

from __future__ import annotations

import inspect
import threading
import typing
from collections.abc import Awaitable, Callable
from typing import Any, Concatenate, ParamSpec, TypeVar

import cos_async
from cos_async import AsyncCosClient
from cos_async.crypto import (
    AesKeyProvider,
    AsyncCosEncryptionClient,
    DecryptionError,
    KeyProvider,
    RsaKeyProvider,
    WrappedKey,
)

from ._client import PREFETCH_LIMIT, CosClient, ObjectBody

__all__ = [
    "AesKeyProvider",
    "CosEncryptionClient",
    "DecryptionError",
    "KeyProvider",
    "RsaKeyProvider",
    "WrappedKey",
]

P = ParamSpec("P")
R = TypeVar("R")


def _blocking(
    afn: Callable[Concatenate[AsyncCosEncryptionClient, P], Awaitable[R]],
) -> Callable[Concatenate[CosEncryptionClient, P], R]:
    """A blocking method running ``afn`` on the client's loop thread (signature, docstring and
    evaluated type hints kept, as ``cos_sync`` mirrors do)."""

    def method(self: CosEncryptionClient, /, *args: P.args, **kwargs: P.kwargs) -> R:
        return self._call(afn, args, kwargs)

    _describe(method, afn)
    return method


def _describe(method: Callable[..., Any], afn: Callable[..., Any]) -> None:
    """Give the blocking ``method`` the name, docstring, signature and evaluated type hints of
    the async ``afn``."""
    method.__name__ = afn.__name__
    method.__qualname__ = f"CosEncryptionClient.{afn.__name__}"
    method.__doc__ = afn.__doc__
    method.__module__ = __name__
    method.__signature__ = inspect.signature(afn)  # type: ignore[attr-defined]
    method.__annotations__ = typing.get_type_hints(afn)


def _blocking_body(
    afn: Callable[Concatenate[AsyncCosEncryptionClient, P], Awaitable[cos_async.ObjectBody]],
) -> Callable[Concatenate[CosEncryptionClient, P], ObjectBody]:
    """``get_object``: the async body wrapped in a blocking :class:`cos_sync.ObjectBody`; a
    small body is read in the same hop onto the loop thread, as ``CosClient.get_object``
    does."""

    def method(self: CosEncryptionClient, /, *args: P.args, **kwargs: P.kwargs) -> ObjectBody:
        lt, client = self._client._ensure()
        enc = self._for(client)

        async def run() -> tuple[cos_async.ObjectBody, bytes | None, cos_async.CosError | None]:
            body = await afn(enc, *args, **kwargs)
            if body.size > PREFETCH_LIMIT:
                return body, None, None
            try:
                return body, await body.read(), None
            except cos_async.CosError as exc:  # reported by read() / iter_chunks() / save()
                return body, None, exc

        body, data, error = lt.run(run)
        return ObjectBody(lt, body, prefetched=data, error=error)

    _describe(method, afn)
    method.__signature__ = inspect.signature(afn).replace(  # type: ignore[attr-defined]
        return_annotation="ObjectBody"
    )
    method.__annotations__["return"] = ObjectBody
    return method


class CosEncryptionClient:
    """The blocking :class:`cos_async.crypto.AsyncCosEncryptionClient`: client-side
    encryption over an open :class:`cos_sync.CosClient` (sharing its pool and loop thread;
    closing the client ends it), interoperable with the official SDK's ``CosEncryptionClient``.
    One may be shared by many threads."""

    def __init__(
        self, client: CosClient, provider: KeyProvider, *, allow_unencrypted: bool = False
    ) -> None:
        if not isinstance(client, CosClient):
            raise cos_async.InvalidArgument(
                f"client must be a cos_sync.CosClient, got {type(client).__name__}"
            )
        _, async_client = client._ensure()
        self._client = client
        self._lock = threading.Lock()
        # built now, so that a bad provider is refused here
        self._async = AsyncCosEncryptionClient(
            async_client, provider, allow_unencrypted=allow_unencrypted
        )

    @property
    def client(self) -> CosClient:
        """The client this one encrypts for."""
        return self._client

    @property
    def provider(self) -> KeyProvider:
        """The key provider."""
        return self._async.provider

    def _for(self, client: AsyncCosClient) -> AsyncCosEncryptionClient:
        """The async wrapper over the sync client's current async client (a new one after a
        fork)."""
        with self._lock:
            if self._async.client is not client:
                self._async = self._async._rebound(client)
            return self._async

    def _call(
        self,
        afn: Callable[..., Awaitable[R]],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> R:
        def run(client: AsyncCosClient, *a: Any, **k: Any) -> Awaitable[R]:
            return afn(self._for(client), *a, **k)

        return self._client._call(run, args, kwargs)

    get_object = _blocking_body(AsyncCosEncryptionClient.get_object)
    put_object = _blocking(AsyncCosEncryptionClient.put_object)
    upload_file = _blocking(AsyncCosEncryptionClient.upload_file)
    upload_stream = _blocking(AsyncCosEncryptionClient.upload_stream)
    download_file = _blocking(AsyncCosEncryptionClient.download_file)
    create_multipart_upload = _blocking(AsyncCosEncryptionClient.create_multipart_upload)
    upload_part = _blocking(AsyncCosEncryptionClient.upload_part)
    complete_multipart_upload = _blocking(AsyncCosEncryptionClient.complete_multipart_upload)
    abort_multipart_upload = _blocking(AsyncCosEncryptionClient.abort_multipart_upload)

    def __repr__(self) -> str:
        return f"cos_sync.crypto.CosEncryptionClient({self._client!r}, {self.provider!r})"
