"""Objects: put, append, get, head, delete, copy. The typed functions here are what the transfers
call (with option bundles already checked); :class:`ObjectOps` checks a caller's arguments and
builds the bundles."""

from __future__ import annotations

import logging
import posixpath
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any, Literal

import attrs

from cos_async import _limits
from cos_async._body import Body, ObjectBody, RangeSink, RequestBody, make_body
from cos_async._engine import Request, RequestEngine, xml_body
from cos_async._errors import (
    CosClientError,
    CosError,
    CosTransportError,
    IntegrityError,
    InvalidArgument,
    NoSuchKey,
)
from cos_async._image_results import parse_process_result
from cos_async._image_rules import ImageRule, PicOperations, processing_query
from cos_async._models import (
    AppendObjectResult,
    CopyObjectResult,
    DeletedObject,
    DeleteError,
    DeleteObjectResult,
    DeleteObjectsResult,
    ObjectMeta,
    PutObjectResult,
    StorageClass,
    as_list,
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
from cos_async._transport import Response
from cos_async._validate import (
    DateLike,
    check_bucket,
    check_byte_range,
    check_key,
    check_single_line,
)
from cos_async._xml import text_of

from ._base import OpsBase
from .listing import is_true

__all__ = [
    "ObjectOps",
    "copy_object",
    "crc_check",
    "delete_object",
    "discard_damaged",
    "get_object_request",
    "get_range_into",
    "head_object",
    "open_object",
    "put_object",
]

log = logging.getLogger("cos_async")

_NO_WRITE = WriteOptions()
_NO_PART = PartOptions()
_NO_CONDITIONS = ReadConditions()
_RESPONSE_OVERRIDES = (
    "response_content_type",
    "response_content_disposition",
    "response_content_encoding",
    "response_content_language",
    "response_cache_control",
    "response_expires",
)


# --- the typed operations ---------------------------------------------------------------------


def crc_check(
    body: RequestBody, what: str, damaged: list[str | None] | None = None
) -> Callable[[Response], None]:
    """The check of a data upload's answer: the CRC-64 COS stored is the one sent. When it is
    not, the attempt's version id (``None`` unversioned) is added to ``damaged``: what COS now
    holds is not ours."""

    def check(resp: Response) -> None:
        server = parse_crc(resp.headers.get("x-cos-hash-crc64ecma"))
        if server is not None and server != body.crc.value:
            if damaged is not None:
                damaged.append(resp.headers.get("x-cos-version-id"))
            raise IntegrityError(
                f"{what}: COS stored CRC64 {server} but {body.crc.value} was sent "
                f"({body.crc.length} bytes)"
            )

    return check


async def discard_damaged(
    engine: RequestEngine,
    bucket: str,
    key: str,
    damaged: list[str | None],
    error: CosError | None,
) -> None:
    """Remove what failed uploads stored under ``key`` with a CRC-64 other than the one sent:
    each damaged version (in a versioned bucket, the previous version is current again), and,
    when the upload failed (``error``), the damaged object of an unversioned bucket. ``error``
    is told what was done (its message gets a sentence). Sent while the client closes too."""
    versions = [v for v in dict.fromkeys(damaged) if v and v != "null"]
    plain = error is not None and any(not v or v == "null" for v in damaged)

    async def delete(version: str | None) -> str | None:
        try:
            await delete_object(engine, bucket, key, version_id=version, cleanup=True)
        except CosError as exc:
            return f"version {version}: {exc}" if version else str(exc)
        return None

    outcomes = [await delete(v) for v in versions]
    if plain:
        outcomes.append(await delete(None))
    failures = [f for f in outcomes if f is not None]
    if failures:
        log.warning("%s/%s: damaged data not deleted: %s", bucket, key, "; ".join(failures))
    if not isinstance(error, CosClientError):
        return
    if failures:
        said = (
            f"a damaged object may remain under {key!r}: delete it (the cleanup failed: "
            f"{'; '.join(failures)})"
        )
    elif versions:
        said = (
            f"the {len(versions)} damaged version(s) COS stored were deleted (the previous "
            "version, if any, is current again)"
        )
    else:
        said = f"the damaged object COS stored under {key!r} was deleted"
    error.message = f"{error.message}; {said}"
    error.args = (error.message, *error.args[1:])


async def put_object(
    engine: RequestEngine,
    bucket: str,
    key: str,
    body: RequestBody,
    *,
    write: WriteOptions = _NO_WRITE,
    part: PartOptions = _NO_PART,
    content_md5: bool = False,
    extra: Mapping[str, str] | None = None,
    pic_operations: PicOperations | None = None,
) -> PutObjectResult:
    """PUT Object: ``body`` in one request, its CRC-64 checked against what COS stored. With
    ``pic_operations`` (processing on upload), COS's ``UploadResult`` is parsed into
    ``processing``; the CRC-64 is not checked when a rule stores its result under ``key``."""
    headers = write.headers(key)
    headers.update(part.headers())
    if extra:
        headers.update(extra)
    verify = True
    if pic_operations is not None:
        headers.update(pic_operations.header())
        verify = not _may_overwrite_input(key, bucket, pic_operations)
    if content_md5:
        headers["Content-MD5"] = await body.content_md5()
    damaged: list[str | None] = []
    try:
        reply = await engine.send(
            Request(
                method="PUT",
                bucket=bucket,
                key=key,
                headers=headers,
                body=body,
                verify=crc_check(body, f"PUT {key}", damaged) if verify else None,
            )
        )
    except CosError as exc:
        if damaged:  # the key holds what COS stored of a damaged attempt: not ours
            await discard_damaged(engine, bucket, key, damaged, exc)
        raise
    if damaged:  # a later attempt stored the object; damaged ones may have left versions
        await discard_damaged(engine, bucket, key, damaged, None)
    h = reply.headers
    return PutObjectResult(
        request_id=reply.request_id,
        headers=h,
        etag=h.get("ETag", ""),
        crc64=parse_crc(h.get("x-cos-hash-crc64ecma")),
        version_id=h.get("x-cos-version-id"),
        processing=(
            parse_process_result(reply.xml("UploadResult"), reply.request_id, h)
            if pic_operations is not None and reply.body.strip()
            else None
        ),
    )


def _may_overwrite_input(key: str, bucket: str, ops: PicOperations) -> bool:
    """Whether a rule stores its result under the input's own key (what COS then reports of
    the object is the result's, not the bytes sent)."""
    directory = posixpath.dirname(key)
    for rule in ops.rules:
        if rule.bucket not in (None, bucket):
            continue
        fileid = rule.fileid
        target = fileid[1:] if fileid.startswith("/") else posixpath.join(directory, fileid)
        if target == key:
            return True
    return False


async def head_object(
    engine: RequestEngine,
    bucket: str,
    key: str,
    *,
    version_id: str | None = None,
    conditions: ReadConditions = _NO_CONDITIONS,
    sse_customer_key: bytes | None = None,
    extra: Mapping[str, str] | None = None,
    region: str | None = None,
    endpoint: str | None = None,
) -> ObjectMeta:
    headers = conditions.headers()
    headers.update(sse_customer_headers(sse_customer_key))
    if extra:
        headers.update(extra)
    params = {"versionId": version_id} if version_id is not None else {}
    reply = await engine.send(
        Request(
            method="HEAD",
            bucket=bucket,
            key=key,
            params=params,
            headers=headers,
            region=region,
            endpoint=endpoint,
        )
    )
    return ObjectMeta.from_headers(reply.headers, reply.request_id)


async def get_range_into(
    engine: RequestEngine,
    bucket: str,
    key: str,
    sink: RangeSink,
    *,
    if_match: str | None,
    version_id: str | None,
    part: PartOptions,
    on_bytes: Callable[[int], None] | None,
) -> ObjectMeta:
    """GET bytes ``[sink.offset, sink.offset + sink.length)`` straight into the sink's file
    (for ``download_file``; the transport takes its threaded path unless a proxy is configured).
    Retries like every request; the caller checks ``sink.written`` and ``sink.crc``."""
    headers = ReadConditions(if_match=if_match).headers()
    headers.update(part.headers())
    headers["Range"] = f"bytes={sink.offset}-{sink.offset + sink.length - 1}"
    params = {"versionId": version_id} if version_id is not None else {}
    resp = await engine.open(
        Request(
            method="GET",
            bucket=bucket,
            key=key,
            params=params,
            headers=headers,
            sink=sink,
            on_bytes=on_bytes,
        )
    )
    resp.release()
    if resp.status != 206 and not (
        resp.status == 200 and sink.offset == 0 and sink.written == sink.length
    ):
        raise CosTransportError(
            f"GET {bucket}/{key} with Range {headers['Range']}: COS answered {resp.status}"
        )
    return ObjectMeta.from_headers(resp.headers, resp.request_id)


def get_object_request(bucket: str, key: str, arguments: Mapping[str, Any]) -> Request:
    """The GET Object request of ``get_object``'s arguments (its ``locals()``: the read
    conditions, ``range``, ``version_id``, the ``response_*`` overrides, ``traffic_limit``,
    ``sse_customer_key``, ``extra_headers``), each checked."""
    headers = ReadConditions.from_arguments(arguments).headers()
    headers.update(
        PartOptions(
            traffic_limit=arguments["traffic_limit"],
            sse_customer_key=arguments["sse_customer_key"],
        ).headers()
    )
    headers.update(checked_extra_headers(arguments["extra_headers"]))
    if arguments["range"] is not None:
        first, last = check_byte_range("range", arguments["range"], open_end=True)
        headers["Range"] = f"bytes={first}-{'' if last is None else last}"
    params: dict[str, str | None] = {}
    if arguments["version_id"] is not None:
        params["versionId"] = arguments["version_id"]
    for name in _RESPONSE_OVERRIDES:
        value = arguments[name]
        if value is not None:
            params[name.replace("_", "-")] = check_single_line(name, value)
    return Request(method="GET", bucket=bucket, key=key, params=params, headers=headers)


async def open_object(
    engine: RequestEngine,
    request: Request,
    *,
    verify_crc: bool,
    decipher: Callable[[ObjectMeta], Awaitable[Callable[[bytes], bytes] | None]] | None = None,
) -> ObjectBody:
    """Send a GET Object and hand over its streaming body. ``decipher`` (client-side
    encryption) is given the answer's metadata and returns what turns the bytes received into
    those read (or ``None``); when it raises, the connection is dropped and nothing is read."""
    resp = await engine.open(request)
    meta = ObjectMeta.from_headers(resp.headers, resp.request_id)
    transform = None
    if decipher is not None:
        try:
            transform = await decipher(meta)
        except BaseException:
            resp.release_or_close()
            raise
    length_text = resp.headers.get("Content-Length", "")
    expected = int(length_text) if length_text.isdigit() else None
    partial = resp.status == 206
    return ObjectBody(
        meta,
        resp.iter_body,
        resp.release_or_close,
        verify_crc=verify_crc and not partial,
        expected_length=expected,
        transform=transform,
    )


async def copy_object(
    engine: RequestEngine,
    bucket: str,
    key: str,
    source: CopySource,
    *,
    metadata_directive: Literal["Copy", "Replaced"] = "Copy",
    write: WriteOptions = _NO_WRITE,
    conditions: ReadConditions = _NO_CONDITIONS,
    part: PartOptions = _NO_PART,
    extra: Mapping[str, str] | None = None,
) -> CopyObjectResult:
    """PUT Object - Copy (up to 5 GB). ``write`` describes the copy (its content headers and
    metadata only with ``"Replaced"``; without a storage class the copy is STANDARD, as COS
    documents); ``conditions`` apply to the source; ``part`` is the copy's traffic limit and
    SSE-C key."""
    if metadata_directive not in ("Copy", "Replaced"):
        raise InvalidArgument(
            f"metadata_directive must be 'Copy' or 'Replaced', got {metadata_directive!r}"
        )
    if metadata_directive == "Copy" and write.describes_content:
        raise InvalidArgument("content headers and metadata need metadata_directive='Replaced'")
    headers = write.headers(key if metadata_directive == "Replaced" else None)
    headers.update(part.headers())
    if extra:
        headers.update(extra)
    headers.update(source.headers(engine.endpoint))
    headers["x-cos-metadata-directive"] = metadata_directive
    headers.update(conditions.copy_source_headers())
    reply, doc = await engine.xml(
        Request(method="PUT", bucket=bucket, key=key, headers=headers, late_error=True),
        "CopyObjectResult",
    )
    h = reply.headers
    return CopyObjectResult(
        request_id=reply.request_id,
        headers=h,
        etag=text_of(doc.get("ETag")),
        last_modified=parse_iso_date(text_of(doc.get("LastModified"))),
        crc64=parse_crc(h.get("x-cos-hash-crc64ecma")) or parse_crc(text_of(doc.get("CRC64"))),
        version_id=h.get("x-cos-version-id") or text_of(doc.get("VersionId")) or None,
        source_version_id=h.get("x-cos-copy-source-version-id"),
    )


async def delete_object(
    engine: RequestEngine,
    bucket: str,
    key: str,
    *,
    version_id: str | None = None,
    cleanup: bool = False,
) -> DeleteObjectResult:
    """Delete Object (``cleanup``: of a failed upload, sent while the client closes)."""
    params = {"versionId": version_id} if version_id is not None else {}
    reply = await engine.send(
        Request(method="DELETE", bucket=bucket, key=key, params=params, cleanup=cleanup)
    )
    h = reply.headers
    return DeleteObjectResult(
        request_id=reply.request_id,
        headers=h,
        version_id=h.get("x-cos-version-id"),
        delete_marker=h.get("x-cos-delete-marker", "").lower() == "true",
    )


async def delete_objects(
    engine: RequestEngine,
    bucket: str,
    items: Sequence[tuple[str, str | None]],
    *,
    quiet: bool,
) -> DeleteObjectsResult:
    """DELETE Multiple Objects, :data:`~cos_async._limits.DELETE_BATCH` keys per request."""
    deleted: list[DeletedObject] = []
    errors: list[DeleteError] = []
    request_ids: list[str] = []
    for off in range(0, len(items), _limits.DELETE_BATCH):
        batch = items[off : off + _limits.DELETE_BATCH]
        objects = [{"Key": k, **({"VersionId": v} if v is not None else {})} for k, v in batch]
        body, headers = xml_body(
            "Delete", {"Quiet": "true" if quiet else "false", "Object": objects}
        )
        reply, doc = await engine.xml(
            Request(
                method="POST",
                bucket=bucket,
                params={"delete": None},
                headers=headers,
                body=body,
            ),
            "DeleteResult",
        )
        if reply.request_id:
            request_ids.append(reply.request_id)
        for d in as_list(doc.get("Deleted")):
            deleted.append(
                DeletedObject(
                    key=text_of(d.get("Key")),
                    version_id=text_of(d.get("VersionId")) or None,
                    delete_marker=is_true(d.get("DeleteMarker")),
                    delete_marker_version_id=text_of(d.get("DeleteMarkerVersionId")) or None,
                )
            )
        for e in as_list(doc.get("Error")):
            errors.append(
                DeleteError(
                    key=text_of(e.get("Key")),
                    code=text_of(e.get("Code")),
                    message=text_of(e.get("Message")),
                    version_id=text_of(e.get("VersionId")) or None,
                )
            )
    return DeleteObjectsResult(
        deleted=tuple(deleted), errors=tuple(errors), request_ids=tuple(request_ids)
    )


def delete_items(keys: Iterable[str | tuple[str, str | None]]) -> list[tuple[str, str | None]]:
    """The keys of ``delete_objects`` as ``(key, version_id)`` pairs, checked."""
    if isinstance(keys, str | bytes):
        raise InvalidArgument(f"keys must be an iterable of keys, not one key: {keys!r}")
    items: list[tuple[str, str | None]] = []
    for item in keys:
        if isinstance(item, tuple) and len(item) == 2:
            key, vid = item
        elif isinstance(item, str):
            key, vid = item, None
        else:
            raise InvalidArgument(f"keys must hold keys or (key, version_id) pairs: {item!r}")
        check_key(key)
        items.append((key, vid))
    return items


# --- the public methods -----------------------------------------------------------------------


class ObjectOps(OpsBase):
    """Objects: write, read, delete, copy."""

    @takes_write_options
    async def put_object(
        self,
        bucket: str,
        key: str,
        data: Body,
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
        grant_read_acp: str | None = None,
        grant_write_acp: str | None = None,
        grant_full_control: str | None = None,
        tagging: Mapping[str, str] | None = None,
        traffic_limit: int | None = None,
        content_md5: bool = False,
        sse: Literal["AES256", "cos/kms"] | None = None,
        sse_kms_key_id: str | None = None,
        sse_kms_context: str | None = None,
        sse_customer_key: bytes | None = None,
        extra_headers: Mapping[str, str] | None = None,
        pic_operations: PicOperations | None = None,
    ) -> PutObjectResult:
        """Upload ``data`` (bytes, memoryview, a path, a binary file, or a sync/async iterable of
        bytes, sent chunked) in one request (up to 5 GB). The CRC64 COS reports is checked against
        what was sent; a replayable body is re-sent on a mismatch.

        ``pic_operations`` processes the image as it is uploaded (COS documents it up to 20 MB):
        each rule stores one processed image, and the result's ``processing`` says what COS
        stored (see :class:`PicOperations`)."""
        check_bucket(bucket)
        check_key(key)
        if pic_operations is not None and not isinstance(pic_operations, PicOperations):
            raise InvalidArgument(
                "pic_operations must be a PicOperations (PicOperations.from_json(text) reads "
                f"the official SDK's JSON), got {type(pic_operations).__name__}"
            )
        body = make_body(data)
        return await put_object(
            self._engine,
            bucket,
            key,
            body,
            write=WriteOptions.from_arguments(locals()),
            part=PartOptions(traffic_limit=traffic_limit, sse_customer_key=sse_customer_key),
            content_md5=content_md5,
            extra=checked_extra_headers(extra_headers),
            pic_operations=pic_operations,
        )

    async def append_object(
        self,
        bucket: str,
        key: str,
        data: Body,
        *,
        position: int,
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
        storage_class: StorageClass | str | None = None,
        traffic_limit: int | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> AppendObjectResult:
        """Append to an appendable object; ``position`` must be its current length (0 creates it).
        Returns the next position. ``PositionNotEqualToLength`` when it is not."""
        check_bucket(bucket)
        check_key(key)
        if not isinstance(position, int) or isinstance(position, bool) or position < 0:
            raise InvalidArgument(f"position must be an integer >= 0, got {position!r}")
        body = make_body(data)
        if position == 0:
            write = WriteOptions(
                content_type=content_type, metadata=metadata, storage_class=storage_class
            )
            headers = write.headers(key)
        elif content_type is not None or metadata or storage_class is not None:
            raise InvalidArgument(
                "content_type, metadata and storage_class apply only at position 0"
            )
        else:
            headers = {}
        headers.update(PartOptions(traffic_limit=traffic_limit).headers())
        headers.update(checked_extra_headers(extra_headers))
        reply = await self._engine.send(
            Request(
                method="POST",
                bucket=bucket,
                key=key,
                params={"append": None, "position": str(position)},
                headers=headers,
                body=body,
            )
        )
        h = reply.headers
        nxt = h.get("x-cos-next-append-position", "")
        return AppendObjectResult(
            request_id=reply.request_id,
            headers=h,
            etag=h.get("ETag", ""),
            next_position=int(nxt) if nxt.isdigit() else position + (body.crc.length or 0),
            crc64=parse_crc(h.get("x-cos-hash-crc64ecma")),
        )

    @takes_read_conditions
    async def get_object(
        self,
        bucket: str,
        key: str,
        *,
        range: tuple[int, int | None] | None = None,
        version_id: str | None = None,
        if_match: str | None = None,
        if_none_match: str | None = None,
        if_modified_since: DateLike | None = None,
        if_unmodified_since: DateLike | None = None,
        response_content_type: str | None = None,
        response_content_disposition: str | None = None,
        response_content_encoding: str | None = None,
        response_content_language: str | None = None,
        response_cache_control: str | None = None,
        response_expires: str | None = None,
        traffic_limit: int | None = None,
        sse_customer_key: bytes | None = None,
        verify_crc: bool = True,
        extra_headers: Mapping[str, str] | None = None,
        process: ImageRule | str | None = None,
    ) -> ObjectBody:
        """Open an object for reading: returns an :class:`ObjectBody` to stream, read or save.

        ``range=(first, last)`` asks for bytes ``first..last`` inclusive (``last=None``: to the
        end). A complete read is checked against the object's CRC64 (``verify_crc``).
        ``NotModified`` / ``PreconditionFailed`` when a condition does not hold.

        ``process`` (an :class:`ImageRule` or its text) returns the image as COS processes it
        on download: the rule goes in the query string, signed. The result is not the stored
        object: no ``range``, and no CRC-64 to check.
        """
        check_bucket(bucket)
        check_key(key)
        request = get_object_request(bucket, key, locals())
        if process is not None:
            if range is not None:
                raise InvalidArgument("range does not apply to a processed image (process=)")
            if not isinstance(process, ImageRule | str):
                raise InvalidArgument(
                    f"process must be an ImageRule or a rule's text, got {type(process).__name__}"
                )
            params = {**request.params, **processing_query(process)}
            request = attrs.evolve(request, params=params)
        return await open_object(self._engine, request, verify_crc=verify_crc and process is None)

    @takes_read_conditions
    async def head_object(
        self,
        bucket: str,
        key: str,
        *,
        version_id: str | None = None,
        if_match: str | None = None,
        if_none_match: str | None = None,
        if_modified_since: DateLike | None = None,
        if_unmodified_since: DateLike | None = None,
        sse_customer_key: bytes | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> ObjectMeta:
        """The object's metadata (``NoSuchKey`` if absent)."""
        check_bucket(bucket)
        check_key(key)
        return await head_object(
            self._engine,
            bucket,
            key,
            version_id=version_id,
            conditions=ReadConditions.from_arguments(locals()),
            sse_customer_key=sse_customer_key,
            extra=checked_extra_headers(extra_headers),
        )

    async def object_exists(self, bucket: str, key: str, *, version_id: str | None = None) -> bool:
        """True if the object exists (other errors, such as AccessDenied, are raised)."""
        try:
            await self.head_object(bucket, key, version_id=version_id)
        except NoSuchKey:
            return False
        return True

    async def delete_object(
        self, bucket: str, key: str, *, version_id: str | None = None
    ) -> DeleteObjectResult:
        """Delete an object (or one version). Deleting a missing key succeeds."""
        check_bucket(bucket)
        check_key(key)
        return await delete_object(self._engine, bucket, key, version_id=version_id)

    async def delete_objects(
        self,
        bucket: str,
        keys: Iterable[str | tuple[str, str | None]],
        *,
        quiet: bool = False,
    ) -> DeleteObjectsResult:
        """Delete any number of keys (or ``(key, version_id)`` pairs), 1000 per request.

        Failures of single keys are reported in ``errors`` (not raised); ``quiet`` asks COS to
        list only the failures."""
        check_bucket(bucket)
        return await delete_objects(self._engine, bucket, delete_items(keys), quiet=quiet)

    @takes_write_options
    @takes_read_conditions
    async def copy_object(
        self,
        bucket: str,
        key: str,
        *,
        source_bucket: str,
        source_key: str,
        source_version_id: str | None = None,
        source_region: str | None = None,
        source_endpoint: str | None = None,
        metadata_directive: Literal["Copy", "Replaced"] = "Copy",
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
        if_match: str | None = None,
        if_none_match: str | None = None,
        if_modified_since: DateLike | None = None,
        if_unmodified_since: DateLike | None = None,
        traffic_limit: int | None = None,
        sse: Literal["AES256", "cos/kms"] | None = None,
        sse_customer_key: bytes | None = None,
        source_sse_customer_key: bytes | None = None,
        extra_headers: Mapping[str, str] | None = None,
        grant_read_acp: str | None = None,
        grant_write_acp: str | None = None,
        sse_kms_key_id: str | None = None,
        sse_kms_context: str | None = None,
    ) -> CopyObjectResult:
        """Copy (up to 5 GB) from ``source_bucket/source_key`` to ``bucket/key``.

        ``metadata_directive="Copy"`` keeps the source's metadata (the content/metadata arguments
        are then refused); ``"Replaced"`` sets them. ``if_*`` are conditions on the source.
        Without ``storage_class`` the copy is STANDARD (COS does not keep the source's class).
        A source in another region: ``source_region``; behind another endpoint:
        ``source_endpoint`` (a host name); an SSE-C source: ``source_sse_customer_key``."""
        check_bucket(bucket)
        check_key(key)
        arguments = locals()
        return await copy_object(
            self._engine,
            bucket,
            key,
            CopySource(
                bucket=source_bucket,
                key=source_key,
                version_id=source_version_id,
                sse_customer_key=source_sse_customer_key,
                region=source_region,
                endpoint=source_endpoint,
            ),
            metadata_directive=metadata_directive,
            write=WriteOptions.from_arguments(arguments),
            conditions=ReadConditions.from_arguments(arguments),
            part=PartOptions(traffic_limit=traffic_limit, sse_customer_key=sse_customer_key),
            extra=checked_extra_headers(extra_headers),
        )
