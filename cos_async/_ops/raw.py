"""A signed raw request: the escape hatch for any COS API the client does not wrap yet.

:meth:`RawOps.request` is signed, retried, observed and error-mapped like every other call (an
error answer raises the same :class:`CosServiceError` subclasses); what it returns is the status,
the headers and the body as a stream (:class:`RawResponse`).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable, Mapping

from cos_async._body import Body, ObjectBody, make_body
from cos_async._engine import Request
from cos_async._errors import InvalidArgument
from cos_async._models import ObjectMeta, freeze_headers
from cos_async._validate import check_bucket, check_key, check_single_line

from ._base import OpsBase

__all__ = ["RawOps", "RawResponse"]

_METHOD = re.compile(r"[A-Z]{1,16}")
_NAME = re.compile(r"[!-~]+")
#: headers the client computes: a caller's value would be replaced, or would break the signature
_COMPUTED = frozenset({"authorization", "host", "content-length", "transfer-encoding"})


class RawResponse(ObjectBody):
    """The answer of :meth:`~cos_async.AsyncCosClient.request`: ``status``, ``headers`` and
    ``request_id``, and the body to stream (``iter_chunks``), ``read()`` or ``save()`` (as a
    ``get_object`` body: use it as an async context manager, or consume it, to release the
    connection). ``meta`` reads the headers as an object's."""

    def __init__(
        self,
        status: int,
        meta: ObjectMeta,
        chunks: Callable[[], AsyncIterator[bytes]],
        release: Callable[[], None],
        *,
        verify_crc: bool,
        expected_length: int | None,
    ) -> None:
        super().__init__(
            meta, chunks, release, verify_crc=verify_crc, expected_length=expected_length
        )
        #: the HTTP status (2xx: an error answer raises instead)
        self.status = status
        self.headers = meta.headers
        self.request_id = meta.request_id

    def __repr__(self) -> str:
        return f"RawResponse(status={self.status}, request_id={self.request_id!r})"


class RawOps(OpsBase):
    """Any request, signed."""

    async def request(
        self,
        method: str,
        bucket: str | None = None,
        key: str | None = None,
        *,
        params: Mapping[str, str | None] | None = None,
        headers: Mapping[str, str] | None = None,
        body: Body | None = None,
        read_timeout: float | None = None,
        verify_crc: bool | None = None,
    ) -> RawResponse:
        """Send any COS request, signed, retried and error-mapped like every other call: to the
        service (no ``bucket``), a bucket (no ``key``) or an object. ``params`` is the query
        (``None`` values are bare sub-resources: ``{"tagging": None}``), ``headers`` any headers
        but ``Authorization``, ``Host``, ``Content-Length`` and ``Transfer-Encoding`` (computed),
        ``body`` what ``put_object`` takes (retried when it can be replayed). An error answer
        raises its :class:`CosServiceError`; a success returns a :class:`RawResponse` to read.

        ``verify_crc``: check a whole body against ``x-cos-hash-crc64ecma`` (default: for a
        plain GET of an object, no query and no ``Range``, as ``get_object`` does).

        For example, the tagging of an object:
        ``await (await cos.request("GET", bucket, key, params={"tagging": None})).read()``."""
        if not isinstance(method, str) or not _METHOD.fullmatch(method):
            raise InvalidArgument(f"method must be an HTTP method in capitals, got {method!r}")
        if bucket is not None:
            check_bucket(bucket)
        if key is not None:
            if bucket is None:
                raise InvalidArgument("a key needs a bucket")
            check_key(key)
        query: dict[str, str | None] = {}
        for name, value in (params or {}).items():
            _check_name("parameter", name)
            query[name] = None if value is None else check_single_line(f"parameter {name}", value)
        sent: dict[str, str] = {}
        for name, value in (headers or {}).items():
            _check_name("header", name)
            if name.lower() in _COMPUTED:
                raise InvalidArgument(f"header {name!r} is computed by the client; leave it out")
            sent[name] = value
        if read_timeout is not None and (
            not isinstance(read_timeout, int | float)
            or isinstance(read_timeout, bool)
            or read_timeout <= 0
        ):
            raise InvalidArgument(f"read_timeout must be > 0 seconds, got {read_timeout!r}")
        resp = await self._engine.open(
            Request(
                method=method,
                bucket=bucket,
                key=key,
                params=query,
                headers=sent,
                body=make_body(body) if body is not None else None,
                read_timeout=read_timeout,
            )
        )
        meta = ObjectMeta.from_headers(freeze_headers(resp.headers), resp.request_id)
        plain_get = (
            method == "GET"
            and key is not None
            and not query
            and not any(n.lower() == "range" for n in sent)
        )
        length_text = resp.headers.get("Content-Length", "")
        bodiless = method == "HEAD" or resp.status in (204, 304)
        return RawResponse(
            resp.status,
            meta,
            resp.iter_body,
            resp.release_or_close,
            verify_crc=(plain_get if verify_crc is None else verify_crc) and resp.status == 200,
            expected_length=(
                0 if bodiless else int(length_text) if length_text.isdigit() else None
            ),
        )


def _check_name(kind: str, name: object) -> None:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise InvalidArgument(
            f"{kind} names must be non-empty strings of visible characters, got {name!r}"
        )
