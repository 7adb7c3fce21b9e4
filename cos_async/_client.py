"""``AsyncCosClient``: one coroutine per COS operation over one connection pool.

The client is assembled from the operation families (:mod:`cos_async._ops`: service and
buckets, bucket configurations, objects, object attributes, listing, multipart, select, URLs,
image processing, and the signed raw request)
and the transfers (:mod:`cos_async._transfer`). Each operation checks its input
(``InvalidArgument`` names the bad value, before any request), builds a typed request and sends
it through the client's :class:`~cos_async._engine.RequestEngine`, which signs every attempt
afresh, retries, runs the hooks and maps errors; the answer is parsed into a frozen model that
keeps ``request_id`` and the raw headers.
"""

from __future__ import annotations

from types import TracebackType

from ._config import CosConfig
from ._engine import RequestEngine
from ._errors import InvalidArgument
from ._models import RequestHook, ResponseHook
from ._ops.bucket_config import BucketConfigOps
from ._ops.fetch import FetchOps
from ._ops.image import ImageOps
from ._ops.listing import ListingOps
from ._ops.multipart import MultipartOps
from ._ops.object_attributes import ObjectAttributeOps
from ._ops.objects import ObjectOps
from ._ops.presign import PresignOps
from ._ops.raw import RawOps
from ._ops.select import SelectOps
from ._ops.service import ServiceOps
from ._transfer.api import TransferOps

__all__ = ["AsyncCosClient"]


class AsyncCosClient(
    ServiceOps,
    BucketConfigOps,
    ObjectOps,
    ObjectAttributeOps,
    ListingOps,
    MultipartOps,
    SelectOps,
    PresignOps,
    TransferOps,
    FetchOps,
    ImageOps,
    RawOps,
):
    """The asyncio COS client. Use ``async with AsyncCosClient(config) as cos:``.

    One client owns one connection pool and belongs to the event loop it is first used on.
    """

    def __init__(
        self,
        config: CosConfig,
        *,
        on_request: RequestHook | None = None,
        on_response: ResponseHook | None = None,
    ) -> None:
        """``on_request`` is called with a :class:`RequestEvent` before every attempt of every
        request, ``on_response`` with a :class:`ResponseEvent` after it (a response, or the
        error that ended the attempt): for metrics and traces. A hook may be a plain function
        or return an awaitable (awaited); it runs on the event loop, so keep it quick; an
        exception it raises propagates to the caller."""
        if not isinstance(config, CosConfig):
            raise InvalidArgument(f"config must be a CosConfig, got {type(config).__name__}")
        for name, hook in (("on_request", on_request), ("on_response", on_response)):
            if hook is not None and not callable(hook):
                raise InvalidArgument(f"{name} must be callable, got {hook!r}")
        self._engine = RequestEngine(
            config,
            credentials=config.credentials_provider(),
            on_request=on_request,
            on_response=on_response,
        )

    async def __aenter__(self) -> AsyncCosClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the client (idempotent). New calls are refused with :class:`CosClientError`;
        calls in flight fail with it promptly (an Initiate or Complete of a multipart upload
        first runs to its end, so that its outcome is known); transfers in flight abort their
        multipart uploads (waited for up to ``CLOSE_GRACE``, 30 s); then the connections
        close, and a body still being read fails."""
        await self._engine.close()

    def __repr__(self) -> str:
        return f"AsyncCosClient(region={self.config.region!r})"
