"""Image processing: processing on upload (PUT Object with ``Pic-Operations``), of a stored image
(``POST ?image_process``), on download (a rule in the query string, ``?imageInfo``, ``?exif``,
``?imageAve``, ``?ci-process=QRcode``) and QR code generation (``?ci-process=qrcode-generate``).
The image work itself is :mod:`cos_async.testing._imaging` (Pillow), run in a worker thread.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import posixpath
from typing import Any
from urllib.parse import unquote, urlsplit

from aiohttp import web

from cos_async._crc64 import crc64
from cos_async.testing import _imaging
from cos_async.testing._acl import acl_from_headers
from cos_async.testing._bodies import receive
from cos_async.testing._context import Ctx, err, hostname_of, is_virtual_host
from cos_async.testing._responses import base_headers, xml_response
from cos_async.testing._routes import IMAGE_QUERIES, is_processing_rule
from cos_async.testing._sse import check_sse_access, sse_of_request
from cos_async.testing._state import AppState
from cos_async.testing._store import Acl, BucketState, ObjectVersion, iter_segments

from .common import (
    check_readable,
    check_traffic_limit,
    find_version,
    new_version_id_for,
    object_headers,
    requested_storage_class,
    tags_from_header,
    write_response_headers,
)

__all__ = ["generate_qrcode", "get_object_processed", "image_process", "put_object_processed"]

#: COS: processing on upload takes an input of up to 20 MB
MAX_UPLOAD_INPUT = 20 * 1024 * 1024
#: COS: at most 5 rules; the header is bounded too
MAX_RULES = 5
MAX_HEADER = 16 * 1024


def _raise(exc: _imaging.ImagingError) -> None:
    raise err(exc.status, exc.code, exc.message) from None


def _require(qr: bool = False) -> None:
    reason = _imaging.missing(qr=qr)
    if reason is not None:
        raise err(501, "NotImplemented", reason)


async def _in_thread(fn: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return await asyncio.to_thread(fn, *args, **kwargs)
    except _imaging.ImagingError as exc:
        _raise(exc)


# --- Pic-Operations -------------------------------------------------------------------------


def _pic_operations(
    ctx: Ctx,
) -> tuple[bool, list[tuple[str, str | None, str, list[_imaging.Rule]]]]:
    """``(is_pic_info, [(fileid, bucket, rule text, parsed rules)])`` of the header."""
    text = ctx.header("Pic-Operations") or ""
    if len(text) > MAX_HEADER:
        raise err(400, "InvalidArgument", f"Pic-Operations is over {MAX_HEADER} bytes")
    try:
        doc = json.loads(text)
    except ValueError:
        raise err(400, "InvalidArgument", "Pic-Operations is not JSON") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("rules", []), list):
        raise err(
            400, "InvalidArgument", 'Pic-Operations must be {"is_pic_info": 0|1, "rules": []}'
        )
    info = doc.get("is_pic_info", 0)
    if info not in (0, 1, "0", "1"):
        raise err(400, "InvalidArgument", f"is_pic_info must be 0 or 1, got {str(info)[:20]!r}")
    rules = doc.get("rules", [])
    if len(rules) > MAX_RULES:
        raise err(400, "InvalidArgument", f"at most {MAX_RULES} rules, got {len(rules)}")
    parsed = []
    for item in rules:
        if not isinstance(item, dict):
            raise err(400, "InvalidArgument", "a rule is {fileid, rule[, bucket]}")
        fileid, rule, target = item.get("fileid"), item.get("rule"), item.get("bucket")
        if not isinstance(fileid, str) or not fileid.strip("/") or not isinstance(rule, str):
            raise err(400, "InvalidArgument", "a rule needs a fileid and a rule (strings)")
        if target is not None and not isinstance(target, str):
            raise err(400, "InvalidArgument", "a rule's bucket is a string")
        try:
            parsed.append((fileid, target, rule, _imaging.parse_rule(rule)))
        except _imaging.ImagingError as exc:
            _raise(exc)
    return info in (1, "1"), parsed


def _target_key(key: str, fileid: str) -> str:
    if fileid.startswith("/"):
        target = fileid.lstrip("/")
    else:
        target = posixpath.join(posixpath.dirname(key), fileid)
    if not target or ".." in target.split("/") or len(target.encode("utf-8")) > 850:
        raise err(400, "InvalidArgument", f"fileid {fileid[:100]!r} is no valid key")
    return target


def _location(app: AppState, bucket: str, key: str) -> str:
    return f"{bucket}.cos.{app.region}.myqcloud.com/{key}"


async def _read_all(v: ObjectVersion, limit: int) -> bytes:
    if v.size > limit:
        raise err(400, "InvalidArgument", f"the image is {v.size} bytes; at most {limit} processed")
    return b"".join([bytes(c) async for c in iter_segments(v.segments, 0, v.size)])


async def _watermarks(
    app: AppState, bucket: BucketState, rules: list[_imaging.Rule]
) -> dict[str, bytes]:
    """The images blind watermark rules name by URL (objects of the same bucket)."""
    images: dict[str, bytes] = {}
    for rule in rules:
        if rule.mark is None or rule.mark[1] == 3 or rule.mark[2] in images:
            continue
        url = rule.mark[2]
        parts = urlsplit(url)
        if parts.scheme != "http":
            raise err(
                400, "InvalidArgument", f"a watermark image URL starts with http://: {url[:100]!r}"
            )
        path = unquote(parts.path)
        host = hostname_of(parts.netloc)
        if is_virtual_host(host):
            name, key = host.split(".", 1)[0], path.lstrip("/")
        else:
            name, _, key = path.lstrip("/").partition("/")
        if name != bucket.name:
            raise err(400, "InvalidArgument", "the watermark image must be in the same bucket")
        versions = bucket.objects.get(key) or []
        if not versions or versions[-1].delete_marker:
            raise err(404, "NoSuchKey", f"the watermark image does not exist: {key[:100]!r}")
        images[url] = await _read_all(versions[-1], _imaging.MAX_INPUT_BYTES)
    return images


async def _store_result(
    app: AppState, ctx: Ctx, bucket: BucketState, key: str, out: _imaging.Output
) -> ObjectVersion:
    blob = await app.store.blob_from_bytes(out.data)
    version = ObjectVersion(
        key=key,
        version_id=new_version_id_for(bucket),
        segments=[blob],
        size=len(out.data),
        etag=app.etag_for(hashlib.md5(out.data).hexdigest(), crc64(out.data), len(out.data)),
        crc64=crc64(out.data),
        last_modified=app.clock(),
        headers={"content-type": out.content_type},
        acl=Acl(canned="default"),
    )
    app.store.put_version(bucket, version)
    return version


async def _process(
    app: AppState,
    ctx: Ctx,
    bucket: BucketState,
    key: str,
    data: bytes,
    info: bool,
    rules: list[tuple[str, str | None, str, list[_imaging.Rule]]],
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """Run every rule on ``data`` (in a thread), store the results; the ``<Object>`` entries
    and the ``<ImageInfo>`` of the input."""
    outputs = []
    for fileid, target, _text, parsed in rules:
        if any(r.qrcode is not None for r in parsed):
            _require(qr=True)
        dest = bucket
        if target is not None and target != bucket.name:
            found = app.store.buckets.get(target)
            if found is None:
                raise err(404, "NoSuchBucket", f"the result's bucket does not exist: {target!r}")
            dest = found
        images = await _watermarks(app, bucket, parsed)
        out, decoded, extra = await _in_thread(_imaging.run, data, parsed, fetch=images.__getitem__)
        outputs.append((dest, _target_key(key, fileid), out, decoded, extra))
    image_info = None
    if info:
        image_info = await _in_thread(_imaging.original_info, data)
    objects = []
    for dest, target_key, out, decoded, extra in outputs:
        stored = await _store_result(app, ctx, dest, target_key, out)
        entry: dict[str, Any] = {
            "Key": target_key,
            "Location": _location(app, dest.name, target_key),
            "Format": out.format,
            "Width": str(out.width),
            "Height": str(out.height),
            "Size": str(len(out.data)),
            "Quality": str(out.quality or decoded.quality or 100),
            "ETag": stored.etag,
        }
        if "watermark_status" in extra:
            entry["WatermarkStatus"] = str(extra["watermark_status"])
        if "qrcodes" in extra:
            entry["CodeStatus"] = "1" if extra["qrcodes"] else "0"
            entry["QRcodeInfo"] = [_code(text, points) for text, points in extra["qrcodes"]]
        objects.append(entry)
    return objects, image_info


def _code(text: str, points: list[tuple[int, int]]) -> dict[str, Any]:
    return {"CodeUrl": text, "CodeLocation": {"Point": [f"{x},{y}" for x, y in points]}}


def _upload_result(
    app: AppState,
    bucket: BucketState,
    key: str,
    objects: list[dict[str, Any]],
    image_info: dict[str, Any] | None,
) -> dict[str, Any]:
    current = bucket.current(key)
    original: dict[str, Any] = {
        "Key": key,
        "Location": _location(app, bucket.name, key),
        "ETag": current.etag if current is not None else "",
    }
    if image_info is not None:
        original["ImageInfo"] = image_info
    doc: dict[str, Any] = {"OriginalInfo": original}
    if objects:
        doc["ProcessResults"] = {"Object": objects}
    return doc


# --- the handlers -----------------------------------------------------------------------------


async def put_object_processed(app: AppState, ctx: Ctx, bucket: BucketState) -> web.StreamResponse:
    """PUT Object with ``Pic-Operations``: the original is stored, then every result; nothing is
    stored when the rules are wrong or the upload is no image."""
    assert ctx.key is not None
    _require()
    info, rules = _pic_operations(ctx)
    check_traffic_limit(ctx)
    headers = object_headers(ctx)
    storage_class = requested_storage_class(ctx)
    acl = acl_from_headers(ctx, for_bucket=False) or Acl(canned="default")
    tags = tags_from_header(ctx)
    sse = sse_of_request(ctx)
    expected = ctx.request.content_length
    if expected is not None and expected > MAX_UPLOAD_INPUT:
        raise err(
            400, "EntityTooLarge", f"processing on upload takes at most {MAX_UPLOAD_INPUT} bytes"
        )
    body = await receive(app, ctx, limit=MAX_UPLOAD_INPUT)
    try:
        data = await body.blob.read_all()
        await _in_thread(_imaging.decode, data)  # no image, nothing stored
    except BaseException:
        await app.store.discard_blob(body.blob)
        raise
    version = ObjectVersion(
        key=ctx.key,
        version_id=new_version_id_for(bucket),
        segments=[body.blob],
        size=body.size,
        etag=app.etag_for(body.md5_hex, body.crc64, body.size),
        crc64=body.crc64,
        last_modified=app.clock(),
        headers=headers,
        storage_class=storage_class,
        acl=acl,
        tags=tags,
        sse=sse,
    )
    app.store.put_version(bucket, version)
    objects, image_info = await _process(app, ctx, bucket, ctx.key, data, info, rules)
    doc = _upload_result(app, bucket, ctx.key, objects, image_info)
    return xml_response(ctx, "UploadResult", doc, headers=write_response_headers(bucket, version))


async def image_process(app: AppState, ctx: Ctx, bucket: BucketState) -> web.StreamResponse:
    """``POST ?image_process``: process a stored image and store the results."""
    assert ctx.key is not None
    _require()
    info, rules = _pic_operations(ctx)
    if not rules:
        raise err(400, "InvalidArgument", "image_process needs at least one rule")
    v = find_version(ctx, bucket)
    check_sse_access(ctx, v)
    check_readable(app, v)
    data = await _read_all(v, _imaging.MAX_INPUT_BYTES)
    objects, image_info = await _process(app, ctx, bucket, ctx.key, data, info, rules)
    return xml_response(
        ctx, "UploadResult", _upload_result(app, bucket, ctx.key, objects, image_info)
    )


def _rule_in_query(ctx: Ctx) -> str | None:
    rules = [
        name for name, value in ctx.params.items() if not value and is_processing_rule(name.lower())
    ]
    if len(rules) > 1:
        raise err(400, "InvalidArgument", "one processing rule a request (chain them with '|')")
    return rules[0] if rules else None


async def get_object_processed(app: AppState, ctx: Ctx, bucket: BucketState) -> web.StreamResponse:
    """A GET of an object processed by a rule in the query, or an image query."""
    check_traffic_limit(ctx)
    v = find_version(ctx, bucket)
    check_sse_access(ctx, v)
    check_readable(app, v)
    _require(qr=(ctx.get("ci-process") or "").lower() == "qrcode")
    data = await _read_all(v, _imaging.MAX_INPUT_BYTES)
    h = base_headers(ctx.request_id)
    if (ctx.get("ci-process") or "").lower() == "qrcode":
        return await _recognize(ctx, data)
    queries = [name for name in ctx.lparams if name in IMAGE_QUERIES]
    rule = _rule_in_query(ctx)
    if len(queries) + (rule is not None) > 1:
        raise err(400, "InvalidArgument", "one image query or rule a request")
    if queries:
        fn = {
            "imageinfo": _imaging.image_info_json,
            "exif": _imaging.exif_json,
            "imageave": _imaging.average_color,
        }[queries[0]]
        h["Content-Type"] = "application/json"
        return web.Response(status=200, body=await _in_thread(fn, data), headers=h)
    assert rule is not None
    try:
        parsed = _imaging.parse_rule(rule)
    except _imaging.ImagingError as exc:
        _raise(exc)
    if any(r.qrcode is not None or (r.mark is not None and r.mark[0] == 4) for r in parsed):
        raise err(
            400,
            "InvalidArgument",
            "QR code recognition and watermark extraction are Pic-Operations rules (or "
            "?ci-process=QRcode), not download rules",
        )
    images = await _watermarks(app, bucket, parsed)
    out, _decoded, _extra = await _in_thread(_imaging.run, data, parsed, fetch=images.__getitem__)
    h["Content-Type"] = out.content_type
    h["ETag"] = f'"{hashlib.md5(out.data).hexdigest()}"'
    return web.Response(status=200, body=out.data, headers=h)


async def _recognize(ctx: Ctx, data: bytes) -> web.StreamResponse:
    cover = ctx.get("cover", "0")
    bar_type = ctx.get("bar-type", "0")
    if cover not in ("0", "1") or bar_type not in ("0", "1", "2"):
        raise err(400, "InvalidArgument", "cover is 0 or 1, bar-type 0, 1 or 2")

    def work() -> tuple[list[tuple[str, list[tuple[int, int]]]], bytes | None]:
        decoded = _imaging.decode(data)
        codes = _imaging.recognize_codes(decoded.image, int(bar_type))
        if cover == "0":
            return codes, None
        out, _d, _e = _imaging.run(data, [_imaging.Rule(qrcode=True)])
        return codes, out.data

    codes, image = await _in_thread(work)
    doc: dict[str, Any] = {"CodeStatus": "1" if codes else "0"}
    if codes:
        doc["QRcodeInfo"] = [_code(text, points) for text, points in codes]
    if image is not None:
        doc["ResultImage"] = base64.b64encode(image).decode()
    return xml_response(ctx, "Response", doc)


async def generate_qrcode(app: AppState, ctx: Ctx, bucket: BucketState) -> web.StreamResponse:
    """``GET /?ci-process=qrcode-generate&qrcode-content=...&width=...&mode=0|1``."""
    _require(qr=True)
    content = ctx.get("qrcode-content")
    width, mode = ctx.get("width") or "", ctx.get("mode") or "0"
    if not content or len(content.encode("utf-8")) > 2953:
        raise err(400, "InvalidArgument", "qrcode-content is 1..2953 bytes")
    if not width.isdigit() or not 1 <= int(width) <= _imaging.MAX_OUTPUT_SIDE:
        raise err(400, "InvalidArgument", f"width must be 1..{_imaging.MAX_OUTPUT_SIDE}")
    if mode not in ("0", "1"):
        raise err(400, "InvalidArgument", "mode is 0 (QR code) or 1 (barcode)")
    png = await _in_thread(_imaging.generate_code, content, int(width), mode == "1")
    return xml_response(ctx, "Response", {"ResultImage": base64.b64encode(png).decode()})
