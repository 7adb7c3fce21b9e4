"""Multipart uploads: initiate, upload a part (or copy one), list parts, complete, abort."""

from __future__ import annotations

import hashlib
import itertools
from typing import Any

from aiohttp import web

from cos_async._crc64 import combine, crc64
from cos_async._limits import MAX_PART_NUMBER, MIN_PART_SIZE
from cos_async._xml import XMLError, build, parse, text_of
from cos_async.testing._acl import acl_from_headers
from cos_async.testing._bodies import read_small, receive
from cos_async.testing._conditions import parse_copy_range, strip_etag
from cos_async.testing._context import Ctx, err
from cos_async.testing._responses import (
    base_headers,
    empty_response,
    error_document,
    iso_date,
    late_error,
    start_stream,
    strip_declaration,
    xml_response,
)
from cos_async.testing._sse import check_sse_access, sse_echo, sse_of_request
from cos_async.testing._state import AppState
from cos_async.testing._store import (
    Acl,
    BucketState,
    ObjectVersion,
    Part,
    Upload,
    iter_segments,
    new_upload_id,
)
from cos_async.testing._values import number_or_none, parse_number

from .common import (
    check_traffic_limit,
    copy_source,
    new_version_id_for,
    object_headers,
    requested_storage_class,
    tags_from_header,
    write_response_headers,
)
from .listing import encoder, encoding_type, max_param

__all__ = [
    "abort_upload",
    "complete_upload",
    "initiate_upload",
    "list_parts",
    "upload_part",
    "upload_part_copy",
]


def _upload(ctx: Ctx, bucket: BucketState) -> Upload:
    """The upload ``?uploadId`` names, of this key (404 otherwise)."""
    upload_id = ctx.get("uploadId") or ""
    upload = bucket.uploads.get(upload_id)
    if upload is None or upload.key != ctx.key:
        raise err(404, "NoSuchUpload", "The specified multipart upload does not exist.")
    return upload


def _part_number(ctx: Ctx) -> int:
    """``?partNumber``: 1..MAX_PART_NUMBER (400 otherwise)."""
    return parse_number(ctx.get("partNumber"), "partNumber", minimum=1, maximum=MAX_PART_NUMBER)


async def initiate_upload(app: AppState, ctx: Ctx, bucket: BucketState) -> web.StreamResponse:
    assert ctx.key is not None
    upload = Upload(
        upload_id=new_upload_id(),
        key=ctx.key,
        initiated=app.clock(),
        headers=object_headers(ctx),
        # STANDARD unless named, also when the parts will be copies of an object of another
        # class (seeds/003 L88713: a multipart copy's destination is "STANDARD (default)")
        storage_class=requested_storage_class(ctx),
        acl=acl_from_headers(ctx, for_bucket=False) or Acl(canned="default"),
        tags=tags_from_header(ctx),
        sse=sse_of_request(ctx),
    )
    app.store.add_upload(bucket, upload)
    return xml_response(
        ctx,
        "InitiateMultipartUploadResult",
        {"Bucket": bucket.name, "Key": ctx.key, "UploadId": upload.upload_id},
        headers=sse_echo(upload.sse),
    )


async def upload_part(app: AppState, ctx: Ctx, bucket: BucketState) -> web.StreamResponse:
    number = _part_number(ctx)
    upload = _upload(ctx, bucket)
    check_sse_access(ctx, upload)
    check_traffic_limit(ctx)
    body = await receive(app, ctx)
    if upload.upload_id not in bucket.uploads:  # aborted while the body was arriving
        await app.store.discard_blob(body.blob)
        raise err(404, "NoSuchUpload", "The specified multipart upload does not exist.")
    part = Part(
        number=number,
        blob=body.blob,
        size=body.size,
        etag=app.etag_for(body.md5_hex, body.crc64, body.size),
        crc64=body.crc64,
        last_modified=app.clock(),
    )
    app.store.set_part(bucket, upload, part)
    h = {"ETag": part.etag, "x-cos-hash-crc64ecma": str(part.crc64)}
    h.update(sse_echo(upload.sse))
    return empty_response(ctx, 200, h)


async def upload_part_copy(app: AppState, ctx: Ctx, bucket: BucketState) -> web.StreamResponse:
    number = _part_number(ctx)
    upload = _upload(ctx, bucket)
    _src_bucket, src = copy_source(app, ctx)
    start, end = 0, src.size
    range_header = ctx.header("x-cos-copy-source-range")
    if range_header is not None:
        start, end = parse_copy_range(range_header, src.size)
    if ctx.fault is not None and ctx.fault.action == "error_after_200":
        return await late_error(ctx, ctx.fault)
    writer = app.store.writer(end - start)
    md5 = hashlib.md5()
    crc = 0
    async for chunk in iter_segments(src.segments, start, end):
        md5.update(chunk)
        crc = crc64(chunk, crc)
        await writer.write(chunk)
    blob = await writer.finish()
    part = Part(
        number=number,
        blob=blob,
        size=end - start,
        etag=app.etag_for(md5.hexdigest(), crc, end - start),
        crc64=crc,
        last_modified=app.clock(),
    )
    app.store.set_part(bucket, upload, part)
    h = {"x-cos-hash-crc64ecma": str(crc)}
    if src.version_id != "null":
        h["x-cos-copy-source-version-id"] = src.version_id
    return xml_response(
        ctx,
        "CopyPartResult",
        {"ETag": part.etag, "LastModified": iso_date(part.last_modified), "CRC64": str(crc)},
        headers=h,
    )


async def list_parts(app: AppState, ctx: Ctx, bucket: BucketState) -> web.StreamResponse:
    upload = _upload(ctx, bucket)
    marker = parse_number(ctx.get("part-number-marker") or "0", "part-number-marker")
    max_parts = max_param(ctx, "max-parts")
    encoding = encoding_type(ctx)
    enc = encoder(encoding)
    numbers = sorted(n for n in upload.parts if n > marker)
    page = numbers[:max_parts]
    truncated = len(numbers) > max_parts
    body: dict[str, Any] = {"Bucket": bucket.name}
    if encoding:
        body["EncodingType"] = encoding
    body.update(
        {
            "Key": enc(upload.key),
            "UploadId": upload.upload_id,
            "Initiator": app.account(),
            "Owner": app.account(),
            "StorageClass": upload.storage_class,
            "PartNumberMarker": str(marker),
            "NextPartNumberMarker": str(page[-1] if page else marker),
            "MaxParts": str(max_parts),
            "IsTruncated": "true" if truncated else "false",
        }
    )
    if page:
        body["Part"] = [
            {
                "PartNumber": str(n),
                "LastModified": iso_date(upload.parts[n].last_modified),
                "ETag": upload.parts[n].etag,
                "Size": str(upload.parts[n].size),
                "CRC64": str(upload.parts[n].crc64),
            }
            for n in page
        ]
    return xml_response(ctx, "ListPartsResult", body)


async def complete_upload(app: AppState, ctx: Ctx, bucket: BucketState) -> web.StreamResponse:
    upload = _upload(ctx, bucket)
    body = await read_small(ctx)
    try:
        doc = parse(body)
    except XMLError as exc:
        raise err(400, "MalformedXML", str(exc)) from exc
    root = doc.get("CompleteMultipartUpload")
    if not isinstance(root, dict) or not root.get("Part"):
        raise err(400, "MalformedXML", "expected <CompleteMultipartUpload> with <Part> entries")
    listed: list[tuple[int, str]] = []
    for p in root["Part"]:
        if not isinstance(p, dict):
            raise err(400, "MalformedXML", "each <Part> needs <PartNumber> and <ETag>")
        num = text_of(p.get("PartNumber"))
        number = number_or_none(num)
        if number is None:
            raise err(400, "MalformedXML", f"PartNumber is not a number: {num[:40]!r}")
        listed.append((number, text_of(p.get("ETag"))))
    for (a, _), (b, _) in itertools.pairwise(listed):
        if b <= a:
            raise err(400, "InvalidPartOrder", "The list of parts was not in ascending order.")
    for (a, _), (b, _) in itertools.pairwise(listed):
        if b != a + 1:
            raise err(400, "InvalidPart", f"Part numbers are not continuous: {a} then {b}.")
    parts: list[Part] = []
    for number, etag in listed:
        part = upload.parts.get(number)
        if part is None or strip_etag(part.etag) != strip_etag(etag):
            raise err(
                400,
                "InvalidPart",
                f"Part {number} was not found or its ETag {etag!r} does not match.",
            )
        parts.append(part)
    for part in parts[:-1]:
        if part.size < MIN_PART_SIZE:
            raise err(
                400,
                "EntityTooSmall",
                f"Part {part.number} is {part.size} bytes; parts other than the last must be at least {MIN_PART_SIZE}.",
            )
    md5s = b"".join(bytes.fromhex(strip_etag(p.etag)[:32]) for p in parts)
    etag = f'"{hashlib.md5(md5s).hexdigest()}-{len(parts)}"'
    crc = 0
    for p in parts:
        crc = combine(crc, p.crc64, p.size)
    assert ctx.key is not None
    version = ObjectVersion(
        key=ctx.key,
        version_id=new_version_id_for(bucket),
        segments=[p.blob for p in parts],
        size=sum(p.size for p in parts),
        etag=etag,
        crc64=crc,
        last_modified=app.clock(),
        headers=dict(upload.headers),
        storage_class=upload.storage_class,
        acl=upload.acl,
        tags=dict(upload.tags),
        sse=dict(upload.sse),
    )
    # COS answers 200 at once and keeps the connection alive with whitespace while it
    # assembles the parts; the result (or an Error document) follows the whitespace.
    late_fault = (
        ctx.fault if ctx.fault is not None and ctx.fault.action == "error_after_200" else None
    )
    headers = base_headers(ctx.request_id)
    if late_fault is None:
        headers.update(write_response_headers(bucket, version))
        del headers["ETag"]  # the ETag is in the document
    resp = web.StreamResponse(status=200, headers=headers)
    resp.content_type = "application/xml"
    await start_stream(ctx, resp)
    await resp.write(b" ")
    if late_fault is not None:
        await resp.write(b"\n ")
        await resp.write(error_document(ctx, late_fault))
        await resp.write_eof()
        return resp
    app.store.put_version(bucket, version)
    app.store.remove_upload(bucket, upload, keep_blobs=False)
    result = {
        "Location": f"{bucket.name}.cos.{bucket.region}.myqcloud.com/{ctx.key}",
        "Bucket": bucket.name,
        "Key": ctx.key,
        "ETag": etag,
    }
    await resp.write(b"\n")
    await resp.write(strip_declaration(build("CompleteMultipartUploadResult", result)))
    await resp.write_eof()
    return resp


async def abort_upload(app: AppState, ctx: Ctx, bucket: BucketState) -> web.StreamResponse:
    upload = _upload(ctx, bucket)
    app.store.remove_upload(bucket, upload, keep_blobs=False)
    return empty_response(ctx, 204)
