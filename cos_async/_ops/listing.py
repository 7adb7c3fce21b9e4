"""Listings: objects and object versions, and :func:`paginate`, the one pagination loop of every
listing (objects, versions, parts, multipart uploads, inventory configurations)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from typing import Any, TypeVar
from urllib.parse import unquote

from cos_async._engine import Reply, Request, RequestEngine
from cos_async._errors import CosClientError, InvalidArgument
from cos_async._models import (
    CommonPrefix,
    ListObjectsPage,
    ListObjectVersionsPage,
    ObjectInfo,
    ObjectVersionInfo,
    parse_iso_date,
)
from cos_async._validate import check_bucket, check_page_size
from cos_async._xml import text_of

from ._base import OpsBase

__all__ = [
    "ListingOps",
    "is_true",
    "list_objects",
    "list_objects_page",
    "list_objects_pages",
    "listed_size",
    "listing_params",
    "paginate",
    "paginate_ahead",
    "peeker",
]

M = TypeVar("M")
P = TypeVar("P")


def _differs(old: Any, new: Any) -> bool:
    return bool(new != old)


async def paginate(
    fetch: Callable[[M], Awaitable[P]],
    first: M,
    following: Callable[[P], M | None],
    what: str,
    *,
    advanced: Callable[[M, M], bool] = _differs,
) -> AsyncIterator[P]:
    """Every page of a listing: ``fetch(marker)`` from ``first`` while ``following(page)`` gives
    the next marker (``None``: the last page). A marker that does not advance (``advanced(old,
    new)`` false: the same one again, or one that goes backwards where markers are ordered)
    raises :class:`CosClientError` instead of looping forever."""
    marker = first
    while True:
        page = await fetch(marker)
        yield page
        nxt = following(page)
        if nxt is None:
            return
        if not advanced(marker, nxt):
            raise CosClientError(f"{what} did not advance: next marker {nxt!r} after {marker!r}")
        marker = nxt


async def paginate_ahead(
    engine: RequestEngine,
    request_of: Callable[[M], Request],
    parse: Callable[[Reply, M], P],
    peek: Callable[[bytes], M | None],
    first: M,
    following: Callable[[P], M | None],
    what: str,
    *,
    advanced: Callable[[M, M], bool] = _differs,
) -> AsyncIterator[P]:
    """:func:`paginate` with the next page's request sent while this one is parsed: ``peek``
    reads the next marker straight from the answer's bytes (a regular expression, no parse),
    the request for it goes out, then the page is parsed (``parse``) and its real next marker
    (``following``) checked against the guess (a wrong guess is cancelled and replaced). A
    listing of a server that is slower than the parse costs about the server's time alone."""
    marker = first
    pending: asyncio.Future[Reply] | None = asyncio.ensure_future(engine.send(request_of(marker)))
    try:
        while True:
            assert pending is not None
            reply = await pending
            pending = None
            guess = peek(reply.body)
            if guess is not None and advanced(marker, guess):
                pending = asyncio.ensure_future(engine.send(request_of(guess)))
                await asyncio.sleep(0)  # it goes out now, while this page is parsed
            page = parse(reply, marker)
            nxt = following(page)
            if nxt is not None and not advanced(marker, nxt):
                raise CosClientError(
                    f"{what} did not advance: next marker {nxt!r} after {marker!r}"
                )
            if pending is not None and nxt != guess:
                await _cancel(pending)
                pending = None
            if nxt is not None and pending is None:
                pending = asyncio.ensure_future(engine.send(request_of(nxt)))
            yield page
            if nxt is None:
                return
            marker = nxt
    finally:
        if pending is not None:
            await _cancel(pending)


async def _cancel(task: asyncio.Future[Any]) -> None:
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


def peeker(*names: str) -> Callable[[bytes], tuple[str, ...] | None]:
    """Reads ``IsTruncated`` and the texts of ``names`` from a listing's bytes: the markers of
    the next page, or ``None`` (not truncated, a marker missing, or one an XML entity spells:
    then the parse decides)."""
    patterns = [
        re.compile(rb"<" + n.encode() + rb">([^<&]*)</" + n.encode() + rb">") for n in names
    ]

    def peek(body: bytes) -> tuple[str, ...] | None:
        if b"<IsTruncated>true</IsTruncated>" not in body:
            return None
        found = []
        for pattern in patterns:
            m = pattern.search(body)
            if m is None:
                return None
            found.append(m.group(1).decode("utf-8", "replace"))
        return tuple(found)

    return peek


def listing_params(
    fixed: Mapping[str, str | None], optional: Iterable[tuple[str, str]]
) -> dict[str, str | None]:
    """Query parameters of a listing: ``fixed`` ones, plus the ``optional`` ones that are set.
    Keys are always asked URL-encoded (any character survives XML) and decoded by the reader."""
    params: dict[str, str | None] = {**fixed, "encoding-type": "url"}
    params.update((name, value) for name, value in optional if value)
    return params


def is_true(text: Any) -> bool:
    return text_of(text).lower() == "true"


def listed_size(text: str) -> int:
    """A listing's ``<Size>`` (empty: 0); anything but digits is a malformed answer."""
    if not text:
        return 0
    if not (text.isascii() and text.isdigit()):
        raise CosClientError(f"COS listed a malformed object size: {text[:40]!r}")
    return int(text)


def _objects_request(
    bucket: str, prefix: str, delimiter: str, marker: str, max_keys: str
) -> Request:
    params = listing_params(
        {"max-keys": max_keys},
        (("prefix", prefix), ("delimiter", delimiter), ("marker", marker)),
    )
    return Request(method="GET", bucket=bucket, params=params)


def _objects_page(reply: Reply, prefix: str, delimiter: str, marker: str) -> ListObjectsPage:
    page = reply.flat("ListBucketResult", ("Contents", "CommonPrefixes"))
    fields = page.fields
    objects = tuple(
        ObjectInfo(
            key=unquote(c.get("Key", "")),
            size=listed_size(c.get("Size", "")),
            etag=c.get("ETag", ""),
            last_modified=parse_iso_date(c.get("LastModified")),
            storage_class=c.get("StorageClass") or "STANDARD",
            owner_id=c.get("Owner/ID") or None,
        )
        for c in page.records["Contents"]
    )
    prefixes = tuple(unquote(p.get("Prefix", "")) for p in page.records["CommonPrefixes"])
    truncated = fields.get("IsTruncated", "").lower() == "true"
    next_marker = unquote(fields.get("NextMarker", "")) or None
    if truncated and next_marker is None:
        last = [o.key for o in objects] + list(prefixes)
        next_marker = max(last) if last else None
    return ListObjectsPage(
        request_id=reply.request_id,
        headers=reply.headers,
        objects=objects,
        common_prefixes=prefixes,
        is_truncated=truncated,
        next_marker=next_marker,
        prefix=prefix,
        delimiter=delimiter,
        marker=marker,
    )


async def list_objects_page(
    engine: RequestEngine,
    bucket: str,
    *,
    prefix: str = "",
    delimiter: str = "",
    marker: str = "",
    max_keys: str = "1000",
) -> ListObjectsPage:
    """GET Bucket: one page of a listing (keys asked URL-encoded and decoded here)."""
    reply = await engine.send(_objects_request(bucket, prefix, delimiter, marker, max_keys))
    return _objects_page(reply, prefix, delimiter, marker)


_PEEK_OBJECTS = peeker("NextMarker")


def list_objects_pages(
    engine: RequestEngine,
    bucket: str,
    *,
    prefix: str = "",
    delimiter: str = "",
    marker: str = "",
    page_size: str = "1000",
) -> AsyncIterator[ListObjectsPage]:
    """Every page of a listing, following the markers (the next page asked for while this
    one is parsed)."""

    def following(page: ListObjectsPage) -> str | None:
        return page.next_marker if page.is_truncated and page.next_marker else None

    def peek(body: bytes) -> str | None:
        found = _PEEK_OBJECTS(body)
        return unquote(found[0]) if found and found[0] else None

    return paginate_ahead(
        engine,
        lambda after: _objects_request(bucket, prefix, delimiter, after, page_size),
        lambda reply, after: _objects_page(reply, prefix, delimiter, after),
        peek,
        marker,
        following,
        "listing",
        advanced=_after,
    )


async def list_objects(
    engine: RequestEngine, bucket: str, *, prefix: str = ""
) -> AsyncIterator[ObjectInfo]:
    """Every object under ``prefix``."""
    async for page in list_objects_pages(engine, bucket, prefix=prefix):
        for obj in page.objects:
            yield obj


def _versions_request(
    bucket: str, prefix: str, delimiter: str, markers: tuple[str, str], max_keys: str
) -> Request:
    params = listing_params(
        {"versions": None, "max-keys": max_keys},
        (
            ("prefix", prefix),
            ("delimiter", delimiter),
            ("key-marker", markers[0]),
            ("version-id-marker", markers[1]),
        ),
    )
    return Request(method="GET", bucket=bucket, params=params)


def _versions_page(reply: Reply) -> ListObjectVersionsPage:
    page = reply.flat("ListVersionsResult", ("Version", "DeleteMarker", "CommonPrefixes"))
    fields = page.fields
    versions: list[ObjectVersionInfo] = []
    for kind in ("Version", "DeleteMarker"):
        for v in page.records[kind]:
            versions.append(
                ObjectVersionInfo(
                    key=unquote(v.get("Key", "")),
                    version_id=v.get("VersionId", ""),
                    is_latest=v.get("IsLatest", "").lower() == "true",
                    is_delete_marker=kind == "DeleteMarker",
                    last_modified=parse_iso_date(v.get("LastModified")),
                    size=listed_size(v.get("Size", "")),
                    etag=v.get("ETag") or None,
                    storage_class=v.get("StorageClass") or None,
                )
            )
    versions.sort(
        key=lambda v: (
            v.key,
            not v.is_latest,
            -(v.last_modified.timestamp() if v.last_modified else 0),
        )
    )
    return ListObjectVersionsPage(
        request_id=reply.request_id,
        headers=reply.headers,
        versions=tuple(versions),
        common_prefixes=tuple(unquote(p.get("Prefix", "")) for p in page.records["CommonPrefixes"]),
        is_truncated=fields.get("IsTruncated", "").lower() == "true",
        next_key_marker=unquote(fields.get("NextKeyMarker", "")) or None,
        next_version_id_marker=fields.get("NextVersionIdMarker") or None,
    )


_PEEK_VERSIONS = peeker("NextKeyMarker", "NextVersionIdMarker")


class ListingOps(OpsBase):
    """Objects and their versions."""

    async def list_objects_page(
        self,
        bucket: str,
        *,
        prefix: str = "",
        delimiter: str = "",
        marker: str = "",
        max_keys: int = 1000,
    ) -> ListObjectsPage:
        """One page of a listing (at most ``max_keys`` <= 1000 entries), starting after ``marker``.
        Keys are fetched URL-encoded (so any character survives XML) and decoded here."""
        check_bucket(bucket)
        return await list_objects_page(
            self._engine,
            bucket,
            prefix=prefix,
            delimiter=delimiter,
            marker=marker,
            max_keys=check_page_size("max_keys", max_keys),
        )

    async def list_objects_pages(
        self,
        bucket: str,
        *,
        prefix: str = "",
        delimiter: str = "",
        marker: str = "",
        page_size: int = 1000,
    ) -> AsyncIterator[ListObjectsPage]:
        """Every page of a listing (common prefixes included), following the markers."""
        check_bucket(bucket)
        pages = list_objects_pages(
            self._engine,
            bucket,
            prefix=prefix,
            delimiter=delimiter,
            marker=marker,
            page_size=check_page_size("max_keys", page_size),
        )
        async for page in pages:
            yield page

    async def list_objects(
        self,
        bucket: str,
        *,
        prefix: str = "",
        delimiter: str = "",
        marker: str = "",
        page_size: int = 1000,
    ) -> AsyncIterator[ObjectInfo]:
        """Every object under ``prefix`` (all pages). With a ``delimiter``, objects below the next
        delimiter are grouped into common prefixes, which this iterator leaves out: use
        :meth:`list_dir` for objects and prefixes together (or :meth:`list_objects_pages`)."""
        async for page in self.list_objects_pages(
            bucket, prefix=prefix, delimiter=delimiter, marker=marker, page_size=page_size
        ):
            for obj in page.objects:
                yield obj

    async def list_dir(
        self, bucket: str, *, prefix: str = "", delimiter: str = "/", page_size: int = 1000
    ) -> AsyncIterator[ObjectInfo | CommonPrefix]:
        """One level of a "directory": the objects directly under ``prefix`` and its
        subdirectories (:class:`CommonPrefix`, each ending with ``delimiter``), in key order,
        all pages::

            async for entry in cos.list_dir(bucket, prefix="photos/"):
                if isinstance(entry, CommonPrefix):
                    print("dir ", entry.prefix)
                else:
                    print("file", entry.key, entry.size)
        """
        if not isinstance(delimiter, str) or not delimiter:
            raise InvalidArgument(f"delimiter must be a non-empty string, got {delimiter!r}")
        async for page in self.list_objects_pages(
            bucket, prefix=prefix, delimiter=delimiter, page_size=page_size
        ):
            entries: list[tuple[str, ObjectInfo | CommonPrefix]] = [
                (o.key, o) for o in page.objects
            ]
            entries += [(p, CommonPrefix(p)) for p in page.common_prefixes]
            entries.sort(key=lambda pair: pair[0])
            for _, entry in entries:
                yield entry

    async def list_object_versions_page(
        self,
        bucket: str,
        *,
        prefix: str = "",
        delimiter: str = "",
        key_marker: str = "",
        version_id_marker: str = "",
        max_keys: int = 1000,
    ) -> ListObjectVersionsPage:
        """One page of object versions and delete markers, after ``key_marker`` / ``version_id_marker``."""
        check_bucket(bucket)
        req = _versions_request(
            bucket,
            prefix,
            delimiter,
            (key_marker, version_id_marker),
            check_page_size("max_keys", max_keys),
        )
        return _versions_page(await self._engine.send(req))

    async def list_object_versions(
        self, bucket: str, *, prefix: str = "", delimiter: str = "", page_size: int = 1000
    ) -> AsyncIterator[ObjectVersionInfo]:
        """Every version and delete marker under ``prefix`` (all pages; the next page asked
        for while this one is parsed)."""
        check_bucket(bucket)
        size = check_page_size("max_keys", page_size)

        def following(page: ListObjectVersionsPage) -> tuple[str, str] | None:
            if not page.is_truncated or page.next_key_marker is None:
                return None
            return page.next_key_marker, page.next_version_id_marker or ""

        def peek(body: bytes) -> tuple[str, str] | None:
            found = _PEEK_VERSIONS(body)
            return (unquote(found[0]), found[1]) if found and found[0] else None

        pages = paginate_ahead(
            self._engine,
            lambda markers: _versions_request(bucket, prefix, delimiter, markers, size),
            lambda reply, _markers: _versions_page(reply),
            peek,
            ("", ""),
            following,
            "version listing",
        )
        async for page in pages:
            for v in page.versions:
                yield v


def _after(old: str, new: str) -> bool:
    """Keys are listed in order: the next marker must come after the last one."""
    return new > old
