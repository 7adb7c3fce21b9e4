"""Browser-facing requests: POST Object (an HTML form upload, optionally with a signed policy)
and OPTIONS Object (a CORS preflight, answered from the bucket's CORS configuration)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
from typing import Any
from urllib.parse import quote

from aiohttp import web

from cos_async import _signing
from cos_async._crc64 import crc64
from cos_async._limits import MAX_KEY_BYTES, MAX_SINGLE_PUT, STORAGE_CLASSES
from cos_async.testing._acl import acl_allows
from cos_async.testing._bodies import stalled
from cos_async.testing._context import BodyTimeout, Ctx, err
from cos_async.testing._documents import DocumentError, check_post_policy, match_cors
from cos_async.testing._responses import empty_response, xml_response
from cos_async.testing._state import AppState
from cos_async.testing._store import Acl, BlobWriter, BucketState, ObjectVersion
from cos_async.testing._values import load_json, number_or_none

from .common import STORED_HEADERS, new_version_id_for, write_response_headers

__all__ = ["options_object", "post_object"]

_STORAGE_CLASSES = frozenset(STORAGE_CLASSES)


#: the largest form field (other than the file) accepted
_MAX_FIELD = 64 * 1024


async def post_object(app: AppState, ctx: Ctx, bucket: BucketState) -> web.StreamResponse:
    """POST Object: the form's fields, then its file (the last part), stored as ``key``."""
    watch = ctx.body_watch
    if watch is not None:  # the form is read as it arrives: a stall is a stall of the client
        watch.waiting = True
    try:
        return await _post_object(app, ctx, bucket)
    except BodyTimeout as exc:
        raise stalled(exc) from None
    finally:
        if watch is not None:
            watch.waiting = False


async def _post_object(app: AppState, ctx: Ctx, bucket: BucketState) -> web.StreamResponse:
    fields, file_part, filename = await _read_form(ctx)
    key = fields.get("key", "")
    if not key:
        raise err(400, "InvalidArgument", "the form has no key field")
    key = key.replace("${filename}", filename)
    if len(key.encode("utf-8")) > MAX_KEY_BYTES:
        raise err(400, "KeyTooLong", f"The object key is longer than {MAX_KEY_BYTES} bytes.")
    policy = _check_signature(app, fields)
    if policy is None and not acl_allows(bucket.acl, "WRITE"):
        raise err(403, "AccessDenied", "Access Denied.")
    writer, size, md5_hex, crc = await _receive_file(app, file_part)
    if policy is not None:
        try:
            check_post_policy(
                policy, {**fields, "key": key}, bucket=bucket.name, size=size, now=app.clock()
            )
        except DocumentError:
            await writer.abort()
            raise
    stored = await writer.finish()
    headers = {
        k: v for k, v in fields.items() if k in STORED_HEADERS or k.startswith("x-cos-meta-")
    }
    headers.setdefault(
        "content-type",
        getattr(file_part, "headers", {}).get("Content-Type", "application/octet-stream"),
    )
    acl_value = fields.get("acl") or fields.get("x-cos-acl")
    version = ObjectVersion(
        key=key,
        version_id=new_version_id_for(bucket),
        segments=[stored],
        size=size,
        etag=app.etag_for(md5_hex, crc, size),
        crc64=crc,
        last_modified=app.clock(),
        headers=headers,
        storage_class=(fields.get("x-cos-storage-class") or "STANDARD").upper(),
        acl=Acl(canned=acl_value) if acl_value else Acl(canned="default"),
    )
    if version.storage_class not in _STORAGE_CLASSES:
        await app.store.discard_blob(stored)
        raise err(400, "InvalidStorageClass", f"invalid storage class {version.storage_class!r}")
    app.store.put_version(bucket, version)
    return _form_answer(ctx, bucket, version, fields)


async def _read_form(ctx: Ctx) -> tuple[dict[str, str], Any, str]:
    """The form's fields (lower-case names), its file part and the file's name."""
    try:
        reader = await ctx.request.multipart()
    except (ValueError, AssertionError) as exc:
        raise err(400, "MalformedPOSTRequest", f"bad multipart/form-data: {exc}") from exc
    fields: dict[str, str] = {}
    while True:
        try:
            part = await reader.next()
        except ValueError as exc:  # e.g. the body ends before the closing boundary
            raise err(400, "MalformedPOSTRequest", f"bad multipart/form-data: {exc}") from exc
        if part is None:
            break
        name = (getattr(part, "name", None) or "").strip()
        if name.lower() == "file":
            return fields, part, getattr(part, "filename", None) or ""
        try:
            value = await part.text()  # type: ignore[union-attr]
        except ValueError as exc:  # e.g. the body ends inside the field
            raise err(400, "MalformedPOSTRequest", f"bad multipart/form-data: {exc}") from exc
        if len(value) > _MAX_FIELD:
            raise err(400, "MalformedPOSTRequest", f"form field {name!r} is too large")
        fields[name.lower()] = value
    raise err(400, "MalformedPOSTRequest", "the form has no file field (it must come last)")


def _check_signature(app: AppState, fields: dict[str, str]) -> dict[str, Any] | None:
    """The form's policy once its signature is checked (``None``: an unsigned form)."""
    policy_b64 = fields.get("policy")
    signature = fields.get("q-signature")
    if signature is None and policy_b64 is None:
        return None
    if policy_b64 is None or signature is None:
        raise err(403, "AccessDenied", "a signed form needs both policy and q-signature")
    try:
        policy_json = base64.b64decode(policy_b64, validate=True)
        policy = load_json(policy_json)
    except (binascii.Error, ValueError) as exc:
        raise err(400, "InvalidPolicyDocument", f"policy is not base64 JSON: {exc}") from exc
    if not isinstance(policy, dict):
        raise err(400, "InvalidPolicyDocument", "policy must be a JSON object")
    cred = app.credentials.get(fields.get("q-ak", ""))
    if cred is None:
        raise err(403, "InvalidAccessKeyId", "The access key Id format you provided is invalid.")
    key_time = fields.get("q-key-time") or fields.get("q-sign-time") or ""
    if (fields.get("q-sign-algorithm") or "sha1").lower() != "sha1":
        raise err(400, "InvalidArgument", "q-sign-algorithm must be sha1")
    first, _, last = key_time.partition(";")
    start, end = number_or_none(first), number_or_none(last)
    if start is None or end is None:
        raise err(403, "AccessDenied", f"malformed q-key-time {key_time[:80]!r}")
    if end < app.clock():
        raise err(403, "AccessDenied", "Request has expired")
    if cred.token is not None and fields.get("x-cos-security-token") != cred.token:
        raise err(403, "InvalidAccessKeyId", "The security token is invalid.")
    expected = _signing.post_policy_signature(
        secret_key=cred.secret_key, key_time=f"{start};{end}", policy=policy_json
    )
    if not secrets.compare_digest(expected, signature.lower()):
        raise err(403, "SignatureDoesNotMatch", "The form signature does not match the policy.")
    return policy


async def _receive_file(app: AppState, file_part: Any) -> tuple[BlobWriter, int, str, int]:
    """Write the file part to the store: (the unfinished writer, size, MD5 hex, CRC-64)."""
    writer = app.store.writer(None)
    md5 = hashlib.md5()
    crc = 0
    size = 0
    try:
        while True:
            chunk = await file_part.read_chunk(1 << 20)
            if not chunk:
                break
            size += len(chunk)
            if size > MAX_SINGLE_PUT:
                raise err(400, "EntityTooLarge", "Your upload exceeds 5 GB.")
            md5.update(chunk)
            crc = crc64(chunk, crc)
            await writer.write(chunk)
    except BaseException:
        await writer.abort()
        raise
    return writer, size, md5.hexdigest(), crc


def _form_answer(
    ctx: Ctx, bucket: BucketState, version: ObjectVersion, fields: dict[str, str]
) -> web.Response:
    """``success_action_redirect`` (303), else ``success_action_status`` 200, 201 or 204."""
    key = version.key
    h = write_response_headers(bucket, version)
    location = f"http://{ctx.host}/{quote(key)}"
    h["Location"] = location
    redirect = fields.get("success_action_redirect")
    if redirect:
        sep = "&" if "?" in redirect else "?"
        target = f"{redirect}{sep}bucket={bucket.name}&key={quote(key)}&etag={quote(version.etag)}"
        return empty_response(ctx, 303, {**h, "Location": target})
    status_text = fields.get("success_action_status") or "204"
    status = int(status_text) if status_text in ("200", "201", "204") else 204
    if status == 201:
        return xml_response(
            ctx,
            "PostResponse",
            {"Location": location, "Bucket": bucket.name, "Key": key, "ETag": version.etag},
            status=201,
            headers=h,
        )
    return empty_response(ctx, status, h)


async def options_object(app: AppState, ctx: Ctx, bucket: BucketState) -> web.StreamResponse:
    origin = ctx.header("Origin")
    method = ctx.header("Access-Control-Request-Method")
    if not origin or not method:
        raise err(
            400, "InvalidArgument", "a preflight needs Origin and Access-Control-Request-Method"
        )
    requested = [
        h.strip()
        for h in (ctx.header("Access-Control-Request-Headers") or "").split(",")
        if h.strip()
    ]
    doc = bucket.configs.get("cors")
    headers = match_cors(doc, origin, method, requested) if doc is not None else None
    if headers is None:
        raise err(403, "AccessForbidden", "CORSResponse: This CORS request is not allowed.")
    return empty_response(ctx, 200, headers)
