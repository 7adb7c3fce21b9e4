"""``CosClient``: every operation of ``cos_async.AsyncCosClient`` as a plain blocking call.

Each method is one declarative line (``put_object = _method(AsyncCosClient.put_object)``): the
descriptor runs the very same coroutine on the private loop thread (see ``_portal``) and keeps its
signature, for readers and for mypy. Async iterators become generators driven by one task;
``get_object`` returns a blocking :class:`ObjectBody`.
"""

from __future__ import annotations

import abc
import contextlib
import functools
import inspect
import os
import queue
import threading
import types
import typing
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Concatenate, Generic, ParamSpec, TypeVar, overload

import cos_async
from cos_async import AsyncCosClient, CosConfig, ObjectMeta
from cos_async._body import write_atomically
from cos_async._models import RequestHook, ResponseHook
from cos_async._progress import check_progress

from . import _portal

__all__ = ["CosClient", "ObjectBody", "RawResponse"]

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")
B = TypeVar("B", bound=cos_async.ObjectBody)

#: ``get_object`` bodies up to this size are read in the same hop onto the loop thread
PREFETCH_LIMIT = 256 * 1024


def _sync_signature(afn: Callable[..., Any]) -> inspect.Signature:
    sig = inspect.signature(afn)
    params = list(sig.parameters.values())[1:]  # drop self
    return sig.replace(parameters=params)


class _Mirror(abc.ABC):
    """A blocking mirror of an async method of AsyncCosClient: a descriptor that, read from the
    class, gives a plain function (with the blocking signature, the async method's docstring
    and evaluated type hints, for ``help()``, ``inspect`` and ``typing.get_type_hints``) and,
    read from an instance, that function bound as a method."""

    def __init__(self, afn: Callable[..., Any], signature: inspect.Signature, returns: Any):
        self.afn = afn
        self.__doc__ = afn.__doc__
        self.signature = signature
        self._returns = returns
        self._unbound: Callable[..., Any] | None = None

    @abc.abstractmethod
    def _run(self, obj: CosClient, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """Run the async method for ``obj`` with ``args`` and ``kwargs``, blocking."""

    def __set_name__(self, owner: type[Any], name: str) -> None:
        run = self._run

        def method(self: CosClient, /, *args: Any, **kwargs: Any) -> Any:
            return run(self, args, kwargs)

        method.__name__ = name
        method.__qualname__ = f"{owner.__name__}.{name}"
        method.__doc__ = self.afn.__doc__
        method.__module__ = owner.__module__
        this = inspect.Parameter("self", inspect.Parameter.POSITIONAL_ONLY)
        method.__signature__ = self.signature.replace(  # type: ignore[attr-defined]
            parameters=[this, *self.signature.parameters.values()]
        )
        # evaluated here, where the async method's names resolve: get_type_hints() of the
        # mirror then needs nothing from this module
        hints = typing.get_type_hints(self.afn)
        hints.pop("self", None)
        hints["return"] = self._returns(hints.get("return"))
        method.__annotations__ = hints
        self._unbound = method

    def __get__(self, obj: CosClient | None, owner: type[Any]) -> Any:
        assert self._unbound is not None, "a mirror must be a class attribute"
        if obj is None:
            return self._unbound
        return types.MethodType(self._unbound, obj)


def _same(returns: Any) -> Any:
    return returns


class _Method(_Mirror, Generic[P, R]):
    """A blocking mirror of a coroutine method of AsyncCosClient."""

    def __init__(self, afn: Callable[Concatenate[AsyncCosClient, P], Awaitable[R]]) -> None:
        super().__init__(afn, _sync_signature(afn), _same)

    def _run(self, obj: CosClient, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        return obj._call(self.afn, args, kwargs)

    if TYPE_CHECKING:

        @overload
        def __get__(
            self, obj: None, owner: type[Any]
        ) -> Callable[Concatenate[CosClient, P], R]: ...
        @overload
        def __get__(self, obj: CosClient, owner: type[Any]) -> Callable[P, R]: ...
        def __get__(self, obj: CosClient | None, owner: type[Any]) -> Any: ...


def _generator(returns: Any) -> Any:
    """``AsyncIterator[X]`` -> ``Generator[X, None, None]``."""
    (item,) = typing.get_args(returns) or (Any,)
    return Generator[item, None, None]  # type: ignore[valid-type]


class _Iter(_Mirror, Generic[P, T]):
    """A blocking mirror of an async-generator method: a generator driven by one task.
    ``batched``: small items (a listing's) cross to the caller's thread a page at a time."""

    def __init__(
        self,
        afn: Callable[Concatenate[AsyncCosClient, P], AsyncIterator[T]],
        *,
        batched: bool = False,
    ) -> None:
        self.batched = batched
        sig = _sync_signature(afn)
        ret = sig.return_annotation  # "AsyncIterator[X]" -> "Generator[X, None, None]"
        if isinstance(ret, str) and ret.startswith("AsyncIterator[") and ret.endswith("]"):
            ret = f"Generator[{ret[len('AsyncIterator[') : -1]}, None, None]"
        super().__init__(afn, sig.replace(return_annotation=ret), _generator)

    def _run(self, obj: CosClient, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        lt, client = obj._ensure()
        return lt.iterate(self.afn(client, *args, **kwargs), batched=self.batched)

    if TYPE_CHECKING:

        @overload
        def __get__(
            self, obj: None, owner: type[Any]
        ) -> Callable[Concatenate[CosClient, P], Generator[T, None, None]]: ...
        @overload
        def __get__(
            self, obj: CosClient, owner: type[Any]
        ) -> Callable[P, Generator[T, None, None]]: ...
        def __get__(self, obj: CosClient | None, owner: type[Any]) -> Any: ...


def _sync_body(returns: Any) -> Any:
    return RawResponse if returns is cos_async.RawResponse else ObjectBody


class _Body(_Mirror, Generic[P, B]):
    """``get_object`` (and ``request``): the async body wrapped in a blocking
    :class:`ObjectBody` (:class:`RawResponse`)."""

    def __init__(
        self,
        afn: Callable[Concatenate[AsyncCosClient, P], Awaitable[B]],
        wrap: type[ObjectBody] | None = None,
    ) -> None:
        self._wrap = wrap if wrap is not None else ObjectBody
        super().__init__(
            afn,
            _sync_signature(afn).replace(return_annotation=self._wrap.__name__),
            _sync_body,
        )

    def _run(self, obj: CosClient, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        lt, client = obj._ensure()
        afn = self.afn

        async def run() -> tuple[cos_async.ObjectBody, bytes | None, cos_async.CosError | None]:
            body = await afn(client, *args, **kwargs)
            if body.size > PREFETCH_LIMIT:
                return body, None, None
            # A small body is read in the same hop onto the loop (one round trip instead of
            # two); a failure of that read is reported by read()/iter_chunks()/save().
            try:
                return body, await body.read(), None
            except cos_async.CosError as exc:
                return body, None, exc

        body, data, error = lt.run(run)
        return self._wrap(lt, body, prefetched=data, error=error)

    if TYPE_CHECKING:

        @overload
        def __get__(
            self, obj: None, owner: type[Any]
        ) -> Callable[Concatenate[CosClient, P], ObjectBody]: ...
        @overload
        def __get__(self, obj: CosClient, owner: type[Any]) -> Callable[P, ObjectBody]: ...
        def __get__(self, obj: CosClient | None, owner: type[Any]) -> Any: ...


class _Raw(_Body[P, cos_async.RawResponse]):
    """``request``: a blocking :class:`RawResponse`."""

    def __init__(
        self, afn: Callable[Concatenate[AsyncCosClient, P], Awaitable[cos_async.RawResponse]]
    ) -> None:
        super().__init__(afn, RawResponse)

    if TYPE_CHECKING:

        @overload
        def __get__(
            self, obj: None, owner: type[Any]
        ) -> Callable[Concatenate[CosClient, P], RawResponse]: ...
        @overload
        def __get__(self, obj: CosClient, owner: type[Any]) -> Callable[P, RawResponse]: ...
        def __get__(self, obj: CosClient | None, owner: type[Any]) -> Any: ...


class ObjectBody:
    """The blocking body of ``get_object``: ``read()``, ``iter_chunks()``, ``save()``; a context
    manager (closing releases the connection)."""

    def __init__(
        self,
        loop: _portal.LoopThread,
        body: cos_async.ObjectBody,
        *,
        prefetched: bytes | None = None,
        error: cos_async.CosError | None = None,
    ) -> None:
        self._loop = loop
        self._body = body
        self._data = prefetched
        self._error = error
        self._done = prefetched is not None or error is not None
        self._closed = self._done

    def _take(self) -> bytes:
        """The prefetched body (or its deferred error), once."""
        if self._error is not None:
            error, self._error = self._error, None
            self._data = None
            raise error
        if self._data is None:
            raise cos_async.InvalidArgument("the body was already read")
        data, self._data = self._data, None
        return data

    @property
    def meta(self) -> ObjectMeta:
        """What the GET answer said about the object (size, ETag, CRC64, metadata...)."""
        return self._body.meta

    @property
    def size(self) -> int:
        """Bytes in this body (the range length for a ranged GET)."""
        return self._body.size

    @property
    def crc64(self) -> int | None:
        """CRC64 of what was read, once a verified read is complete (else ``None``)."""
        return self._body.crc64

    def read(self) -> bytes:
        """The whole body (the connection is released at the end)."""
        self._closed = True
        if self._done:
            return self._take()
        return self._loop.run(self._body.read)

    def iter_chunks(self, size: int | None = None) -> Generator[bytes, None, None]:
        """The body as it arrives, or in pieces of exactly ``size`` bytes (the last shorter)."""
        if size is not None and size < 1:
            raise cos_async.InvalidArgument(f"chunk size must be >= 1, got {size}")
        self._closed = True
        if self._done:
            return _slices(self._take(), size)
        return self._loop.iterate(self._body.iter_chunks(size))

    def save(self, path: str | os.PathLike[str]) -> int:
        """Write the body to ``path`` atomically; returns its size."""
        self._closed = True
        if self._done:
            return write_atomically(path, self._take())
        return self._loop.run(lambda: self._body.save(path))

    def close(self) -> None:
        """Release the connection without reading the rest (idempotent)."""
        if not self._closed:
            self._closed = True
            self._loop.run(self._body.aclose)

    def __enter__(self) -> ObjectBody:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"cos_sync.ObjectBody(size={self.size}, etag={self.meta.etag!r})"


class RawResponse(ObjectBody):
    """The blocking answer of ``request``: ``status``, ``headers``, ``request_id``, and the
    body to ``read()``, ``iter_chunks()`` or ``save()`` (a context manager, as ObjectBody)."""

    _body: cos_async.RawResponse

    @property
    def status(self) -> int:
        """The HTTP status (2xx: an error answer raises instead)."""
        return self._body.status

    @property
    def headers(self) -> Mapping[str, str]:
        """The response headers."""
        return self._body.headers

    @property
    def request_id(self) -> str | None:
        """COS's ``x-cos-request-id`` of the answer."""
        return self._body.request_id

    def __repr__(self) -> str:
        return f"cos_sync.RawResponse(status={self.status}, request_id={self.request_id!r})"


def _slices(data: bytes, size: int | None) -> Generator[bytes, None, None]:
    if size is None:
        if data:
            yield data
        return
    for off in range(0, len(data), size):
        yield data[off : off + size]


class CosClient:
    """The blocking COS client: the methods of :class:`cos_async.AsyncCosClient` as plain calls.

    Use ``with CosClient(config) as cos:`` (or call ``close()``). One client may be shared by many
    threads. It keeps working in a child process after ``fork()`` (with a fresh connection pool).
    """

    def __init__(
        self,
        config: CosConfig,
        *,
        on_request: RequestHook | None = None,
        on_response: ResponseHook | None = None,
    ) -> None:
        """``on_request`` / ``on_response``: hooks as for :class:`cos_async.AsyncCosClient`;
        they run on the private loop thread, not on the caller's thread."""
        if not isinstance(config, CosConfig):
            raise cos_async.InvalidArgument(
                f"config must be a CosConfig, got {type(config).__name__}"
            )
        self._config = config
        self._hooks: dict[str, Any] = {"on_request": on_request, "on_response": on_response}
        # built (and its arguments checked) before the loop thread is acquired
        self._async: AsyncCosClient | None = AsyncCosClient(config, **self._hooks)
        self._lock = threading.Lock()
        self._closed = False
        self._pid = os.getpid()
        self._loop: _portal.LoopThread | None = _portal.acquire()

    @property
    def config(self) -> CosConfig:
        """The configuration this client was built with."""
        return self._config

    def _ensure(self) -> tuple[_portal.LoopThread, AsyncCosClient]:
        with self._lock:
            if self._closed:
                raise cos_async.CosClientError("the client is closed")
            if self._pid != os.getpid():
                # A forked child: the parent's loop thread and pool are not ours to use.
                if self._async is not None:
                    # its pool belongs to the parent's loop: neither used nor closed (closing
                    # would act on the parent's sockets), nor ever finalized
                    _portal.keep_forever(self._async)
                    if self._loop is not None:
                        _portal.keep_forever(self._loop)
                self._pid = os.getpid()
                self._loop = _portal.acquire()
                self._async = AsyncCosClient(self._config, **self._hooks)
            assert self._loop is not None
            assert self._async is not None
            return self._loop, self._async

    def _call(
        self,
        afn: Callable[..., Awaitable[R]],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> R:
        lt, client = self._ensure()
        callbacks: queue.SimpleQueue[Callable[[], object]] | None = None
        progress = check_progress(kwargs.get("progress"))  # refused here, on the caller's thread
        if progress is not None:
            # Progress callbacks run on the caller's thread, while it waits for the result.
            callbacks = queue.SimpleQueue()
            sink = callbacks

            def relay(report: Any) -> None:
                sink.put(functools.partial(progress, report))

            kwargs = {**kwargs, "progress": relay}

        async def run() -> R:
            return await afn(client, *args, **kwargs)

        return lt.run(run, callbacks)

    def close(self) -> None:
        """Close the client (idempotent), as ``AsyncCosClient.aclose``: calls other threads
        are in fail with :class:`CosClientError`, transfers abort their multipart uploads; the
        last client to close stops the loop thread."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            lt, client = self._loop, self._async
            self._loop = self._async = None
        if lt is None or client is None:
            return
        if self._pid == os.getpid():
            try:
                lt.run(client.aclose)
            finally:
                _portal.release(lt)

    def __enter__(self) -> CosClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __del__(self) -> None:
        if getattr(self, "_closed", True):
            return
        lt, client = self._loop, self._async
        self._closed = True
        if lt is not None and client is not None and self._pid == os.getpid():
            with contextlib.suppress(RuntimeError):  # the loop is gone (interpreter shutdown)
                lt.loop.call_soon_threadsafe(
                    lambda: lt.loop.create_task(_close_then_release(lt, client))
                )
        # last: under -W error the warning raises here, and the cleanup must already be on its way
        warnings.warn(
            f"unclosed {self!r}: call close() or use 'with CosClient(...)'",
            ResourceWarning,
            source=self,
            stacklevel=2,
        )

    def __repr__(self) -> str:
        return f"CosClient(region={self._config.region!r})"

    # --- the mirrored surface: one line per method ----------------------------------------

    def object_url(self, bucket: str, key: str) -> str:
        """The unsigned URL of an object (no request is sent)."""
        _, client = self._ensure()
        return client.object_url(bucket, key)

    get_object = _Body(AsyncCosClient.get_object)
    request = _Raw(AsyncCosClient.request)
    list_buckets = _Iter(AsyncCosClient.list_buckets, batched=True)
    list_buckets_page = _Method(AsyncCosClient.list_buckets_page)
    create_bucket = _Method(AsyncCosClient.create_bucket)
    head_bucket = _Method(AsyncCosClient.head_bucket)
    bucket_exists = _Method(AsyncCosClient.bucket_exists)
    delete_bucket = _Method(AsyncCosClient.delete_bucket)
    get_bucket_location = _Method(AsyncCosClient.get_bucket_location)
    put_bucket_acl = _Method(AsyncCosClient.put_bucket_acl)
    get_bucket_acl = _Method(AsyncCosClient.get_bucket_acl)
    put_bucket_cors = _Method(AsyncCosClient.put_bucket_cors)
    get_bucket_cors = _Method(AsyncCosClient.get_bucket_cors)
    delete_bucket_cors = _Method(AsyncCosClient.delete_bucket_cors)
    put_bucket_lifecycle = _Method(AsyncCosClient.put_bucket_lifecycle)
    get_bucket_lifecycle = _Method(AsyncCosClient.get_bucket_lifecycle)
    delete_bucket_lifecycle = _Method(AsyncCosClient.delete_bucket_lifecycle)
    put_bucket_versioning = _Method(AsyncCosClient.put_bucket_versioning)
    get_bucket_versioning = _Method(AsyncCosClient.get_bucket_versioning)
    put_bucket_replication = _Method(AsyncCosClient.put_bucket_replication)
    get_bucket_replication = _Method(AsyncCosClient.get_bucket_replication)
    delete_bucket_replication = _Method(AsyncCosClient.delete_bucket_replication)
    put_bucket_tagging = _Method(AsyncCosClient.put_bucket_tagging)
    get_bucket_tagging = _Method(AsyncCosClient.get_bucket_tagging)
    delete_bucket_tagging = _Method(AsyncCosClient.delete_bucket_tagging)
    put_bucket_website = _Method(AsyncCosClient.put_bucket_website)
    get_bucket_website = _Method(AsyncCosClient.get_bucket_website)
    delete_bucket_website = _Method(AsyncCosClient.delete_bucket_website)
    put_bucket_inventory = _Method(AsyncCosClient.put_bucket_inventory)
    get_bucket_inventory = _Method(AsyncCosClient.get_bucket_inventory)
    delete_bucket_inventory = _Method(AsyncCosClient.delete_bucket_inventory)
    list_bucket_inventory_configurations = _Method(
        AsyncCosClient.list_bucket_inventory_configurations
    )
    put_bucket_logging = _Method(AsyncCosClient.put_bucket_logging)
    get_bucket_logging = _Method(AsyncCosClient.get_bucket_logging)
    put_bucket_policy = _Method(AsyncCosClient.put_bucket_policy)
    get_bucket_policy = _Method(AsyncCosClient.get_bucket_policy)
    delete_bucket_policy = _Method(AsyncCosClient.delete_bucket_policy)
    put_bucket_referer = _Method(AsyncCosClient.put_bucket_referer)
    get_bucket_referer = _Method(AsyncCosClient.get_bucket_referer)
    delete_bucket_referer = _Method(AsyncCosClient.delete_bucket_referer)
    put_bucket_domain = _Method(AsyncCosClient.put_bucket_domain)
    get_bucket_domain = _Method(AsyncCosClient.get_bucket_domain)
    delete_bucket_domain = _Method(AsyncCosClient.delete_bucket_domain)
    put_bucket_encryption = _Method(AsyncCosClient.put_bucket_encryption)
    get_bucket_encryption = _Method(AsyncCosClient.get_bucket_encryption)
    delete_bucket_encryption = _Method(AsyncCosClient.delete_bucket_encryption)
    put_bucket_intelligent_tiering = _Method(AsyncCosClient.put_bucket_intelligent_tiering)
    get_bucket_intelligent_tiering = _Method(AsyncCosClient.get_bucket_intelligent_tiering)
    put_bucket_object_lock = _Method(AsyncCosClient.put_bucket_object_lock)
    get_bucket_object_lock = _Method(AsyncCosClient.get_bucket_object_lock)
    put_bucket_origin = _Method(AsyncCosClient.put_bucket_origin)
    get_bucket_origin = _Method(AsyncCosClient.get_bucket_origin)
    delete_bucket_origin = _Method(AsyncCosClient.delete_bucket_origin)
    put_bucket_response_control = _Method(AsyncCosClient.put_bucket_response_control)
    get_bucket_response_control = _Method(AsyncCosClient.get_bucket_response_control)
    delete_bucket_response_control = _Method(AsyncCosClient.delete_bucket_response_control)
    put_bucket_domain_certificate = _Method(AsyncCosClient.put_bucket_domain_certificate)
    get_bucket_domain_certificate = _Method(AsyncCosClient.get_bucket_domain_certificate)
    delete_bucket_domain_certificate = _Method(AsyncCosClient.delete_bucket_domain_certificate)
    put_bucket_intelligent_tiering_rule = _Method(
        AsyncCosClient.put_bucket_intelligent_tiering_rule
    )
    get_bucket_intelligent_tiering_rule = _Method(
        AsyncCosClient.get_bucket_intelligent_tiering_rule
    )
    delete_bucket_intelligent_tiering_rule = _Method(
        AsyncCosClient.delete_bucket_intelligent_tiering_rule
    )
    list_bucket_intelligent_tiering_configurations = _Method(
        AsyncCosClient.list_bucket_intelligent_tiering_configurations
    )
    post_bucket_inventory = _Method(AsyncCosClient.post_bucket_inventory)
    get_bucket_meta = _Method(AsyncCosClient.get_bucket_meta)
    put_object = _Method(AsyncCosClient.put_object)
    append_object = _Method(AsyncCosClient.append_object)
    head_object = _Method(AsyncCosClient.head_object)
    object_exists = _Method(AsyncCosClient.object_exists)
    delete_object = _Method(AsyncCosClient.delete_object)
    delete_objects = _Method(AsyncCosClient.delete_objects)
    list_objects_page = _Method(AsyncCosClient.list_objects_page)
    list_objects_pages = _Iter(AsyncCosClient.list_objects_pages)
    list_objects = _Iter(AsyncCosClient.list_objects, batched=True)
    list_dir = _Iter(AsyncCosClient.list_dir, batched=True)
    list_object_versions_page = _Method(AsyncCosClient.list_object_versions_page)
    list_object_versions = _Iter(AsyncCosClient.list_object_versions, batched=True)
    copy_object = _Method(AsyncCosClient.copy_object)
    restore_object = _Method(AsyncCosClient.restore_object)
    select_object_content = _Iter(AsyncCosClient.select_object_content)
    put_object_tagging = _Method(AsyncCosClient.put_object_tagging)
    get_object_tagging = _Method(AsyncCosClient.get_object_tagging)
    delete_object_tagging = _Method(AsyncCosClient.delete_object_tagging)
    put_object_acl = _Method(AsyncCosClient.put_object_acl)
    get_object_acl = _Method(AsyncCosClient.get_object_acl)
    put_symlink = _Method(AsyncCosClient.put_symlink)
    get_symlink = _Method(AsyncCosClient.get_symlink)
    change_object_storage_class = _Method(AsyncCosClient.change_object_storage_class)
    update_object_meta = _Method(AsyncCosClient.update_object_meta)
    put_async_fetch_task = _Method(AsyncCosClient.put_async_fetch_task)
    get_async_fetch_task = _Method(AsyncCosClient.get_async_fetch_task)
    create_multipart_upload = _Method(AsyncCosClient.create_multipart_upload)
    upload_part = _Method(AsyncCosClient.upload_part)
    upload_part_copy = _Method(AsyncCosClient.upload_part_copy)
    list_parts_page = _Method(AsyncCosClient.list_parts_page)
    list_parts = _Iter(AsyncCosClient.list_parts, batched=True)
    complete_multipart_upload = _Method(AsyncCosClient.complete_multipart_upload)
    abort_multipart_upload = _Method(AsyncCosClient.abort_multipart_upload)
    list_multipart_uploads_page = _Method(AsyncCosClient.list_multipart_uploads_page)
    list_multipart_uploads = _Iter(AsyncCosClient.list_multipart_uploads, batched=True)
    presign_url = _Method(AsyncCosClient.presign_url)
    get_auth = _Method(AsyncCosClient.get_auth)
    presign_post = _Method(AsyncCosClient.presign_post)
    options_object = _Method(AsyncCosClient.options_object)
    upload_file = _Method(AsyncCosClient.upload_file)
    upload_stream = _Method(AsyncCosClient.upload_stream)
    download_file = _Method(AsyncCosClient.download_file)
    download_fileobj = _Method(AsyncCosClient.download_fileobj)
    download_stream = _Iter(AsyncCosClient.download_stream)
    copy = _Method(AsyncCosClient.copy)
    upload_dir = _Method(AsyncCosClient.upload_dir)
    download_prefix = _Method(AsyncCosClient.download_prefix)
    delete_prefix = _Method(AsyncCosClient.delete_prefix)
    process_image = _Method(AsyncCosClient.process_image)
    get_image_info = _Method(AsyncCosClient.get_image_info)
    get_image_exif = _Method(AsyncCosClient.get_image_exif)
    get_image_average_color = _Method(AsyncCosClient.get_image_average_color)
    recognize_qrcode = _Method(AsyncCosClient.recognize_qrcode)
    generate_qrcode = _Method(AsyncCosClient.generate_qrcode)


async def _close_then_release(lt: _portal.LoopThread, client: AsyncCosClient) -> None:
    try:
        await client.aclose()
    finally:
        threading.Thread(target=_portal.release, args=(lt,), daemon=True).start()
