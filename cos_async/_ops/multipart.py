"""Multipart uploads: initiate, upload a part (or copy one), list, complete, abort. The typed
functions here are the ``MultipartStore`` of the transfers (object_store's habit)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping
from typing import Any, Literal
from urllib.parse import unquote

from cos_async._body import Body, RequestBody, make_body
from cos_async._engine import Reply, Request, RequestEngine, xml_body
from cos_async._errors import CosClientError, InvalidArgument
from cos_async._models import (
    CompleteMultipartUploadResult,
    ListMultipartUploadsPage,
    ListPartsPage,
    MultipartUpload,
    MultipartUploadInfo,
    PartInfo,
    Result,
    StorageClass,
    UploadPartCopyResult,
    UploadPartResult,
    parse_crc,
    parse_iso_date,
)
from cos_async._options import (
    CopySource,
    PartOptions,
    ReadConditions,
    WriteOptions,
    checked_extra_headers,
    sse_customer_headers,
    takes_read_conditions,
    takes_write_options,
)
from cos_async._validate import (
    DateLike,
    check_bucket,
    check_byte_range,
    check_key,
    check_page_size,
    check_part_number,
    check_upload_id,
)
from cos_async._xml import text_of

from ._base import OpsBase
from .listing import listed_size, listing_params, paginate_ahead, peeker
from .objects import crc_check

__all__ = [
    "MultipartOps",
    "abort_multipart_upload",
    "complete_multipart_upload",
    "create_multipart_upload",
    "list_parts",
    "upload_part",
    "upload_part_copy",
]

_NO_WRITE = WriteOptions()
_NO_PART = PartOptions()
_NO_CONDITIONS = ReadConditions()


# --- the typed operations ---------------------------------------------------------------------


async def create_multipart_upload(
    engine: RequestEngine,
    bucket: str,
    key: str,
    *,
    write: WriteOptions = _NO_WRITE,
    sse_customer_key: bytes | None = None,
    guess_type: bool = True,
    extra: Mapping[str, str] | None = None,
) -> MultipartUpload:
    """Initiate Multipart Upload: the object's metadata, class and ACL are set here."""
    created, _ = await initiate(
        engine,
        bucket,
        key,
        write=write,
        sse_customer_key=sse_customer_key,
        guess_type=guess_type,
        extra=extra,
    )
    return created


async def initiate(
    engine: RequestEngine,
    bucket: str,
    key: str,
    *,
    write: WriteOptions = _NO_WRITE,
    sse_customer_key: bytes | None = None,
    guess_type: bool = True,
    extra: Mapping[str, str] | None = None,
) -> tuple[MultipartUpload, Reply]:
    """:func:`create_multipart_upload` with its reply (the transfers read how many attempts it
    took). Closing the client does not interrupt it: its upload is to be aborted."""
    headers = write.headers(key if guess_type else None)
    headers.update(sse_customer_headers(sse_customer_key))
    if extra:
        headers.update(extra)
    reply, doc = await engine.xml(
        Request(
            method="POST",
            bucket=bucket,
            key=key,
            params={"uploads": None},
            headers=headers,
            interruptible=False,
        ),
        "InitiateMultipartUploadResult",
    )
    upload_id = text_of(doc.get("UploadId"))
    if not upload_id:
        raise CosClientError("COS did not return an UploadId")
    created = MultipartUpload(
        request_id=reply.request_id,
        headers=reply.headers,
        bucket=bucket,
        key=key,
        upload_id=upload_id,
    )
    return created, reply


async def upload_part(
    engine: RequestEngine,
    bucket: str,
    key: str,
    upload_id: str,
    part_number: int,
    body: RequestBody,
    *,
    part: PartOptions = _NO_PART,
    content_md5: bool = False,
    extra: Mapping[str, str] | None = None,
) -> UploadPartResult:
    """Upload Part: its CRC-64 checked against COS's answer (a replayable body is re-sent)."""
    headers = part.headers()
    if extra:
        headers.update(extra)
    if content_md5:
        headers["Content-MD5"] = await body.content_md5()
    reply = await engine.send(
        Request(
            method="PUT",
            bucket=bucket,
            key=key,
            params={"partNumber": str(part_number), "uploadId": upload_id},
            headers=headers,
            body=body,
            verify=crc_check(body, f"part {part_number} of {key}"),
        )
    )
    h = reply.headers
    return UploadPartResult(
        request_id=reply.request_id,
        headers=h,
        part_number=part_number,
        etag=h.get("ETag", ""),
        crc64=parse_crc(h.get("x-cos-hash-crc64ecma")),
    )


async def upload_part_copy(
    engine: RequestEngine,
    bucket: str,
    key: str,
    upload_id: str,
    part_number: int,
    source: CopySource,
    *,
    source_range: tuple[int, int] | None = None,
    conditions: ReadConditions = _NO_CONDITIONS,
    part: PartOptions = _NO_PART,
) -> UploadPartCopyResult:
    """Upload Part - Copy: ``source_range=(first, last)`` (inclusive) of the source as one part."""
    headers = source.headers(engine.endpoint)
    if source_range is not None:
        headers["x-cos-copy-source-range"] = f"bytes={source_range[0]}-{source_range[1]}"
    headers.update(conditions.copy_source_headers())
    headers.update(part.headers())
    reply, doc = await engine.xml(
        Request(
            method="PUT",
            bucket=bucket,
            key=key,
            params={"partNumber": str(part_number), "uploadId": upload_id},
            headers=headers,
            late_error=True,
        ),
        "CopyPartResult",
    )
    return UploadPartCopyResult(
        request_id=reply.request_id,
        headers=reply.headers,
        part_number=part_number,
        etag=text_of(doc.get("ETag")),
        last_modified=parse_iso_date(text_of(doc.get("LastModified"))),
        crc64=parse_crc(reply.headers.get("x-cos-hash-crc64ecma"))
        or parse_crc(text_of(doc.get("CRC64"))),
    )


def _parts_request(
    bucket: str, key: str, upload_id: str, part_number_marker: int, max_parts: str
) -> Request:
    return Request(
        method="GET",
        bucket=bucket,
        key=key,
        params={
            "uploadId": upload_id,
            "part-number-marker": str(part_number_marker),
            "max-parts": max_parts,
        },
    )


def _parts_page(reply: Reply) -> ListPartsPage:
    page = reply.flat("ListPartsResult", ("Part",))
    parts = tuple(
        PartInfo(
            part_number=_part_number(p.get("PartNumber", "")),
            etag=p.get("ETag", ""),
            size=listed_size(p.get("Size", "")),
            last_modified=parse_iso_date(p.get("LastModified")),
            crc64=parse_crc(p.get("CRC64")),
        )
        for p in page.records["Part"]
    )
    fields = page.fields
    nxt = fields.get("NextPartNumberMarker", "")
    return ListPartsPage(
        request_id=reply.request_id,
        headers=reply.headers,
        parts=parts,
        is_truncated=fields.get("IsTruncated", "").lower() == "true",
        next_part_number_marker=int(nxt) if nxt.isascii() and nxt.isdigit() else None,
        storage_class=fields.get("StorageClass") or None,
    )


async def list_parts_page(
    engine: RequestEngine,
    bucket: str,
    key: str,
    upload_id: str,
    *,
    part_number_marker: int = 0,
    max_parts: str = "1000",
) -> ListPartsPage:
    reply = await engine.send(_parts_request(bucket, key, upload_id, part_number_marker, max_parts))
    return _parts_page(reply)


def _part_number(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or len(text) > 5:
        raise CosClientError(f"COS listed a malformed part number: {text[:40]!r}")
    return int(text)


_PEEK_PARTS = peeker("NextPartNumberMarker")


def _peek_parts(body: bytes) -> int | None:
    found = _PEEK_PARTS(body)
    text = found[0] if found else ""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 5 else None


async def list_parts(
    engine: RequestEngine, bucket: str, key: str, upload_id: str, *, page_size: str = "1000"
) -> AsyncIterator[PartInfo]:
    """Every uploaded part of a multipart upload (all pages; the next page asked for while
    this one is parsed)."""

    def following(page: ListPartsPage) -> int | None:
        return page.next_part_number_marker if page.is_truncated else None

    pages = paginate_ahead(
        engine,
        lambda marker: _parts_request(bucket, key, upload_id, marker, page_size),
        lambda reply, _marker: _parts_page(reply),
        _peek_parts,
        0,
        following,
        "part listing",
        advanced=_larger,
    )
    async for page in pages:
        for p in page.parts:
            yield p


def _person(doc: Mapping[str, Any], element: str, field: str) -> str | None:
    """A field of an ``<Owner>`` / ``<Initiator>`` element (``None`` when absent)."""
    node = doc.get(element)
    if isinstance(node, list):
        node = node[0] if node else None
    return (text_of(node.get(field)) or None) if isinstance(node, Mapping) else None


def _larger(old: int, new: int) -> bool:
    return new > old


def part_pairs(
    parts: Iterable[tuple[int, str] | UploadPartResult | UploadPartCopyResult | PartInfo],
) -> list[tuple[int, str]]:
    """The parts of ``complete_multipart_upload`` as sorted ``(number, etag)`` pairs, checked."""
    pairs: list[tuple[int, str]] = []
    for p in parts:
        if isinstance(p, tuple):
            number, etag = p
        else:
            number, etag = p.part_number, p.etag
        check_part_number(number)
        pairs.append((number, etag))
    if not pairs:
        raise InvalidArgument("complete_multipart_upload needs at least one part")
    pairs.sort()
    numbers = [n for n, _ in pairs]
    if len(set(numbers)) != len(numbers):
        raise InvalidArgument(f"duplicate part numbers in {numbers}")
    return pairs


async def complete_multipart_upload(
    engine: RequestEngine, bucket: str, key: str, upload_id: str, pairs: list[tuple[int, str]]
) -> CompleteMultipartUploadResult:
    """Complete Multipart Upload with sorted ``(number, etag)`` pairs. COS answers 200 at once
    and may fail later with an Error document in the body (raised as its service error)."""
    body, headers = xml_body(
        "CompleteMultipartUpload",
        {"Part": [{"PartNumber": str(n), "ETag": e} for n, e in pairs]},
        md5=False,
    )
    reply, doc = await engine.xml(
        Request(
            method="POST",
            bucket=bucket,
            key=key,
            params={"uploadId": upload_id},
            headers=headers,
            body=body,
            read_timeout=engine.config.complete_timeout,
            late_error=True,
            interruptible=False,  # whether the object was made must be known
        ),
        "CompleteMultipartUploadResult",
    )
    h = reply.headers
    return CompleteMultipartUploadResult(
        request_id=reply.request_id,
        headers=h,
        etag=text_of(doc.get("ETag")),
        location=text_of(doc.get("Location")) or None,
        bucket=text_of(doc.get("Bucket")) or bucket,
        key=text_of(doc.get("Key")) or key,
        crc64=parse_crc(h.get("x-cos-hash-crc64ecma")),
        version_id=h.get("x-cos-version-id"),
    )


async def abort_multipart_upload(
    engine: RequestEngine, bucket: str, key: str, upload_id: str, *, cleanup: bool = False
) -> Result:
    """Abort Multipart Upload (``cleanup``: of a failed transfer, sent while the client
    closes)."""
    reply = await engine.send(
        Request(
            method="DELETE",
            bucket=bucket,
            key=key,
            params={"uploadId": upload_id},
            cleanup=cleanup,
        )
    )
    return Result(request_id=reply.request_id, headers=reply.headers)


def _uploads_request(
    bucket: str, prefix: str, delimiter: str, markers: tuple[str, str], max_uploads: str
) -> Request:
    params = listing_params(
        {"uploads": None, "max-uploads": max_uploads},
        (
            ("prefix", prefix),
            ("delimiter", delimiter),
            ("key-marker", markers[0]),
            ("upload-id-marker", markers[1]),
        ),
    )
    return Request(method="GET", bucket=bucket, params=params)


def _uploads_page(reply: Reply) -> ListMultipartUploadsPage:
    page = reply.flat("ListMultipartUploadsResult", ("Upload", "CommonPrefixes"))
    fields = page.fields
    return ListMultipartUploadsPage(
        request_id=reply.request_id,
        headers=reply.headers,
        uploads=tuple(
            MultipartUploadInfo(
                key=unquote(u.get("Key", "")),
                upload_id=u.get("UploadId", ""),
                initiated=parse_iso_date(u.get("Initiated")),
                storage_class=u.get("StorageClass") or None,
                owner_id=u.get("Owner/ID") or None,
                owner_display_name=u.get("Owner/DisplayName") or None,
                initiator_id=u.get("Initiator/ID") or None,
                initiator_display_name=u.get("Initiator/DisplayName") or None,
            )
            for u in page.records["Upload"]
        ),
        common_prefixes=tuple(unquote(p.get("Prefix", "")) for p in page.records["CommonPrefixes"]),
        is_truncated=fields.get("IsTruncated", "").lower() == "true",
        next_key_marker=unquote(fields.get("NextKeyMarker", "")) or None,
        next_upload_id_marker=fields.get("NextUploadIdMarker") or None,
    )


async def list_multipart_uploads_page(
    engine: RequestEngine,
    bucket: str,
    *,
    prefix: str = "",
    delimiter: str = "",
    key_marker: str = "",
    upload_id_marker: str = "",
    max_uploads: int = 1000,
) -> ListMultipartUploadsPage:
    """List Multipart Uploads: one page."""
    size = check_page_size("max_uploads", max_uploads)
    reply = await engine.send(
        _uploads_request(bucket, prefix, delimiter, (key_marker, upload_id_marker), size)
    )
    return _uploads_page(reply)


_PEEK_UPLOADS = peeker("NextKeyMarker", "NextUploadIdMarker")


def _peek_uploads(body: bytes) -> tuple[str, str] | None:
    found = _PEEK_UPLOADS(body)
    return (unquote(found[0]), found[1]) if found and found[0] else None


# --- the public methods -----------------------------------------------------------------------


class MultipartOps(OpsBase):
    """Multipart uploads, part by part."""

    @takes_write_options
    async def create_multipart_upload(
        self,
        bucket: str,
        key: str,
        *,
        content_type: str | None = None,
        content_disposition: str | None = None,
        content_encoding: str | None = None,
        content_language: str | None = None,
        cache_control: str | None = None,
        expires: DateLike | None = None,
        metadata: Mapping[str, str] | None = None,
        storage_class: StorageClass | str | None = None,
        acl: Literal["default", "private", "public-read"] | None = None,
        grant_read: str | None = None,
        grant_full_control: str | None = None,
        tagging: Mapping[str, str] | None = None,
        sse: Literal["AES256", "cos/kms"] | None = None,
        sse_kms_key_id: str | None = None,
        sse_kms_context: str | None = None,
        sse_customer_key: bytes | None = None,
        extra_headers: Mapping[str, str] | None = None,
        grant_read_acp: str | None = None,
        grant_write_acp: str | None = None,
    ) -> MultipartUpload:
        """Start a multipart upload; the object's metadata, class and ACL are set here."""
        check_bucket(bucket)
        check_key(key)
        return await create_multipart_upload(
            self._engine,
            bucket,
            key,
            write=WriteOptions.from_arguments(locals()),
            sse_customer_key=sse_customer_key,
            extra=checked_extra_headers(extra_headers),
        )

    async def upload_part(
        self,
        bucket: str,
        key: str,
        upload_id: str,
        part_number: int,
        data: Body,
        *,
        content_md5: bool = False,
        traffic_limit: int | None = None,
        sse_customer_key: bytes | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> UploadPartResult:
        """Upload one part (1..10000). Its CRC64 is checked against COS's answer; a replayable
        body is re-sent when they differ."""
        check_bucket(bucket)
        check_key(key)
        check_part_number(part_number)
        check_upload_id(upload_id)
        body = make_body(data)
        return await upload_part(
            self._engine,
            bucket,
            key,
            upload_id,
            part_number,
            body,
            part=PartOptions(traffic_limit=traffic_limit, sse_customer_key=sse_customer_key),
            content_md5=content_md5,
            extra=checked_extra_headers(extra_headers),
        )

    @takes_read_conditions
    async def upload_part_copy(
        self,
        bucket: str,
        key: str,
        upload_id: str,
        part_number: int,
        *,
        source_bucket: str,
        source_key: str,
        source_version_id: str | None = None,
        source_region: str | None = None,
        source_endpoint: str | None = None,
        source_range: tuple[int, int] | None = None,
        if_match: str | None = None,
        if_none_match: str | None = None,
        if_modified_since: DateLike | None = None,
        if_unmodified_since: DateLike | None = None,
        traffic_limit: int | None = None,
        sse_customer_key: bytes | None = None,
        source_sse_customer_key: bytes | None = None,
    ) -> UploadPartCopyResult:
        """Copy ``source_range=(first, last)`` (inclusive) of another object as one part (a
        source elsewhere: ``source_region`` or ``source_endpoint``, as for ``copy_object``)."""
        check_bucket(bucket)
        check_key(key)
        check_part_number(part_number)
        check_upload_id(upload_id)
        source = CopySource(
            bucket=source_bucket,
            key=source_key,
            version_id=source_version_id,
            sse_customer_key=source_sse_customer_key,
            region=source_region,
            endpoint=source_endpoint,
        )
        span: tuple[int, int] | None = None
        if source_range is not None:
            first, last = check_byte_range("source_range", source_range, open_end=False)
            assert last is not None
            span = (first, last)
        return await upload_part_copy(
            self._engine,
            bucket,
            key,
            upload_id,
            part_number,
            source,
            source_range=span,
            conditions=ReadConditions.from_arguments(locals()),
            part=PartOptions(traffic_limit=traffic_limit, sse_customer_key=sse_customer_key),
        )

    async def list_parts_page(
        self,
        bucket: str,
        key: str,
        upload_id: str,
        *,
        part_number_marker: int = 0,
        max_parts: int = 1000,
    ) -> ListPartsPage:
        """One page of the uploaded parts of a multipart upload, after ``part_number_marker``."""
        check_bucket(bucket)
        check_key(key)
        check_upload_id(upload_id)
        return await list_parts_page(
            self._engine,
            bucket,
            key,
            upload_id,
            part_number_marker=part_number_marker,
            max_parts=check_page_size("max_parts", max_parts),
        )

    async def list_parts(
        self, bucket: str, key: str, upload_id: str, *, page_size: int = 1000
    ) -> AsyncIterator[PartInfo]:
        """Every uploaded part of a multipart upload (all pages)."""
        check_bucket(bucket)
        check_key(key)
        check_upload_id(upload_id)
        size = check_page_size("max_parts", page_size)
        async for p in list_parts(self._engine, bucket, key, upload_id, page_size=size):
            yield p

    async def complete_multipart_upload(
        self,
        bucket: str,
        key: str,
        upload_id: str,
        parts: Iterable[tuple[int, str] | UploadPartResult | UploadPartCopyResult | PartInfo],
    ) -> CompleteMultipartUploadResult:
        """Assemble the parts (``(part_number, etag)`` pairs or part results, in any order).

        COS answers 200 at once and may fail later with an Error document in the body; that is
        raised as the matching service error."""
        check_bucket(bucket)
        check_key(key)
        check_upload_id(upload_id)
        return await complete_multipart_upload(
            self._engine, bucket, key, upload_id, part_pairs(parts)
        )

    async def abort_multipart_upload(self, bucket: str, key: str, upload_id: str) -> Result:
        """Abort a multipart upload and discard its parts (``NoSuchUpload`` if unknown)."""
        check_bucket(bucket)
        check_key(key)
        check_upload_id(upload_id)
        return await abort_multipart_upload(self._engine, bucket, key, upload_id)

    async def list_multipart_uploads_page(
        self,
        bucket: str,
        *,
        prefix: str = "",
        delimiter: str = "",
        key_marker: str = "",
        upload_id_marker: str = "",
        max_uploads: int = 1000,
    ) -> ListMultipartUploadsPage:
        """One page of the multipart uploads in progress, after ``key_marker`` / ``upload_id_marker``."""
        check_bucket(bucket)
        return await list_multipart_uploads_page(
            self._engine,
            bucket,
            prefix=prefix,
            delimiter=delimiter,
            key_marker=key_marker,
            upload_id_marker=upload_id_marker,
            max_uploads=max_uploads,
        )

    async def list_multipart_uploads(
        self, bucket: str, *, prefix: str = "", page_size: int = 1000
    ) -> AsyncIterator[MultipartUploadInfo]:
        """Every multipart upload in progress under ``prefix`` (all pages; the next page
        asked for while this one is parsed)."""
        check_bucket(bucket)
        size = check_page_size("max_uploads", page_size)

        def following(page: ListMultipartUploadsPage) -> tuple[str, str] | None:
            if not page.is_truncated or page.next_key_marker is None:
                return None
            return page.next_key_marker, page.next_upload_id_marker or ""

        pages = paginate_ahead(
            self._engine,
            lambda markers: _uploads_request(bucket, prefix, "", markers, size),
            lambda reply, _markers: _uploads_page(reply),
            _peek_uploads,
            ("", ""),
            following,
            "upload listing",
        )
        async for page in pages:
            for u in page.uploads:
                yield u
