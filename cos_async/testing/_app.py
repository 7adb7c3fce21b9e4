"""The local COS server's aiohttp.web application: addressing, authentication, every operation.

One catch-all handler resolves the bucket and key (virtual-hosted or path-style), names the COS
operation, records the request, applies any armed fault, authenticates, and dispatches. Every
failure answers a COS ``<Error>`` document with ``x-cos-request-id``; nothing answers a Python
traceback.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import bisect
import contextlib
import email.utils
import hashlib
import ipaddress
import itertools
import json
import logging
import re
import secrets
import socket
import struct
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import quote, unquote, unquote_plus

import attrs
from aiohttp import web

from cos_async import _signing
from cos_async._crc64 import combine, crc64
from cos_async._xml import XMLError, build, parse, text_of

from ._documents import (
    CONFIG_ROOTS,
    DocumentError,
    check_post_policy,
    match_cors,
    parse_tag_header,
    parse_tagging,
    validate_config,
)
from ._faults import FaultInjector, FaultRule, RequestLog, RequestRecord
from ._select import parse_select_request, select_stream
from ._store import (
    Acl,
    Blob,
    BucketState,
    ObjectVersion,
    Part,
    Store,
    Upload,
    iter_segments,
    new_upload_id,
    new_version_id,
)

__all__ = ["CONTROL_PREFIX", "CosApp", "ServerCredential"]

log = logging.getLogger("cos_async.testing")

CONTROL_PREFIX = "/_cos_testing/"
MAX_KEY_BYTES = 850
MAX_OBJECT_SIZE = 5 * 1024**3
MIN_PART_SIZE = 1024 * 1024
MAX_PART_NUMBER = 10000
MAX_LIST = 1000
MAX_META_BYTES = 2048
TRAFFIC_LIMIT_RANGE = (819200, 838860800)
CLOCK_SKEW = 900
ALL_USERS = "http://cam.qcloud.com/groups/global/AllUsers"
_XSI = "http://www.w3.org/2001/XMLSchema-instance"

STORAGE_CLASSES = frozenset(
    {
        "STANDARD",
        "STANDARD_IA",
        "ARCHIVE",
        "DEEP_ARCHIVE",
        "INTELLIGENT_TIERING",
        "MAZ_STANDARD",
        "MAZ_STANDARD_IA",
        "MAZ_INTELLIGENT_TIERING",
    }
)
ARCHIVE_CLASSES = frozenset({"ARCHIVE", "DEEP_ARCHIVE"})
STORED_HEADERS = (
    "content-type",
    "content-disposition",
    "content-encoding",
    "content-language",
    "cache-control",
    "expires",
)
RESPONSE_OVERRIDES = {
    "response-content-type": "Content-Type",
    "response-content-language": "Content-Language",
    "response-expires": "Expires",
    "response-cache-control": "Cache-Control",
    "response-content-disposition": "Content-Disposition",
    "response-content-encoding": "Content-Encoding",
}
BUCKET_SUBRESOURCES = frozenset(
    {
        "acl",
        "cors",
        "lifecycle",
        "versioning",
        "location",
        "replication",
        "website",
        "logging",
        "policy",
        "domain",
        "inventory",
        "tagging",
        "referer",
        "encryption",
        "intelligenttiering",
        "object-lock",
        "uploads",
        "versions",
        "delete",
    }
)
OBJECT_SUBRESOURCES = frozenset(
    {"acl", "tagging", "uploads", "uploadId", "append", "restore", "select", "partNumber"}
)
ORDINARY_PARAMS = frozenset(
    {
        "prefix",
        "delimiter",
        "marker",
        "max-keys",
        "encoding-type",
        "key-marker",
        "version-id-marker",
        "upload-id-marker",
        "max-uploads",
        "part-number-marker",
        "max-parts",
        "versionid",
        "position",
        "id",
        "select-type",
        "sign",
        "x-cos-security-token",
        "x-cos-traffic-limit",
        "tagkey",
        "tagvalue",
        "region",
        "create-time",
        "range",
    }
)
_BUCKET_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?-[0-9]+$")


@attrs.frozen
class ServerCredential:
    """A key pair the server accepts; with ``token``, requests must carry that security token."""

    secret_id: str
    secret_key: str = attrs.field(repr=False)
    token: str | None = attrs.field(default=None, repr=False)


class CosServerError(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})


class _Disconnected(Exception):
    """The connection was reset (by the client, or by a fault rule)."""


def _err(status: int, code: str, message: str, **headers: str) -> CosServerError:
    return CosServerError(status, code, message, headers)


def http_date(ts: float) -> str:
    return email.utils.formatdate(ts, usegmt=True)


def iso_date(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts)) + f".{int(ts * 1000) % 1000:03d}Z"


def _parse_http_date(value: str) -> float | None:
    try:
        return email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError):
        return None


def _strip_etag(etag: str) -> str:
    return etag.strip().strip('"')


def _etag_matches(header: str, etag: str) -> bool:
    tags = [_strip_etag(t) for t in header.split(",")]
    return "*" in tags or _strip_etag(etag) in tags


@attrs.define
class Ctx:
    request: web.Request
    method: str
    host: str
    bucket: str | None
    key: str | None
    path: str
    params: dict[str, str]
    lparams: dict[str, str]
    request_id: str
    operation: str = ""
    record: RequestRecord | None = None
    fault: FaultRule | None = None
    anonymous: bool = False
    #: keep the document this request carries in its record (``RequestLog.keep_documents``)
    keep_document: bool = False

    def has(self, name: str) -> bool:
        return name.lower() in self.lparams

    def get(self, name: str, default: str | None = None) -> str | None:
        return self.lparams.get(name.lower(), default)

    def header(self, name: str) -> str | None:
        return self.request.headers.get(name)

    @property
    def resource(self) -> str:
        return f"{self.host}{self.path}"


class _ReceivedBody:
    __slots__ = ("blob", "crc64", "md5_hex", "md5_state", "size")

    def __init__(self, blob: Blob, size: int, md5_hex: str, crc: int, md5_state: Any) -> None:
        self.blob = blob
        self.size = size
        self.md5_hex = md5_hex
        self.crc64 = crc
        self.md5_state = md5_state


class CosApp:
    """State and handlers of one local COS server."""

    def __init__(
        self,
        *,
        store: Store,
        credentials: list[ServerCredential],
        region: str,
        appid: str,
        faults: FaultInjector,
        requests: RequestLog,
        fast_etag: bool = False,
        restore_delay: float = 0.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.credentials = {c.secret_id: c for c in credentials}
        self.region = region
        self.appid = appid
        self.faults = faults
        self.requests = requests
        self.fast_etag = fast_etag
        self.restore_delay = restore_delay
        self.clock = clock
        self.owner_uin = "100000000001"
        self.owner_id = f"qcs::cam::uin/{self.owner_uin}:uin/{self.owner_uin}"

    def make_app(self) -> web.Application:
        # auto_decompress=False: a body sent with Content-Encoding: gzip is stored as sent.
        app = web.Application(
            client_max_size=8 * 1024 * 1024, handler_args={"auto_decompress": False}
        )
        app.router.add_route("*", "/{tail:.*}", self.handle)
        return app

    # --- entry ----------------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.StreamResponse:
        widen_reads(request.transport)
        request_id = base64.b64encode(secrets.token_bytes(18)).decode()
        ctx: Ctx | None = None
        resp: web.StreamResponse
        try:
            ctx = self._context(request, request_id)
            if ctx.bucket is None and ctx.path.startswith(CONTROL_PREFIX):
                return await self._control(ctx)
            self._classify(ctx)
            record = RequestRecord(
                method=ctx.method,
                operation=ctx.operation,
                bucket=ctx.bucket,
                key=ctx.key,
                part_number=_int_or_none(ctx.get("partNumber")),
            )
            ctx.record = record
            ctx.keep_document = self.requests.keep_documents
            self.requests.append(record)
            fault = self.faults.pick(record)
            if fault is not None:
                record.fault = fault.action
                if fault.action == "delay":
                    await asyncio.sleep(fault.delay)
                elif fault.action == "error":
                    resp = self._error_response(
                        ctx, fault.status, fault.code, fault.message, request_id=fault.request_id
                    )
                    record.status = resp.status
                    return resp
                else:
                    ctx.fault = fault
            if ctx.operation not in ("OptionsObject", "PostObject"):
                self._authenticate(ctx)
            resp = await self._dispatch(ctx)
        except CosServerError as exc:
            resp = self._error_response(
                ctx,
                exc.status,
                exc.code,
                exc.message,
                extra=exc.headers,
                request_id_value=request_id,
            )
        except DocumentError as exc:
            resp = self._error_response(
                ctx, exc.status, exc.code, exc.message, request_id_value=request_id
            )
        except XMLError as exc:  # e.g. an element that must hold text holds elements
            resp = self._error_response(
                ctx, 400, "MalformedXML", str(exc), request_id_value=request_id
            )
        except _Disconnected:
            resp = web.Response(status=499)  # nobody is listening any more
        except Exception as exc:  # a bug in the server: still answer like COS would
            log.exception("local COS server: internal error")
            resp = self._error_response(
                ctx,
                500,
                "InternalError",
                f"local COS server error: {type(exc).__name__}: {exc}",
                request_id_value=request_id,
            )
        if ctx is not None and ctx.record is not None and ctx.record.status is None:
            ctx.record.status = resp.status
        return resp

    def _context(self, request: web.Request, request_id: str) -> Ctx:
        host_header = request.headers.get("Host", "")
        hostname = _hostname(host_header)
        raw_path = request.rel_url.raw_path
        path = unquote(raw_path)
        params: dict[str, str] = {}
        lparams: dict[str, str] = {}
        qs = request.rel_url.raw_query_string
        if qs:
            for item in qs.split("&"):
                if not item:
                    continue
                name, _, value = item.partition("=")
                name = unquote_plus(name)
                value = unquote_plus(value)
                params.setdefault(name, value)
                lparams.setdefault(name.lower(), value)
        bucket: str | None
        key: str | None
        if _is_virtual_host(hostname):
            bucket = hostname.split(".", 1)[0]
            key = path[1:] or None
        else:
            parts = path[1:].split("/", 1) if path != "/" else [""]
            bucket = parts[0] or None
            key = (parts[1] or None) if len(parts) > 1 else None
            if bucket is not None and path.startswith(CONTROL_PREFIX):
                bucket = None
        return Ctx(
            request=request,
            method=request.method.upper(),
            host=host_header,
            bucket=bucket,
            key=key,
            path=path,
            params=params,
            lparams=lparams,
            request_id=request_id,
        )

    # --- classification -------------------------------------------------------------------

    def _classify(self, ctx: Ctx) -> None:
        m = ctx.method
        if ctx.bucket is None:
            if m == "GET":
                ctx.operation = "ListBuckets"
                return
            raise _err(405, "MethodNotAllowed", f"{m} is not allowed on the service endpoint")
        self._check_unknown_subresources(ctx)
        if ctx.key is None:
            ctx.operation = self._bucket_operation(ctx)
        else:
            ctx.operation = self._object_operation(ctx)

    def _check_unknown_subresources(self, ctx: Ctx) -> None:
        known = {s.lower() for s in BUCKET_SUBRESOURCES | OBJECT_SUBRESOURCES} | ORDINARY_PARAMS
        for name, value in ctx.lparams.items():
            if value:
                continue
            if name in known or name.startswith(("response-", "q-")):
                continue
            raise _err(400, "InvalidArgument", f"unknown subresource ?{name}")

    def _bucket_operation(self, ctx: Ctx) -> str:
        m = ctx.method
        sub = next((s for s in _CONFIG_ORDER if ctx.has(s)), None)
        if m == "GET":
            if sub == "uploads":
                return "ListMultipartUploads"
            if sub == "versions":
                return "ListObjectVersions"
            if sub == "location":
                return "GetBucketLocation"
            if sub == "inventory" and not ctx.has("id"):
                return "ListBucketInventoryConfigurations"
            if sub is not None and sub != "delete":
                return f"GetBucket:{sub}"
            return "GetBucket"
        if m == "PUT":
            if sub in ("uploads", "versions", "location", "delete"):
                raise _err(405, "MethodNotAllowed", f"PUT is not allowed on ?{sub}")
            return f"PutBucket:{sub}" if sub else "PutBucket"
        if m == "DELETE":
            if sub in ("uploads", "versions", "location", "delete", "acl", "versioning"):
                raise _err(405, "MethodNotAllowed", f"DELETE is not allowed on ?{sub}")
            return f"DeleteBucket:{sub}" if sub else "DeleteBucket"
        if m == "HEAD":
            return "HeadBucket"
        if m == "POST":
            if ctx.has("delete"):
                return "DeleteMultipleObjects"
            ctype = ctx.header("Content-Type") or ""
            if ctype.lower().startswith("multipart/form-data"):
                return "PostObject"
            raise _err(400, "InvalidRequest", "POST on a bucket needs ?delete or a form upload")
        if m == "OPTIONS":
            return "OptionsObject"
        raise _err(405, "MethodNotAllowed", f"{m} is not allowed")

    def _object_operation(self, ctx: Ctx) -> str:
        m = ctx.method
        if m == "GET":
            if ctx.has("acl"):
                return "GetObjectACL"
            if ctx.has("tagging"):
                return "GetObjectTagging"
            if ctx.has("uploadId"):
                return "ListParts"
            return "GetObject"
        if m == "HEAD":
            return "HeadObject"
        if m == "PUT":
            if ctx.has("acl"):
                return "PutObjectACL"
            if ctx.has("tagging"):
                return "PutObjectTagging"
            if ctx.has("partNumber") or ctx.has("uploadId"):
                if ctx.header("x-cos-copy-source"):
                    return "UploadPartCopy"
                return "UploadPart"
            if ctx.header("x-cos-copy-source"):
                return "PutObjectCopy"
            return "PutObject"
        if m == "POST":
            if ctx.has("uploads"):
                return "InitiateMultipartUpload"
            if ctx.has("uploadId"):
                return "CompleteMultipartUpload"
            if ctx.has("append"):
                return "AppendObject"
            if ctx.has("restore"):
                return "PostObjectRestore"
            if ctx.has("select"):
                return "SelectObjectContent"
            raise _err(400, "InvalidRequest", "POST on an object needs a subresource")
        if m == "DELETE":
            if ctx.has("tagging"):
                return "DeleteObjectTagging"
            if ctx.has("uploadId"):
                return "AbortMultipartUpload"
            return "DeleteObject"
        if m == "OPTIONS":
            return "OptionsObject"
        raise _err(405, "MethodNotAllowed", f"{m} is not allowed")

    # --- authentication -------------------------------------------------------------------

    def _authenticate(self, ctx: Ctx) -> None:
        header = (ctx.header("Authorization") or "").strip()
        auth: _signing.Authorization | None = None
        try:
            if header:
                auth = _signing.Authorization.parse(header)
            elif "q-signature" in ctx.lparams:
                auth = _signing.Authorization.from_fields(
                    {k: v for k, v in ctx.lparams.items() if k.startswith("q-")}
                )
            elif "sign" in ctx.lparams:
                auth = _signing.Authorization.parse(ctx.lparams["sign"])
        except ValueError as exc:
            raise _err(403, "AccessDenied", f"malformed authorization: {exc}") from exc
        if auth is None:
            ctx.anonymous = True
            self._check_anonymous(ctx)
            return
        cred = self.credentials.get(auth.access_key)
        if cred is None:
            raise _err(
                403, "InvalidAccessKeyId", "The access key Id format you provided is invalid."
            )
        now = self.clock()
        for start, end in (auth.sign_time, auth.key_time):
            if end < now:
                raise _err(403, "AccessDenied", "Request has expired")
            if start > now + CLOCK_SKEW:
                raise _err(
                    403,
                    "RequestTimeTooSkewed",
                    "The difference between the request time and the server's time is too large.",
                )
        token = ctx.header("x-cos-security-token") or ctx.lparams.get("x-cos-security-token")
        if cred.token is not None:
            if token is None:
                raise _err(403, "AccessDenied", "temporary credentials need x-cos-security-token")
            if not secrets.compare_digest(token, cred.token):
                raise _err(403, "InvalidAccessKeyId", "The security token is invalid.")
        elif token is not None:
            raise _err(403, "InvalidAccessKeyId", "x-cos-security-token sent with a permanent key")
        headers = {_signing._encode(k).lower(): v for k, v in ctx.request.headers.items()}
        params = {
            _signing._encode(k).lower(): v for k, v in ctx.params.items() if not k.startswith("q-")
        }
        host = headers.get("host", "")
        alternatives = [_strip_port(host)] if host else []
        try:
            _signing.verify(
                auth,
                secret_key=cred.secret_key,
                method=ctx.method,
                path=ctx.path,
                params=params,
                headers=headers,
                now=int(now),
                host_alternatives=alternatives,
            )
        except _signing.SignatureMismatch as exc:
            raise _err(
                403,
                "SignatureDoesNotMatch",
                f"The calculated signature does not match the provided one: {exc}",
            ) from exc

    def _check_anonymous(self, ctx: Ctx) -> None:
        denied = _err(403, "AccessDenied", "Access Denied.")
        if ctx.bucket is None:
            raise denied
        bucket = self.store.buckets.get(ctx.bucket)
        if bucket is None:
            raise denied
        bucket_read = _acl_allows(bucket.acl, "READ")
        bucket_write = _acl_allows(bucket.acl, "WRITE")
        op = ctx.operation
        if op in ("GetObject", "HeadObject") and ctx.key is not None:
            current = bucket.current(ctx.key)
            if current is not None and current.acl.canned != "default":
                if _acl_allows(current.acl, "READ"):
                    return
                raise denied
            if bucket_read:
                return
            raise denied
        if op in ("GetBucket", "HeadBucket") and bucket_read:
            return
        if (
            op
            in (
                "PutObject",
                "DeleteObject",
                "InitiateMultipartUpload",
                "UploadPart",
                "CompleteMultipartUpload",
                "AbortMultipartUpload",
                "AppendObject",
            )
            and bucket_write
        ):
            return
        raise denied

    # --- responses ------------------------------------------------------------------------

    def _base_headers(self, request_id: str | None) -> dict[str, str]:
        headers = {"Server": "tencent-cos"}
        if request_id is not None:
            headers["x-cos-request-id"] = request_id
            headers["x-cos-trace-id"] = hashlib.sha1(request_id.encode()).hexdigest()
        return headers

    def _error_response(
        self,
        ctx: Ctx | None,
        status: int,
        code: str,
        message: str,
        *,
        extra: Mapping[str, str] | None = None,
        request_id: bool = True,
        request_id_value: str | None = None,
    ) -> web.Response:
        rid = request_id_value or (ctx.request_id if ctx is not None else secrets.token_hex(12))
        headers = self._base_headers(rid if request_id else None)
        headers.update(extra or {})
        if (ctx is not None and ctx.method == "HEAD") or status == 304:
            return web.Response(status=status, headers=headers)  # no body, no Content-Type
        body: dict[str, Any] = {
            "Code": code,
            "Message": message,
            "Resource": ctx.resource if ctx is not None else "",
        }
        if request_id:
            body["RequestId"] = rid
            body["TraceId"] = headers["x-cos-trace-id"]
        headers["Content-Type"] = "application/xml"
        return web.Response(status=status, body=build("Error", body), headers=headers)

    def _xml(
        self,
        ctx: Ctx,
        root: str,
        body: Mapping[str, Any],
        *,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> web.Response:
        h = self._base_headers(ctx.request_id)
        h["Content-Type"] = "application/xml"
        h.update(headers or {})
        return web.Response(status=status, body=build(root, body), headers=h)

    def _empty(
        self, ctx: Ctx, status: int = 200, headers: Mapping[str, str] | None = None
    ) -> web.Response:
        h = self._base_headers(ctx.request_id)
        h.update(headers or {})
        return web.Response(status=status, headers=h)

    # --- dispatch -------------------------------------------------------------------------

    async def _dispatch(self, ctx: Ctx) -> web.StreamResponse:
        op = ctx.operation
        if op == "ListBuckets":
            return self.list_buckets(ctx)
        if op == "PutBucket":
            return await self.put_bucket(ctx)
        assert ctx.bucket is not None
        if not _BUCKET_RE.match(ctx.bucket) or len(ctx.bucket) > 60:
            raise _err(
                400, "InvalidBucketName", f"The specified bucket is not valid: {ctx.bucket!r}"
            )
        bucket = self.store.buckets.get(ctx.bucket)
        if bucket is None:
            raise _err(404, "NoSuchBucket", "The specified bucket does not exist.")
        if ctx.key is not None and len(ctx.key.encode("utf-8")) > MAX_KEY_BYTES:
            raise _err(400, "KeyTooLong", f"The object key is longer than {MAX_KEY_BYTES} bytes.")
        handler = self._handlers().get(op.split(":", 1)[0])
        if handler is None:
            raise _err(501, "NotImplemented", f"{op} is not implemented by the local COS server")
        return await handler(ctx, bucket)

    def _handlers(self) -> dict[str, Callable[[Ctx, BucketState], Awaitable[web.StreamResponse]]]:
        return {
            "HeadBucket": self.head_bucket,
            "DeleteBucket": self.delete_bucket,
            "GetBucket": self.get_bucket,
            "GetBucketLocation": self.get_bucket_location,
            "ListObjectVersions": self.list_object_versions,
            "ListMultipartUploads": self.list_multipart_uploads,
            "ListBucketInventoryConfigurations": self.list_inventory,
            "PutBucket": self.put_bucket_config,
            "DeleteMultipleObjects": self.delete_multiple,
            "PostObject": self.post_object,
            "OptionsObject": self.options_object,
            "PutObject": self.put_object,
            "GetObject": self.get_object,
            "HeadObject": self.head_object,
            "DeleteObject": self.delete_object,
            "PutObjectCopy": self.copy_object,
            "AppendObject": self.append_object,
            "PostObjectRestore": self.restore_object,
            "SelectObjectContent": self.select_object_content,
            "GetObjectACL": self.get_object_acl,
            "PutObjectACL": self.put_object_acl,
            "GetObjectTagging": self.get_object_tagging,
            "PutObjectTagging": self.put_object_tagging,
            "DeleteObjectTagging": self.delete_object_tagging,
            "InitiateMultipartUpload": self.initiate_upload,
            "UploadPart": self.upload_part,
            "UploadPartCopy": self.upload_part_copy,
            "ListParts": self.list_parts,
            "CompleteMultipartUpload": self.complete_upload,
            "AbortMultipartUpload": self.abort_upload,
            "DeleteBucket:": self.delete_bucket,
        }

    # --- service and buckets --------------------------------------------------------------

    def list_buckets(self, ctx: Ctx) -> web.Response:
        buckets = [
            {"Name": b.name, "Location": b.region, "CreationDate": iso_date(b.created)}
            for b in sorted(self.store.buckets.values(), key=lambda b: b.name)
        ]
        return self._xml(
            ctx,
            "ListAllMyBucketsResult",
            {
                "Owner": {"ID": self.owner_id, "DisplayName": self.owner_uin},
                "Buckets": {"Bucket": buckets} if buckets else None,
            },
        )

    async def put_bucket(self, ctx: Ctx) -> web.StreamResponse:
        assert ctx.bucket is not None
        if not _BUCKET_RE.match(ctx.bucket) or len(ctx.bucket) > 60:
            raise _err(
                400, "InvalidBucketName", f"The specified bucket is not valid: {ctx.bucket!r}"
            )
        if ctx.bucket in self.store.buckets:
            raise _err(409, "BucketAlreadyExists", "The requested bucket name is not available.")
        body = await _read_small(ctx)
        if body.strip():
            try:
                parse(body)
            except XMLError as exc:
                raise _err(400, "MalformedXML", str(exc)) from exc
        acl = _acl_from_headers(ctx, for_bucket=True) or Acl(canned="private")
        self.store.create_bucket(ctx.bucket, self.region, acl)
        return self._empty(ctx, 200, {"Location": f"/{ctx.bucket}"})

    async def head_bucket(self, ctx: Ctx, bucket: BucketState) -> web.StreamResponse:
        return self._empty(ctx, 200, {"x-cos-bucket-region": bucket.region})

    async def delete_bucket(self, ctx: Ctx, bucket: BucketState) -> web.StreamResponse:
        sub = ctx.operation.partition(":")[2]
        if sub:
            return await self.delete_bucket_config(ctx, bucket, sub)
        if bucket.objects:
            raise _err(409, "BucketNotEmpty", "The bucket you tried to delete is not empty.")
        self.store.delete_bucket(bucket.name)
        return self._empty(ctx, 204)

    async def get_bucket_location(self, ctx: Ctx, bucket: BucketState) -> web.StreamResponse:
        return self._xml(ctx, "LocationConstraint", {"#text": bucket.region})

    async def put_bucket_config(self, ctx: Ctx, bucket: BucketState) -> web.StreamResponse:
        sub = ctx.operation.partition(":")[2]
        body = await _read_small(ctx)
        _check_content_md5(ctx, body)
        if sub == "acl":
            acl = _acl_from_headers(ctx, for_bucket=True)
            if acl is None:
                acl = self._acl_from_body(body)
            bucket.acl = acl
            self.store.persist_bucket(bucket)
            return self._empty(ctx)
        if sub == "versioning":
            validate_config("versioning", body)
            bucket.versioning = text_of(parse(body)["VersioningConfiguration"]["Status"])
            self.store.persist_bucket(bucket)
            return self._empty(ctx)
        if sub not in CONFIG_ROOTS:
            raise _err(501, "NotImplemented", f"PUT ?{sub} is not implemented")
        if sub == "referer" and not body.strip():
            # COS has no DELETE ?referer: an empty configuration removes it (official SDK)
            bucket.configs.pop("referer", None)
            self.store.persist_bucket(bucket)
            return self._empty(ctx, 200)
        inventory_id = ctx.get("id") if sub == "inventory" else None
        if sub == "inventory":
            if not inventory_id:
                raise _err(400, "InvalidArgument", "PUT ?inventory needs an id parameter")
            count = sum(1 for k in bucket.configs if k.startswith("inventory:"))
            if f"inventory:{inventory_id}" not in bucket.configs and count >= 1000:
                raise _err(400, "TooManyConfigurations", "at most 1000 inventory configurations")
        validate_config(sub, body, inventory_id=inventory_id)
        if sub == "replication" and bucket.versioning != "Enabled":
            raise _err(400, "InvalidRequest", "replication needs versioning enabled on the bucket")
        if sub == "tagging":
            bucket.tags = parse_tagging(parse(body), limit=50)
        config_key = f"inventory:{inventory_id}" if sub == "inventory" else sub
        bucket.configs[config_key] = body
        self.store.persist_bucket(bucket)
        return self._empty(ctx, 200)

    async def get_bucket_config(
        self, ctx: Ctx, bucket: BucketState, sub: str
    ) -> web.StreamResponse:
        if sub == "acl":
            return self._acl_response(ctx, bucket.acl)
        if sub == "versioning":
            body = {"Status": bucket.versioning} if bucket.versioning else None
            return self._xml(ctx, "VersioningConfiguration", body or {})
        if sub not in CONFIG_ROOTS:
            raise _err(501, "NotImplemented", f"GET ?{sub} is not implemented")
        config_key = f"inventory:{ctx.get('id')}" if sub == "inventory" else sub
        doc = bucket.configs.get(config_key)
        if doc is None:
            if sub == "logging":
                return self._xml(ctx, "BucketLoggingStatus", {})
            code = CONFIG_ROOTS[sub][1]
            raise _err(404, code, f"The {sub} configuration does not exist.")
        h = self._base_headers(ctx.request_id)
        h["Content-Type"] = "application/json" if sub == "policy" else "application/xml"
        return web.Response(status=200, body=doc, headers=h)

    async def delete_bucket_config(
        self, ctx: Ctx, bucket: BucketState, sub: str
    ) -> web.StreamResponse:
        if sub not in CONFIG_ROOTS:
            raise _err(501, "NotImplemented", f"DELETE ?{sub} is not implemented")
        config_key = f"inventory:{ctx.get('id')}" if sub == "inventory" else sub
        if bucket.configs.pop(config_key, None) is None and sub == "inventory":
            raise _err(
                404, "NoSuchInventoryConfiguration", "The inventory configuration does not exist."
            )
        if sub == "tagging":
            bucket.tags = {}
        self.store.persist_bucket(bucket)
        return self._empty(ctx, 204)

    async def list_inventory(self, ctx: Ctx, bucket: BucketState) -> web.StreamResponse:
        configs = [
            parse(doc)["InventoryConfiguration"]
            for k, doc in sorted(bucket.configs.items())
            if k.startswith("inventory:")
        ]
        return self._xml(
            ctx,
            "ListInventoryConfigurationResult",
            {"InventoryConfiguration": configs, "IsTruncated": "false"},
        )

    # --- listing --------------------------------------------------------------------------

    async def get_bucket(self, ctx: Ctx, bucket: BucketState) -> web.StreamResponse:
        sub = ctx.operation.partition(":")[2]
        if sub:
            return await self.get_bucket_config(ctx, bucket, sub)
        prefix = ctx.get("prefix") or ""
        delimiter = ctx.get("delimiter") or ""
        marker = ctx.get("marker") or ""
        max_keys = _max_param(ctx, "max-keys")
        encoding = _encoding_type(ctx)
        enc = _encoder(encoding)
        contents: list[dict[str, Any]] = []
        prefixes: list[str] = []
        truncated = False
        next_marker = ""
        count = 0
        keys = bucket.sorted_keys()
        i = Store.start_index(keys, marker, prefix)
        if (
            delimiter
            and marker.startswith(prefix)
            and marker.endswith(delimiter)
            and marker.find(delimiter, len(prefix)) == len(marker) - len(delimiter)
        ):
            # The marker is a common prefix (a NextMarker): skip every key it rolls up.
            i = max(i, bisect.bisect_left(keys, marker + "\U0010ffff"))
        while i < len(keys):
            key = keys[i]
            i += 1
            if prefix and not key.startswith(prefix):
                break
            current = bucket.current(key)
            if current is None or current.delete_marker:
                continue
            if delimiter:
                pos = key.find(delimiter, len(prefix))
                if pos >= 0:
                    cp = key[: pos + len(delimiter)]
                    if count >= max_keys:
                        truncated = True
                        break
                    prefixes.append(cp)
                    count += 1
                    next_marker = cp
                    i = bisect.bisect_left(keys, cp + "\U0010ffff", lo=i)
                    continue
            if count >= max_keys:
                truncated = True
                break
            contents.append(self._content_entry(current, enc))
            count += 1
            next_marker = key
        body: dict[str, Any] = {"Name": bucket.name}
        if encoding:
            body["EncodingType"] = encoding
        body.update(
            {
                "Prefix": enc(prefix),
                "Marker": enc(marker),
                "MaxKeys": str(max_keys),
            }
        )
        if delimiter:
            body["Delimiter"] = enc(delimiter)
        body["IsTruncated"] = "true" if truncated else "false"
        if truncated:
            body["NextMarker"] = enc(next_marker)
        if contents:
            body["Contents"] = contents
        if prefixes:
            body["CommonPrefixes"] = [{"Prefix": enc(p)} for p in prefixes]
        return self._xml(ctx, "ListBucketResult", body)

    def _owner(self) -> dict[str, str]:
        return {"ID": self.owner_uin, "DisplayName": self.owner_uin}

    def _content_entry(self, v: ObjectVersion, enc: Callable[[str], str]) -> dict[str, Any]:
        return {
            "Key": enc(v.key),
            "LastModified": iso_date(v.last_modified),
            "ETag": v.etag,
            "Size": str(v.size),
            "Owner": self._owner(),
            "StorageClass": v.storage_class,
        }

    async def list_object_versions(self, ctx: Ctx, bucket: BucketState) -> web.StreamResponse:
        prefix = ctx.get("prefix") or ""
        delimiter = ctx.get("delimiter") or ""
        key_marker = ctx.get("key-marker") or ""
        vid_marker = ctx.get("version-id-marker") or ""
        max_keys = _max_param(ctx, "max-keys")
        encoding = _encoding_type(ctx)
        enc = _encoder(encoding)
        entries: list[tuple[str, dict[str, Any]]] = []
        prefixes: list[str] = []
        truncated = False
        next_key = next_vid = ""
        done = False
        for key in sorted(bucket.objects):
            if prefix and not key.startswith(prefix):
                continue
            if key_marker and key < key_marker:
                continue
            if delimiter:
                pos = key.find(delimiter, len(prefix))
                if pos >= 0:
                    cp = key[: pos + len(delimiter)]
                    if cp in prefixes or (key_marker and cp <= key_marker):
                        continue
                    if len(entries) + len(prefixes) >= max_keys:
                        truncated = True
                        break
                    prefixes.append(cp)
                    next_key, next_vid = cp, ""
                    continue
            versions = list(reversed(bucket.objects[key]))
            start = 0
            if key_marker and key == key_marker:
                if not vid_marker:
                    continue
                idx = next((j for j, v in enumerate(versions) if v.version_id == vid_marker), None)
                if idx is None:
                    continue
                start = idx + 1
            for j in range(start, len(versions)):
                v = versions[j]
                if len(entries) + len(prefixes) >= max_keys:
                    truncated = True
                    done = True
                    break
                entry = {
                    "Key": enc(v.key),
                    "VersionId": v.version_id,
                    "IsLatest": "true" if j == 0 else "false",
                    "LastModified": iso_date(v.last_modified),
                    "Owner": self._owner(),
                }
                if not v.delete_marker:
                    entry.update(
                        {"ETag": v.etag, "Size": str(v.size), "StorageClass": v.storage_class}
                    )
                entries.append(("DeleteMarker" if v.delete_marker else "Version", entry))
                next_key, next_vid = v.key, v.version_id
            if done:
                break
        body: dict[str, Any] = {"Name": bucket.name}
        if encoding:
            body["EncodingType"] = encoding
        body.update(
            {
                "Prefix": enc(prefix),
                "KeyMarker": enc(key_marker),
                "VersionIdMarker": vid_marker,
                "MaxKeys": str(max_keys),
            }
        )
        if delimiter:
            body["Delimiter"] = enc(delimiter)
        body["IsTruncated"] = "true" if truncated else "false"
        if truncated:
            body["NextKeyMarker"] = enc(next_key)
            body["NextVersionIdMarker"] = next_vid
        versions_out = [e for kind, e in entries if kind == "Version"]
        markers_out = [e for kind, e in entries if kind == "DeleteMarker"]
        if versions_out:
            body["Version"] = versions_out
        if markers_out:
            body["DeleteMarker"] = markers_out
        if prefixes:
            body["CommonPrefixes"] = [{"Prefix": enc(p)} for p in prefixes]
        return self._xml(ctx, "ListVersionsResult", body)

    async def list_multipart_uploads(self, ctx: Ctx, bucket: BucketState) -> web.StreamResponse:
        prefix = ctx.get("prefix") or ""
        delimiter = ctx.get("delimiter") or ""
        key_marker = ctx.get("key-marker") or ""
        id_marker = ctx.get("upload-id-marker") or ""
        max_uploads = _max_param(ctx, "max-uploads")
        encoding = _encoding_type(ctx)
        enc = _encoder(encoding)
        # By upload id within a key (ids start with the initiation time in ms), the order
        # upload-id-marker compares in; sorting by time first loses uploads of the same ms.
        uploads = sorted(bucket.uploads.values(), key=lambda u: (u.key, u.upload_id))
        out: list[dict[str, Any]] = []
        prefixes: list[str] = []
        truncated = False
        next_key = next_id = ""
        for up in uploads:
            if prefix and not up.key.startswith(prefix):
                continue
            if key_marker:
                if up.key < key_marker:
                    continue
                if up.key == key_marker and (not id_marker or up.upload_id <= id_marker):
                    continue
            if delimiter:
                pos = up.key.find(delimiter, len(prefix))
                if pos >= 0:
                    cp = up.key[: pos + len(delimiter)]
                    if cp in prefixes:
                        continue
                    if len(out) + len(prefixes) >= max_uploads:
                        truncated = True
                        break
                    prefixes.append(cp)
                    continue
            if len(out) + len(prefixes) >= max_uploads:
                truncated = True
                break
            out.append(
                {
                    "Key": enc(up.key),
                    "UploadId": up.upload_id,
                    "StorageClass": up.storage_class,
                    "Initiator": {"ID": self.owner_id, "DisplayName": self.owner_uin},
                    "Owner": {"ID": self.owner_id, "DisplayName": self.owner_uin},
                    "Initiated": iso_date(up.initiated),
                }
            )
            next_key, next_id = up.key, up.upload_id
        body: dict[str, Any] = {"Bucket": bucket.name}
        if encoding:
            body["EncodingType"] = encoding
        body.update(
            {
                "KeyMarker": enc(key_marker),
                "UploadIdMarker": id_marker,
                "MaxUploads": str(max_uploads),
                "Prefix": enc(prefix),
            }
        )
        if delimiter:
            body["Delimiter"] = enc(delimiter)
        body["IsTruncated"] = "true" if truncated else "false"
        if truncated:
            body["NextKeyMarker"] = enc(next_key)
            body["NextUploadIdMarker"] = next_id
        if out:
            body["Upload"] = out
        if prefixes:
            body["CommonPrefixes"] = [{"Prefix": enc(p)} for p in prefixes]
        return self._xml(ctx, "ListMultipartUploadsResult", body)

    # --- objects: write -------------------------------------------------------------------

    def _etag_for(self, md5_hex: str, crc: int, size: int) -> str:
        if self.fast_etag:
            return f'"{crc:016x}{size:016x}"'
        return f'"{md5_hex}"'

    async def _receive(
        self,
        ctx: Ctx,
        *,
        limit: int = MAX_OBJECT_SIZE,
        want_md5: bool | None = None,
        keep_md5_state: bool = False,
    ) -> _ReceivedBody:
        request = ctx.request
        expected = request.content_length
        if expected is not None and expected > limit:
            raise _err(
                400, "EntityTooLarge", f"Your proposed upload {expected} exceeds {limit} bytes."
            )
        content_md5 = ctx.header("Content-MD5")
        need_md5 = (not self.fast_etag) if want_md5 is None else want_md5
        need_md5 = need_md5 or content_md5 is not None or keep_md5_state
        md5 = hashlib.md5() if need_md5 else None
        crc = 0
        writer = self.store.writer(expected)
        fault = ctx.fault
        reset_at = fault.after_bytes if fault is not None and fault.action == "reset" else None
        corrupt_at = fault.after_bytes if fault is not None and fault.action == "corrupt" else None
        size = 0
        try:
            # iter_chunks() hands over the received chunks one by one; readany()/iter_any()
            # would join everything buffered into a fresh allocation whenever we lag behind.
            async for chunk in _body_chunks(request):
                n = len(chunk)
                if reset_at is not None and size + n >= reset_at:
                    _reset_connection(request)
                    raise _Disconnected
                if corrupt_at is not None and size <= corrupt_at < size + n:
                    buf = bytearray(chunk)
                    buf[corrupt_at - size] ^= 0xFF
                    chunk = bytes(buf)
                if size + n > limit:
                    raise _err(400, "EntityTooLarge", f"Your upload exceeds {limit} bytes.")
                if md5 is not None:
                    md5.update(chunk)
                crc = crc64(chunk, crc)
                await writer.write(chunk)
                size += n
        except (CosServerError, _Disconnected):
            await writer.abort()
            raise
        except Exception as exc:  # the client went away mid-body
            await writer.abort()
            raise _Disconnected from exc
        if reset_at is not None:  # the body ended before the reset point: reset at the end
            await writer.abort()
            _reset_connection(request)
            raise _Disconnected
        if expected is not None and size != expected:
            await writer.abort()
            raise _err(400, "IncompleteBody", f"received {size} of {expected} bytes")
        md5_hex = md5.hexdigest() if md5 is not None else ""
        if content_md5 is not None:
            try:
                want = base64.b64decode(content_md5.strip(), validate=True)
            except (binascii.Error, ValueError) as exc:
                await writer.abort()
                raise _err(
                    400, "InvalidDigest", f"Content-MD5 is not base64: {content_md5!r}"
                ) from exc
            if len(want) != 16:
                await writer.abort()
                raise _err(400, "InvalidDigest", f"Content-MD5 is not an MD5: {content_md5!r}")
            if want.hex() != md5_hex:
                await writer.abort()
                raise _err(
                    400,
                    "BadDigest",
                    "The Content-MD5 you specified did not match what was received.",
                )
        blob = await writer.finish()
        return _ReceivedBody(blob, size, md5_hex, crc, md5 if keep_md5_state else None)

    def _check_write_headers(self, ctx: Ctx) -> None:
        _check_traffic_limit(ctx)

    def _object_headers(self, ctx: Ctx) -> dict[str, str]:
        headers: dict[str, str] = {}
        meta_bytes = 0
        for name, value in ctx.request.headers.items():
            low = name.lower()
            if low in STORED_HEADERS:
                headers[low] = value
            elif low.startswith("x-cos-meta-"):
                headers[low] = value
                meta_bytes += len(low) + len(value.encode("utf-8"))
        if meta_bytes > MAX_META_BYTES:
            raise _err(
                400,
                "MetadataTooLarge",
                f"Your metadata headers ({meta_bytes} bytes) exceed the maximum of {MAX_META_BYTES}.",
            )
        headers.setdefault("content-type", "application/octet-stream")
        return headers

    def _storage_class(self, ctx: Ctx, default: str = "STANDARD") -> str:
        value = ctx.header("x-cos-storage-class")
        if value is None:
            return default
        sc = value.strip().upper()
        if sc not in STORAGE_CLASSES:
            raise _err(
                400,
                "InvalidStorageClass",
                f"The storage class you specified is not valid: {value!r}",
            )
        return sc

    def _tags_from_header(self, ctx: Ctx) -> dict[str, str]:
        value = ctx.header("x-cos-tagging")
        if not value:
            return {}
        return parse_tag_header(value, limit=10)

    def _sse(self, ctx: Ctx) -> dict[str, str]:
        sse: dict[str, str] = {}
        algo = ctx.header("x-cos-server-side-encryption")
        if algo is not None:
            if algo not in ("AES256", "cos/kms", "SM4"):
                raise _err(
                    400, "InvalidArgument", f"unsupported x-cos-server-side-encryption {algo!r}"
                )
            sse["x-cos-server-side-encryption"] = algo
            if algo == "cos/kms":
                kid = ctx.header("x-cos-server-side-encryption-cos-kms-key-id")
                sse["x-cos-server-side-encryption-cos-kms-key-id"] = kid or "default-kms-key"
        customer = _sse_customer(ctx, "x-cos-server-side-encryption-customer-")
        if customer is not None:
            sse["x-cos-server-side-encryption-customer-algorithm"] = "AES256"
            sse["x-cos-server-side-encryption-customer-key-MD5"] = customer
        return sse

    def _check_sse_access(
        self,
        ctx: Ctx,
        v: ObjectVersion | Upload,
        prefix: str = "x-cos-server-side-encryption-customer-",
    ) -> None:
        stored = v.sse.get("x-cos-server-side-encryption-customer-key-MD5")
        given = _sse_customer(ctx, prefix)
        if stored is None:
            return
        if given is None:
            raise _err(
                400, "InvalidRequest", "The object was stored with SSE-C: send the customer key."
            )
        if given != stored:
            raise _err(403, "AccessDenied", "The SSE-C key does not match the object's key.")

    def _write_response_headers(self, bucket: BucketState, v: ObjectVersion) -> dict[str, str]:
        h = {"ETag": v.etag}
        if v.crc64 is not None:
            h["x-cos-hash-crc64ecma"] = str(v.crc64)
        if bucket.versioning in ("Enabled", "Suspended"):
            h["x-cos-version-id"] = v.version_id
        h.update(_sse_echo(v.sse))
        return h

    def _new_version_id(self, bucket: BucketState) -> str:
        return new_version_id() if bucket.versioning == "Enabled" else "null"

    async def put_object(self, ctx: Ctx, bucket: BucketState) -> web.StreamResponse:
        assert ctx.key is not None
        self._check_write_headers(ctx)
        headers = self._object_headers(ctx)
        storage_class = self._storage_class(ctx)
        acl = _acl_from_headers(ctx, for_bucket=False) or Acl(canned="default")
        tags = self._tags_from_header(ctx)
        sse = self._sse(ctx)
        body = await self._receive(ctx)
        version = ObjectVersion(
            key=ctx.key,
            version_id=self._new_version_id(bucket),
            segments=[body.blob],
            size=body.size,
            etag=self._etag_for(body.md5_hex, body.crc64, body.size),
            crc64=body.crc64,
            last_modified=self.clock(),
            headers=headers,
            storage_class=storage_class,
            acl=acl,
            tags=tags,
            sse=sse,
        )
        self.store.put_version(bucket, version)
        return self._empty(ctx, 200, self._write_response_headers(bucket, version))

    async def append_object(self, ctx: Ctx, bucket: BucketState) -> web.StreamResponse:
        assert ctx.key is not None
        self._check_write_headers(ctx)
        position_text = ctx.get("position")
        if position_text is None or not position_text.isdigit():
            raise _err(
                400, "InvalidArgument", f"append needs a numeric position, got {position_text!r}"
            )
        position = int(position_text)
        current = bucket.current(ctx.key)
        if current is not None and current.delete_marker:
            current = None
        if current is not None and current.object_type != "appendable":
            raise _err(409, "ObjectNotAppendable", "The object is not appendable.")
        length = current.size if current is not None else 0
        if position != length:
            raise _err(
                409,
                "PositionNotEqualToLength",
                f"The position {position} is not the object's length {length}.",
                **{"x-cos-next-append-position": str(length)},
            )
        body = await self._receive(ctx, limit=MAX_OBJECT_SIZE - length, keep_md5_state=True)
        if current is None:
            md5_state = body.md5_state
            version = ObjectVersion(
                key=ctx.key,
                version_id=self._new_version_id(bucket),
                segments=[body.blob],
                size=body.size,
                etag="",
                crc64=body.crc64,
                last_modified=self.clock(),
                headers=self._object_headers(ctx),
                storage_class=self._storage_class(ctx),
                acl=_acl_from_headers(ctx, for_bucket=False) or Acl(canned="default"),
                tags=self._tags_from_header(ctx),
                object_type="appendable",
                sse=self._sse(ctx),
            )
        else:
            md5_state = current.md5_state
            if md5_state is None:  # after a restart: rebuild from the stored content
                md5_state = hashlib.md5()
                async for chunk in iter_segments(current.segments, 0, current.size):
                    md5_state.update(chunk)
            data = await body.blob.read_all()
            md5_state.update(data)
            old_crc = current.crc64 if current.crc64 is not None else 0
            version = attrs.evolve(
                current,
                segments=[*current.segments, body.blob],
                size=current.size + body.size,
                crc64=combine(old_crc, body.crc64, body.size),
                last_modified=self.clock(),
            )
        version.etag = f'"{md5_state.hexdigest()}"'
        version.md5_state = md5_state
        if current is not None:
            # Replace in place: appends do not create versions.
            versions = bucket.objects[ctx.key]
            versions[-1] = version
            self.store._incref([body.blob])
            self.store.persist_key(bucket, ctx.key)
        else:
            self.store.put_version(bucket, version)
        headers = self._write_response_headers(bucket, version)
        headers["x-cos-next-append-position"] = str(version.size)
        return self._empty(ctx, 200, headers)

    # --- objects: read --------------------------------------------------------------------

    def _find_version(self, ctx: Ctx, bucket: BucketState) -> ObjectVersion:
        assert ctx.key is not None
        version_id = ctx.get("versionId")
        versions = bucket.objects.get(ctx.key)
        if version_id:
            for v in versions or []:
                if v.version_id == version_id:
                    if v.delete_marker:
                        raise _err(
                            405,
                            "MethodNotAllowed",
                            "The specified method is not allowed against a delete marker.",
                            **{"x-cos-delete-marker": "true", "x-cos-version-id": v.version_id},
                        )
                    return v
            raise _err(404, "NoSuchVersion", "The specified version does not exist.")
        if not versions:
            raise _err(404, "NoSuchKey", "The specified key does not exist.")
        v = versions[-1]
        if v.delete_marker:
            raise _err(
                404,
                "NoSuchKey",
                "The specified key does not exist.",
                **{"x-cos-delete-marker": "true", "x-cos-version-id": v.version_id},
            )
        return v

    def _object_response_headers(self, bucket: BucketState, v: ObjectVersion) -> dict[str, str]:
        h: dict[str, str] = {
            "ETag": v.etag,
            "Last-Modified": http_date(v.last_modified),
            "Accept-Ranges": "bytes",
        }
        for name, value in v.headers.items():
            h[_canonical_header(name)] = value
        if v.crc64 is not None:
            h["x-cos-hash-crc64ecma"] = str(v.crc64)
        if v.storage_class != "STANDARD":
            h["x-cos-storage-class"] = v.storage_class
        if v.object_type != "normal":
            h["x-cos-object-type"] = v.object_type
            h["x-cos-next-append-position"] = str(v.size)
        if bucket.versioning in ("Enabled", "Suspended"):
            h["x-cos-version-id"] = v.version_id
        if v.tags:
            h["x-cos-tagging-count"] = str(len(v.tags))
        h.update(_sse_echo(v.sse))
        if v.storage_class in ARCHIVE_CLASSES and v.restore_ready_at is not None:
            if self.clock() < v.restore_ready_at:
                h["x-cos-restore"] = 'ongoing-request="true"'
            elif v.restore_expiry is not None:
                h["x-cos-restore"] = (
                    f'ongoing-request="false", expiry-date="{http_date(v.restore_expiry)}"'
                )
        return h

    def _check_conditions(self, ctx: Ctx, v: ObjectVersion, h: Mapping[str, str]) -> None:
        if_match = ctx.header("If-Match")
        if_unmod = ctx.header("If-Unmodified-Since")
        if_none = ctx.header("If-None-Match")
        if_mod = ctx.header("If-Modified-Since")
        lm = int(v.last_modified)
        if if_match is not None:
            if not _etag_matches(if_match, v.etag):
                raise _err(
                    412,
                    "PreconditionFailed",
                    "At least one of the pre-conditions you specified did not hold.",
                )
        elif if_unmod is not None:
            ts = _parse_http_date(if_unmod)
            if ts is not None and lm > ts:
                raise _err(
                    412,
                    "PreconditionFailed",
                    "At least one of the pre-conditions you specified did not hold.",
                )
        not_modified_headers = {k: h[k] for k in ("ETag", "Last-Modified") if k in h}
        if if_none is not None:
            if _etag_matches(if_none, v.etag):
                raise CosServerError(304, "NotModified", "Not Modified", not_modified_headers)
        elif if_mod is not None:
            ts = _parse_http_date(if_mod)
            if ts is not None and lm <= ts:
                raise CosServerError(304, "NotModified", "Not Modified", not_modified_headers)

    def _check_readable(self, v: ObjectVersion) -> None:
        if v.storage_class not in ARCHIVE_CLASSES:
            return
        now = self.clock()
        restored = (
            v.restore_ready_at is not None
            and now >= v.restore_ready_at
            and (v.restore_expiry is None or now < v.restore_expiry)
        )
        if not restored:
            raise _err(
                403,
                "InvalidObjectState",
                "The operation is not valid for the object's storage class (restore it first).",
            )

    async def head_object(self, ctx: Ctx, bucket: BucketState) -> web.StreamResponse:
        v = self._find_version(ctx, bucket)
        self._check_sse_access(ctx, v)
        h = self._object_response_headers(bucket, v)
        self._check_conditions(ctx, v, h)
        h.update(self._base_headers(ctx.request_id))
        resp = web.Response(status=200, headers=h)
        resp.headers["Content-Length"] = str(v.size)
        return resp

    async def get_object(self, ctx: Ctx, bucket: BucketState) -> web.StreamResponse:
        _check_traffic_limit(ctx)
        v = self._find_version(ctx, bucket)
        self._check_sse_access(ctx, v)
        h = self._object_response_headers(bucket, v)
        self._check_conditions(ctx, v, h)
        self._check_readable(v)
        for param, header in RESPONSE_OVERRIDES.items():
            value = ctx.get(param)
            if value is not None:
                if any(ord(c) < 32 or ord(c) == 127 for c in value):
                    raise _err(400, "InvalidArgument", f"{param} has a control character")
                h[header] = value
        start, end, status = 0, v.size, 200
        range_header = ctx.header("Range")
        if range_header is not None:
            parsed = _parse_range(range_header, v.size)
            if parsed is not None:
                start, end = parsed
                status = 206
                h["Content-Range"] = f"bytes {start}-{end - 1}/{v.size}"
        h.update(self._base_headers(ctx.request_id))
        return await self._stream(ctx, status, h, v.segments, start, end)

    async def _stream(
        self,
        ctx: Ctx,
        status: int,
        headers: dict[str, str],
        segments: list[Blob],
        start: int,
        end: int,
    ) -> web.StreamResponse:
        length = end - start
        fault = ctx.fault
        if fault is None and length <= 256 * 1024:
            data = b"".join([bytes(c) async for c in iter_segments(segments, start, end)])
            return web.Response(status=status, body=data, headers=headers)
        resp = web.StreamResponse(status=status, headers=headers)
        resp.content_length = length
        # Pooled buffers are recycled once an object is deleted and nobody reads it. The event
        # loop's transport may still hold views of them in its write buffer (Python 3.12+ does not
        # copy), so the content stays pinned until that buffer has drained.
        for seg in segments:
            seg.pin()
        try:
            return await self._stream_body(ctx, resp, segments, start, end)
        finally:
            await _drained(ctx.request)
            for seg in segments:
                seg.unpin()

    async def _stream_body(
        self,
        ctx: Ctx,
        resp: web.StreamResponse,
        segments: list[Blob],
        start: int,
        end: int,
    ) -> web.StreamResponse:
        await resp.prepare(ctx.request)
        return await self._write_body(ctx, resp, iter_segments(segments, start, end))

    async def _write_body(
        self,
        ctx: Ctx,
        resp: web.StreamResponse,
        chunks: AsyncIterator[bytes | memoryview],
    ) -> web.StreamResponse:
        """Write ``chunks`` to a prepared response, applying an armed reset, truncate or
        corrupt fault at ``after_bytes``."""
        fault = ctx.fault
        sent = 0
        cut = fault.after_bytes if fault is not None else None
        action = fault.action if fault is not None else None
        try:
            async for chunk in chunks:
                n = len(chunk)
                if action in ("reset", "truncate") and cut is not None and sent + n >= cut:
                    await resp.write(chunk[: cut - sent])
                    if action == "reset":
                        _reset_connection(ctx.request)
                    else:
                        await asyncio.sleep(0.05)
                        if ctx.request.transport is not None:
                            ctx.request.transport.close()
                    return resp
                if action == "corrupt" and cut is not None and sent <= cut < sent + n:
                    buf = bytearray(chunk)
                    buf[cut - sent] ^= 0xFF
                    chunk = bytes(buf)
                await resp.write(chunk)
                sent += n
            await resp.write_eof()
        except (ConnectionError, RuntimeError):
            pass  # the client went away
        return resp

    # --- delete ---------------------------------------------------------------------------

    def _delete_one(
        self, bucket: BucketState, key: str, version_id: str | None
    ) -> tuple[str | None, bool, str | None]:
        """Delete a key or one version: returns (version id, delete marker?, marker version id)."""
        if version_id:
            removed = self.store.remove_version(bucket, key, version_id)
            if removed is None:
                if bucket.versioning or version_id != "null":
                    return version_id, False, None
                return None, False, None
            return version_id, removed.delete_marker, None
        if bucket.versioning in ("Enabled", "Suspended"):
            marker = ObjectVersion(
                key=key,
                version_id=self._new_version_id(bucket),
                segments=[],
                size=0,
                etag="",
                crc64=None,
                last_modified=self.clock(),
                headers={},
                delete_marker=True,
            )
            self.store.put_version(bucket, marker)
            return None, True, marker.version_id
        self.store.remove_version(bucket, key, "null")
        return None, False, None

    async def delete_object(self, ctx: Ctx, bucket: BucketState) -> web.StreamResponse:
        assert ctx.key is not None
        version_id, was_marker, marker_id = self._delete_one(bucket, ctx.key, ctx.get("versionId"))
        h: dict[str, str] = {}
        if marker_id is not None:
            h["x-cos-delete-marker"] = "true"
            h["x-cos-version-id"] = marker_id
        elif version_id is not None:
            h["x-cos-version-id"] = version_id
            if was_marker:
                h["x-cos-delete-marker"] = "true"
        return self._empty(ctx, 204, h)

    async def delete_multiple(self, ctx: Ctx, bucket: BucketState) -> web.StreamResponse:
        body = await _read_small(ctx)
        if ctx.header("Content-MD5") is None:
            raise _err(
                400, "InvalidRequest", "Missing required header for this request: Content-MD5"
            )
        _check_content_md5(ctx, body)
        try:
            doc = parse(body)
        except XMLError as exc:
            raise _err(400, "MalformedXML", str(exc)) from exc
        root = doc.get("Delete")
        if not isinstance(root, dict):
            raise _err(400, "MalformedXML", "expected a <Delete> document")
        objects = root.get("Object") or []
        if not objects:
            raise _err(400, "MalformedXML", "<Delete> lists no <Object>")
        if len(objects) > 1000:
            raise _err(400, "MalformedXML", f"at most 1000 keys per request, got {len(objects)}")
        quiet = text_of(root.get("Quiet")).lower() == "true"
        deleted: list[dict[str, str]] = []
        errors: list[dict[str, str]] = []
        for obj in objects:
            if not isinstance(obj, dict) or not text_of(obj.get("Key")):
                raise _err(400, "MalformedXML", "each <Object> needs a <Key>")
            key = text_of(obj["Key"])
            vid = text_of(obj.get("VersionId")) or None
            if len(key.encode("utf-8")) > MAX_KEY_BYTES:
                errors.append({"Key": key, "Code": "KeyTooLong", "Message": "key too long"})
                continue
            version_id, was_marker, marker_id = self._delete_one(bucket, key, vid)
            if quiet:
                continue
            entry = {"Key": key}
            if version_id is not None:
                entry["VersionId"] = version_id
            if marker_id is not None:
                entry["DeleteMarker"] = "true"
                entry["DeleteMarkerVersionId"] = marker_id
            elif was_marker:
                entry["DeleteMarker"] = "true"
                entry["DeleteMarkerVersionId"] = version_id or ""
            deleted.append(entry)
        result: dict[str, Any] = {}
        if deleted:
            result["Deleted"] = deleted
        if errors:
            result["Error"] = errors
        return self._xml(ctx, "DeleteResult", result)

    # --- copy -----------------------------------------------------------------------------

    def _copy_source(self, ctx: Ctx) -> tuple[BucketState, ObjectVersion]:
        raw = ctx.header("x-cos-copy-source") or ""
        src_bucket, src_key, src_vid = _parse_copy_source(raw)
        if src_bucket is None or not src_key:
            raise _err(400, "InvalidArgument", f"x-cos-copy-source is malformed: {raw!r}")
        bucket = self.store.buckets.get(src_bucket)
        if bucket is None:
            raise _err(404, "NoSuchBucket", f"The source bucket does not exist: {src_bucket!r}")
        versions = bucket.objects.get(src_key) or []
        if src_vid:
            v = next((x for x in versions if x.version_id == src_vid), None)
        else:
            v = versions[-1] if versions else None
        if v is None or v.delete_marker:
            raise _err(404, "NoSuchKey", f"The source key does not exist: {src_key!r}")
        self._check_sse_access(ctx, v, "x-cos-copy-source-server-side-encryption-customer-")
        self._check_copy_conditions(ctx, v)
        self._check_readable(v)
        return bucket, v

    def _check_copy_conditions(self, ctx: Ctx, v: ObjectVersion) -> None:
        fail = _err(
            412,
            "PreconditionFailed",
            "At least one of the pre-conditions you specified did not hold.",
        )
        if_match = ctx.header("x-cos-copy-source-If-Match")
        if_none = ctx.header("x-cos-copy-source-If-None-Match")
        if_mod = ctx.header("x-cos-copy-source-If-Modified-Since")
        if_unmod = ctx.header("x-cos-copy-source-If-Unmodified-Since")
        lm = int(v.last_modified)
        if if_match is not None and not _etag_matches(if_match, v.etag):
            raise fail
        if if_none is not None and _etag_matches(if_none, v.etag):
            raise fail
        if if_unmod is not None:
            ts = _parse_http_date(if_unmod)
            if ts is not None and lm > ts:
                raise fail
        if if_mod is not None:
            ts = _parse_http_date(if_mod)
            if ts is not None and lm <= ts:
                raise fail

    async def copy_object(self, ctx: Ctx, bucket: BucketState) -> web.StreamResponse:
        assert ctx.key is not None
        src_bucket, src = self._copy_source(ctx)
        directive = (ctx.header("x-cos-metadata-directive") or "Copy").strip()
        if directive not in ("Copy", "Replaced"):
            raise _err(
                400,
                "InvalidArgument",
                f"x-cos-metadata-directive must be Copy or Replaced: {directive!r}",
            )
        # Without x-cos-storage-class a copy is STANDARD, not the source's class: copy_object's
        # StorageClass is "STANDARD (default)" (seeds/003 L164893-L164895), and so is the
        # destination's of Java's TransferManager.copy, multipart for large objects (003 L88713).
        storage_class = self._storage_class(ctx)
        same = src_bucket is bucket and src.key == ctx.key
        if same and directive == "Copy" and storage_class == src.storage_class:
            raise _err(
                400,
                "InvalidRequest",
                "This copy request is illegal because it is trying to copy an object to itself "
                "without changing the object's metadata or storage class.",
            )
        headers = self._object_headers(ctx) if directive == "Replaced" else dict(src.headers)
        tags = self._tags_from_header(ctx) if ctx.header("x-cos-tagging") else dict(src.tags)
        version = ObjectVersion(
            key=ctx.key,
            version_id=self._new_version_id(bucket),
            segments=list(src.segments),
            size=src.size,
            etag=src.etag,
            crc64=src.crc64,
            last_modified=self.clock(),
            headers=headers,
            storage_class=storage_class,
            acl=_acl_from_headers(ctx, for_bucket=False) or Acl(canned="default"),
            tags=tags,
            sse=self._sse(ctx),
        )
        result = {"ETag": version.etag, "LastModified": iso_date(version.last_modified)}
        if bucket.versioning == "Enabled":
            result["VersionId"] = version.version_id
        if version.crc64 is not None:
            result["CRC64"] = str(version.crc64)
        h = self._write_response_headers(bucket, version)
        if src.version_id != "null":
            h["x-cos-copy-source-version-id"] = src.version_id
        if ctx.fault is not None and ctx.fault.action == "error_after_200":
            return await self._late_error(ctx, ctx.fault)
        self.store.put_version(bucket, version)
        return self._xml(ctx, "CopyObjectResult", result, headers=h)

    async def _late_error(self, ctx: Ctx, fault: FaultRule) -> web.StreamResponse:
        """200, whitespace, then an Error document (how COS reports late failures)."""
        resp = web.StreamResponse(status=200, headers=self._base_headers(ctx.request_id))
        resp.content_type = "application/xml"
        await resp.prepare(ctx.request)
        await resp.write(b" ")
        await asyncio.sleep(0)
        await resp.write(b"\n ")
        doc = build(
            "Error",
            {
                "Code": fault.code,
                "Message": fault.message,
                "Resource": ctx.resource,
                "RequestId": ctx.request_id,
            },
        )
        await resp.write(_strip_declaration(doc))
        await resp.write_eof()
        return resp

    # --- restore --------------------------------------------------------------------------

    async def restore_object(self, ctx: Ctx, bucket: BucketState) -> web.StreamResponse:
        v = self._find_version(ctx, bucket)
        body = await _read_small(ctx)
        try:
            root = parse(body).get("RestoreRequest")
        except XMLError as exc:
            raise _err(400, "MalformedXML", str(exc)) from exc
        if not isinstance(root, dict):
            raise _err(400, "MalformedXML", "expected a <RestoreRequest> document")
        days_text = text_of(root.get("Days"))
        if not days_text.isdigit() or int(days_text) < 1:
            raise _err(
                400, "InvalidArgument", f"RestoreRequest Days must be >= 1, got {days_text!r}"
            )
        params = root.get("CASJobParameters") or {}
        tier = text_of(params.get("Tier")) if isinstance(params, dict) else ""
        tier = tier or "Standard"
        if v.storage_class not in ARCHIVE_CLASSES:
            raise _err(
                403,
                "InvalidObjectState",
                f"restore applies to ARCHIVE and DEEP_ARCHIVE objects, not {v.storage_class}",
            )
        allowed = (
            {"Expedited", "Standard", "Bulk"}
            if v.storage_class == "ARCHIVE"
            else {"Standard", "Bulk"}
        )
        if tier not in allowed:
            raise _err(
                400,
                "InvalidArgument",
                f"Tier {tier!r} is not valid for {v.storage_class}; use one of {sorted(allowed)}",
            )
        now = self.clock()
        expiry_days = int(days_text)
        if v.restore_ready_at is not None and now < v.restore_ready_at:
            raise _err(409, "RestoreAlreadyInProgress", "Object restore is already in progress.")
        already = v.restore_ready_at is not None and (
            v.restore_expiry is None or now < v.restore_expiry
        )
        if not already:
            v.restore_ready_at = now + self.restore_delay
        v.restore_expiry = max(now, v.restore_ready_at or now) + expiry_days * 86400
        self.store.persist_key(bucket, v.key)
        return self._empty(ctx, 200 if already else 202)

    # --- select ---------------------------------------------------------------------------

    async def select_object_content(self, ctx: Ctx, bucket: BucketState) -> web.StreamResponse:
        """COS Select (see ``_select``): an event stream answer, evaluated as it is sent."""
        if ctx.get("select-type") != "2":
            raise _err(400, "InvalidArgument", "select-type must be 2")
        v = self._find_version(ctx, bucket)
        self._check_sse_access(ctx, v)
        self._check_readable(v)
        request = parse_select_request(await _read_small(ctx))
        for seg in v.segments:
            seg.pin()
        try:
            events = select_stream(request, iter_segments(v.segments, 0, v.size))
            first = await anext(events)  # an error before any output is an HTTP error answer

            async def answer() -> AsyncIterator[bytes]:
                yield first
                async for event in events:
                    yield event

            h = self._base_headers(ctx.request_id)
            h["Content-Type"] = "application/octet-stream"
            resp = web.StreamResponse(status=200, headers=h)
            await resp.prepare(ctx.request)
            return await self._write_body(ctx, resp, answer())
        finally:
            await _drained(ctx.request)
            for seg in v.segments:
                seg.unpin()

    # --- ACL and tagging ------------------------------------------------------------------

    def _acl_from_body(self, body: bytes) -> Acl:
        try:
            doc = parse(body)
        except XMLError as exc:
            raise _err(400, "MalformedXML", str(exc)) from exc
        root = doc.get("AccessControlPolicy")
        if not isinstance(root, dict):
            raise _err(400, "MalformedACLError", "expected an <AccessControlPolicy> document")
        acl_list = root.get("AccessControlList") or {}
        grants: list[tuple[str, str, str]] = []
        for g in (acl_list.get("Grant") or []) if isinstance(acl_list, dict) else []:
            if not isinstance(g, dict) or not isinstance(g.get("Grantee"), dict):
                raise _err(400, "MalformedACLError", "each <Grant> needs a <Grantee>")
            perm = text_of(g.get("Permission"))
            if perm not in ("READ", "WRITE", "READ_ACP", "WRITE_ACP", "FULL_CONTROL"):
                raise _err(400, "MalformedACLError", f"unknown ACL permission {perm!r}")
            grantee = g["Grantee"]
            if grantee.get("URI"):
                grants.append(("uri", text_of(grantee["URI"]), perm))
            elif grantee.get("ID"):
                grants.append(("id", _normalise_uin(text_of(grantee["ID"])), perm))
            else:
                raise _err(400, "MalformedACLError", "a <Grantee> needs an <ID> or a <URI>")
        return Acl(canned="", grants=grants)

    def _acl_response(self, ctx: Ctx, acl: Acl) -> web.Response:
        grants: list[dict[str, Any]] = []
        for kind, value, perm in _effective_grants(acl, self.owner_id):
            if kind == "uri":
                grantee = {"@xmlns:xsi": _XSI, "@xsi:type": "Group", "URI": value}
            else:
                grantee = {
                    "@xmlns:xsi": _XSI,
                    "@xsi:type": "CanonicalUser",
                    "ID": value,
                    "DisplayName": value.rsplit("/", 1)[-1],
                }
            grants.append({"Grantee": grantee, "Permission": perm})
        body = {
            "Owner": {"ID": self.owner_id, "DisplayName": self.owner_uin},
            "AccessControlList": {"Grant": grants} if grants else None,
        }
        headers = {"x-cos-acl": acl.canned} if acl.canned else {}
        return self._xml(ctx, "AccessControlPolicy", body, headers=headers)

    async def get_object_acl(self, ctx: Ctx, bucket: BucketState) -> web.StreamResponse:
        v = self._find_version(ctx, bucket)
        return self._acl_response(ctx, v.acl)

    async def put_object_acl(self, ctx: Ctx, bucket: BucketState) -> web.StreamResponse:
        v = self._find_version(ctx, bucket)
        body = await _read_small(ctx)
        acl = _acl_from_headers(ctx, for_bucket=False)
        if acl is None:
            acl = self._acl_from_body(body)
        v.acl = acl
        self.store.persist_key(bucket, v.key)
        return self._empty(ctx)

    async def get_object_tagging(self, ctx: Ctx, bucket: BucketState) -> web.StreamResponse:
        v = self._find_version(ctx, bucket)
        tags = [{"Key": k, "Value": val} for k, val in v.tags.items()]
        return self._xml(ctx, "Tagging", {"TagSet": {"Tag": tags} if tags else None})

    async def put_object_tagging(self, ctx: Ctx, bucket: BucketState) -> web.StreamResponse:
        v = self._find_version(ctx, bucket)
        body = await _read_small(ctx)
        try:
            doc = parse(body)
        except XMLError as exc:
            raise _err(400, "MalformedXML", str(exc)) from exc
        if "Tagging" not in doc:
            raise _err(400, "MalformedXML", "expected a <Tagging> document")
        v.tags = parse_tagging(doc, limit=10)
        self.store.persist_key(bucket, v.key)
        return self._empty(
            ctx, 200, {"x-cos-version-id": v.version_id} if bucket.versioning else None
        )

    async def delete_object_tagging(self, ctx: Ctx, bucket: BucketState) -> web.StreamResponse:
        v = self._find_version(ctx, bucket)
        v.tags = {}
        self.store.persist_key(bucket, v.key)
        return self._empty(ctx, 204)

    # --- multipart ------------------------------------------------------------------------

    def _upload(self, ctx: Ctx, bucket: BucketState) -> Upload:
        upload_id = ctx.get("uploadId") or ""
        upload = bucket.uploads.get(upload_id)
        if upload is None or upload.key != ctx.key:
            raise _err(404, "NoSuchUpload", "The specified multipart upload does not exist.")
        return upload

    async def initiate_upload(self, ctx: Ctx, bucket: BucketState) -> web.StreamResponse:
        assert ctx.key is not None
        upload = Upload(
            upload_id=new_upload_id(),
            key=ctx.key,
            initiated=self.clock(),
            headers=self._object_headers(ctx),
            storage_class=self._storage_class(ctx),
            acl=_acl_from_headers(ctx, for_bucket=False) or Acl(canned="default"),
            tags=self._tags_from_header(ctx),
            sse=self._sse(ctx),
        )
        self.store.add_upload(bucket, upload)
        return self._xml(
            ctx,
            "InitiateMultipartUploadResult",
            {"Bucket": bucket.name, "Key": ctx.key, "UploadId": upload.upload_id},
            headers=_sse_echo(upload.sse),
        )

    def _part_number(self, ctx: Ctx) -> int:
        text = ctx.get("partNumber")
        if text is None or not text.isdigit() or not 1 <= int(text) <= MAX_PART_NUMBER:
            raise _err(
                400,
                "InvalidArgument",
                f"partNumber must be an integer in 1..{MAX_PART_NUMBER}, got {text!r}",
            )
        return int(text)

    async def upload_part(self, ctx: Ctx, bucket: BucketState) -> web.StreamResponse:
        number = self._part_number(ctx)
        upload = self._upload(ctx, bucket)
        self._check_sse_access(ctx, upload)
        _check_traffic_limit(ctx)
        body = await self._receive(ctx)
        if upload.upload_id not in bucket.uploads:  # aborted while the body was arriving
            await self.store.discard_blob(body.blob)
            raise _err(404, "NoSuchUpload", "The specified multipart upload does not exist.")
        part = Part(
            number=number,
            blob=body.blob,
            size=body.size,
            etag=self._etag_for(body.md5_hex, body.crc64, body.size),
            crc64=body.crc64,
            last_modified=self.clock(),
        )
        self.store.set_part(bucket, upload, part)
        h = {"ETag": part.etag, "x-cos-hash-crc64ecma": str(part.crc64)}
        h.update(_sse_echo(upload.sse))
        return self._empty(ctx, 200, h)

    async def upload_part_copy(self, ctx: Ctx, bucket: BucketState) -> web.StreamResponse:
        number = self._part_number(ctx)
        upload = self._upload(ctx, bucket)
        _src_bucket, src = self._copy_source(ctx)
        start, end = 0, src.size
        range_header = ctx.header("x-cos-copy-source-range")
        if range_header is not None:
            m = re.fullmatch(r"\s*bytes=(\d+)-(\d+)\s*", range_header)
            if m is None or int(m.group(1)) > int(m.group(2)) or int(m.group(2)) >= src.size:
                raise _err(
                    400,
                    "InvalidArgument",
                    f"invalid x-cos-copy-source-range {range_header!r} for an object of {src.size} bytes",
                )
            start, end = int(m.group(1)), int(m.group(2)) + 1
        if ctx.fault is not None and ctx.fault.action == "error_after_200":
            return await self._late_error(ctx, ctx.fault)
        writer = self.store.writer(end - start)
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
            etag=self._etag_for(md5.hexdigest(), crc, end - start),
            crc64=crc,
            last_modified=self.clock(),
        )
        self.store.set_part(bucket, upload, part)
        h = {"x-cos-hash-crc64ecma": str(crc)}
        if src.version_id != "null":
            h["x-cos-copy-source-version-id"] = src.version_id
        return self._xml(
            ctx,
            "CopyPartResult",
            {"ETag": part.etag, "LastModified": iso_date(part.last_modified), "CRC64": str(crc)},
            headers=h,
        )

    async def list_parts(self, ctx: Ctx, bucket: BucketState) -> web.StreamResponse:
        upload = self._upload(ctx, bucket)
        marker_text = ctx.get("part-number-marker") or "0"
        if not marker_text.isdigit():
            raise _err(
                400,
                "InvalidArgument",
                f"part-number-marker must be an integer, got {marker_text!r}",
            )
        marker = int(marker_text)
        max_parts = _max_param(ctx, "max-parts")
        encoding = _encoding_type(ctx)
        enc = _encoder(encoding)
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
                "Initiator": {"ID": self.owner_id, "DisplayName": self.owner_uin},
                "Owner": {"ID": self.owner_id, "DisplayName": self.owner_uin},
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
        return self._xml(ctx, "ListPartsResult", body)

    async def complete_upload(self, ctx: Ctx, bucket: BucketState) -> web.StreamResponse:
        upload = self._upload(ctx, bucket)
        body = await _read_small(ctx)
        try:
            doc = parse(body)
        except XMLError as exc:
            raise _err(400, "MalformedXML", str(exc)) from exc
        root = doc.get("CompleteMultipartUpload")
        if not isinstance(root, dict) or not root.get("Part"):
            raise _err(
                400, "MalformedXML", "expected <CompleteMultipartUpload> with <Part> entries"
            )
        listed: list[tuple[int, str]] = []
        for p in root["Part"]:
            if not isinstance(p, dict):
                raise _err(400, "MalformedXML", "each <Part> needs <PartNumber> and <ETag>")
            num = text_of(p.get("PartNumber"))
            if not num.isdigit():
                raise _err(400, "MalformedXML", f"PartNumber is not a number: {num!r}")
            listed.append((int(num), text_of(p.get("ETag"))))
        for (a, _), (b, _) in itertools.pairwise(listed):
            if b <= a:
                raise _err(400, "InvalidPartOrder", "The list of parts was not in ascending order.")
        for (a, _), (b, _) in itertools.pairwise(listed):
            if b != a + 1:
                raise _err(400, "InvalidPart", f"Part numbers are not continuous: {a} then {b}.")
        parts: list[Part] = []
        for number, etag in listed:
            part = upload.parts.get(number)
            if part is None or _strip_etag(part.etag) != _strip_etag(etag):
                raise _err(
                    400,
                    "InvalidPart",
                    f"Part {number} was not found or its ETag {etag!r} does not match.",
                )
            parts.append(part)
        for part in parts[:-1]:
            if part.size < MIN_PART_SIZE:
                raise _err(
                    400,
                    "EntityTooSmall",
                    f"Part {part.number} is {part.size} bytes; parts other than the last must be at least {MIN_PART_SIZE}.",
                )
        md5s = b"".join(bytes.fromhex(_strip_etag(p.etag)[:32]) for p in parts)
        etag = f'"{hashlib.md5(md5s).hexdigest()}-{len(parts)}"'
        crc = 0
        for p in parts:
            crc = combine(crc, p.crc64, p.size)
        assert ctx.key is not None
        version = ObjectVersion(
            key=ctx.key,
            version_id=self._new_version_id(bucket),
            segments=[p.blob for p in parts],
            size=sum(p.size for p in parts),
            etag=etag,
            crc64=crc,
            last_modified=self.clock(),
            headers=dict(upload.headers),
            storage_class=upload.storage_class,
            acl=upload.acl,
            tags=dict(upload.tags),
            sse=dict(upload.sse),
        )
        # COS answers 200 at once and keeps the connection alive with whitespace while it
        # assembles the parts; the result (or an Error document) follows the whitespace.
        late_error = ctx.fault is not None and ctx.fault.action == "error_after_200"
        headers = self._base_headers(ctx.request_id)
        if not late_error:
            headers.update(self._write_response_headers(bucket, version))
            del headers["ETag"]  # the ETag is in the document
        resp = web.StreamResponse(status=200, headers=headers)
        resp.content_type = "application/xml"
        await resp.prepare(ctx.request)
        await resp.write(b" ")
        if late_error:
            assert ctx.fault is not None
            await resp.write(b"\n ")
            await resp.write(
                _strip_declaration(
                    build(
                        "Error",
                        {
                            "Code": ctx.fault.code,
                            "Message": ctx.fault.message,
                            "Resource": ctx.resource,
                            "RequestId": ctx.request_id,
                        },
                    )
                )
            )
            await resp.write_eof()
            return resp
        self.store.put_version(bucket, version)
        self.store.remove_upload(bucket, upload, keep_blobs=False)
        result = {
            "Location": f"{bucket.name}.cos.{bucket.region}.myqcloud.com/{ctx.key}",
            "Bucket": bucket.name,
            "Key": ctx.key,
            "ETag": etag,
        }
        await resp.write(b"\n")
        await resp.write(_strip_declaration(build("CompleteMultipartUploadResult", result)))
        await resp.write_eof()
        return resp

    async def abort_upload(self, ctx: Ctx, bucket: BucketState) -> web.StreamResponse:
        upload = self._upload(ctx, bucket)
        self.store.remove_upload(bucket, upload, keep_blobs=False)
        return self._empty(ctx, 204)

    # --- POST object (HTML form) ----------------------------------------------------------

    async def post_object(self, ctx: Ctx, bucket: BucketState) -> web.StreamResponse:
        try:
            reader = await ctx.request.multipart()
        except (ValueError, AssertionError) as exc:
            raise _err(400, "MalformedPOSTRequest", f"bad multipart/form-data: {exc}") from exc
        fields: dict[str, str] = {}
        file_part: Any = None
        filename = ""
        while True:
            try:
                part = await reader.next()
            except ValueError as exc:  # e.g. the body ends before the closing boundary
                raise _err(400, "MalformedPOSTRequest", f"bad multipart/form-data: {exc}") from exc
            if part is None:
                break
            name = (getattr(part, "name", None) or "").strip()
            if name.lower() == "file":
                file_part = part
                filename = getattr(part, "filename", None) or ""
                break
            try:
                value = await part.text()  # type: ignore[union-attr]
            except ValueError as exc:  # e.g. the body ends inside the field
                raise _err(400, "MalformedPOSTRequest", f"bad multipart/form-data: {exc}") from exc
            if len(value) > 64 * 1024:
                raise _err(400, "MalformedPOSTRequest", f"form field {name!r} is too large")
            fields[name.lower()] = value
        if file_part is None:
            raise _err(
                400, "MalformedPOSTRequest", "the form has no file field (it must come last)"
            )
        key = fields.get("key", "")
        if not key:
            raise _err(400, "InvalidArgument", "the form has no key field")
        key = key.replace("${filename}", filename)
        if len(key.encode("utf-8")) > MAX_KEY_BYTES:
            raise _err(400, "KeyTooLong", f"The object key is longer than {MAX_KEY_BYTES} bytes.")
        policy_b64 = fields.get("policy")
        signature = fields.get("q-signature")
        policy: dict[str, Any] | None = None
        if signature is not None or policy_b64 is not None:
            if policy_b64 is None or signature is None:
                raise _err(403, "AccessDenied", "a signed form needs both policy and q-signature")
            try:
                policy_json = base64.b64decode(policy_b64, validate=True)
                policy = json.loads(policy_json)
            except (binascii.Error, ValueError) as exc:
                raise _err(
                    400, "InvalidPolicyDocument", f"policy is not base64 JSON: {exc}"
                ) from exc
            if not isinstance(policy, dict):
                raise _err(400, "InvalidPolicyDocument", "policy must be a JSON object")
            ak = fields.get("q-ak", "")
            cred = self.credentials.get(ak)
            if cred is None:
                raise _err(
                    403, "InvalidAccessKeyId", "The access key Id format you provided is invalid."
                )
            key_time = fields.get("q-key-time") or fields.get("q-sign-time") or ""
            if (fields.get("q-sign-algorithm") or "sha1").lower() != "sha1":
                raise _err(400, "InvalidArgument", "q-sign-algorithm must be sha1")
            try:
                start, end = (int(x) for x in key_time.split(";"))
            except ValueError as exc:
                raise _err(403, "AccessDenied", f"malformed q-key-time {key_time!r}") from exc
            now = self.clock()
            if end < now:
                raise _err(403, "AccessDenied", "Request has expired")
            if cred.token is not None and fields.get("x-cos-security-token") != cred.token:
                raise _err(403, "InvalidAccessKeyId", "The security token is invalid.")
            expected = _signing.post_policy_signature(
                secret_key=cred.secret_key, key_time=f"{start};{end}", policy=policy_json
            )
            if not secrets.compare_digest(expected, signature.lower()):
                raise _err(
                    403, "SignatureDoesNotMatch", "The form signature does not match the policy."
                )
        else:
            if not _acl_allows(bucket.acl, "WRITE"):
                raise _err(403, "AccessDenied", "Access Denied.")
        writer = self.store.writer(None)
        md5 = hashlib.md5()
        crc = 0
        size = 0
        try:
            while True:
                chunk = await file_part.read_chunk(1 << 20)
                if not chunk:
                    break
                size += len(chunk)
                if size > MAX_OBJECT_SIZE:
                    raise _err(400, "EntityTooLarge", "Your upload exceeds 5 GB.")
                md5.update(chunk)
                crc = crc64(chunk, crc)
                await writer.write(chunk)
        except BaseException:
            await writer.abort()
            raise
        if policy is not None:
            fields_for_policy = dict(fields)
            fields_for_policy["key"] = key
            try:
                check_post_policy(
                    policy, fields_for_policy, bucket=bucket.name, size=size, now=self.clock()
                )
            except DocumentError:
                await writer.abort()
                raise
        blob = await writer.finish()
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
            version_id=self._new_version_id(bucket),
            segments=[blob],
            size=size,
            etag=self._etag_for(md5.hexdigest(), crc, size),
            crc64=crc,
            last_modified=self.clock(),
            headers=headers,
            storage_class=(fields.get("x-cos-storage-class") or "STANDARD").upper(),
            acl=Acl(canned=acl_value) if acl_value else Acl(canned="default"),
        )
        if version.storage_class not in STORAGE_CLASSES:
            await self.store.discard_blob(blob)
            raise _err(
                400, "InvalidStorageClass", f"invalid storage class {version.storage_class!r}"
            )
        self.store.put_version(bucket, version)
        h = self._write_response_headers(bucket, version)
        location = f"http://{ctx.host}/{quote(key)}"
        h["Location"] = location
        redirect = fields.get("success_action_redirect")
        if redirect:
            sep = "&" if "?" in redirect else "?"
            target = (
                f"{redirect}{sep}bucket={bucket.name}&key={quote(key)}&etag={quote(version.etag)}"
            )
            return self._empty(ctx, 303, {**h, "Location": target})
        status_text = fields.get("success_action_status") or "204"
        status = int(status_text) if status_text in ("200", "201", "204") else 204
        if status == 201:
            return self._xml(
                ctx,
                "PostResponse",
                {"Location": location, "Bucket": bucket.name, "Key": key, "ETag": version.etag},
                status=201,
                headers=h,
            )
        return self._empty(ctx, status, h)

    # --- OPTIONS (CORS preflight) ---------------------------------------------------------

    async def options_object(self, ctx: Ctx, bucket: BucketState) -> web.StreamResponse:
        origin = ctx.header("Origin")
        method = ctx.header("Access-Control-Request-Method")
        if not origin or not method:
            raise _err(
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
            raise _err(403, "AccessForbidden", "CORSResponse: This CORS request is not allowed.")
        return self._empty(ctx, 200, headers)

    # --- control API ----------------------------------------------------------------------

    async def _control(self, ctx: Ctx) -> web.StreamResponse:
        what = ctx.path[len(CONTROL_PREFIX) :].strip("/")
        m = ctx.method
        if what == "health":
            return web.json_response({"ok": True})
        if what == "faults":
            if m == "GET":
                return web.json_response(self.faults.snapshot())
            if m == "POST":
                try:
                    data = await ctx.request.json()
                    rule = FaultRule.from_json(data)
                except (ValueError, TypeError) as exc:
                    return web.json_response({"error": str(exc)}, status=400)
                return web.json_response({"id": self.faults.add(rule)})
            if m == "DELETE":
                self.faults.clear()
                return web.json_response({"ok": True})
        if what.startswith("faults/") and m == "DELETE":
            ident = what.split("/", 1)[1]
            if not ident.isdigit():
                return web.json_response({"error": f"bad rule id {ident!r}"}, status=400)
            self.faults.remove(int(ident))
            return web.json_response({"ok": True})
        if what == "requests":
            if m == "GET":
                return web.json_response([r.to_json() for r in self.requests.records()])
            if m == "DELETE":
                self.requests.clear()
                return web.json_response({"ok": True})
        if what == "buckets" and m == "POST":
            try:
                data = await ctx.request.json()
            except ValueError as exc:
                return web.json_response({"error": f"malformed JSON: {exc}"}, status=400)
            name = data.get("name") if isinstance(data, dict) else None
            if not isinstance(name, str) or not _BUCKET_RE.match(name) or len(name) > 60:
                return web.json_response({"error": f"invalid bucket name {name!r}"}, status=400)
            if name not in self.store.buckets:
                self.store.create_bucket(name, self.region, Acl(canned="private"))
            return web.json_response({"name": name})
        return web.json_response({"error": f"unknown control endpoint {m} {ctx.path}"}, status=404)


_CONFIG_ORDER = (
    "uploads",
    "versions",
    "location",
    "delete",
    "acl",
    "cors",
    "lifecycle",
    "versioning",
    "replication",
    "website",
    "logging",
    "policy",
    "domain",
    "inventory",
    "tagging",
    "referer",
    "encryption",
    "intelligenttiering",
    "object-lock",
)


# --- helpers ----------------------------------------------------------------------------------


def _int_or_none(text: str | None) -> int | None:
    if text is None or not text.isdigit():
        return None
    return int(text)


def _hostname(host: str) -> str:
    host = host.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _strip_port(host: str) -> str:
    if host.startswith("["):
        end = host.find("]")
        return host[: end + 1] if end >= 0 else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _is_virtual_host(hostname: str) -> bool:
    if not hostname or "." not in hostname or hostname == "localhost":
        return False
    try:
        ipaddress.ip_address(hostname)
        return False
    except ValueError:
        pass
    first = hostname.split(".", 1)[0]
    return not (first in ("service", "cos") or hostname.startswith("cos-internal."))


def _canonical_header(name: str) -> str:
    if name.startswith("x-cos-"):
        return name
    return "-".join(p.capitalize() for p in name.split("-"))


#: bytes the server's connections read per ``recv()`` (asyncio's selector transports: 256 KiB)
READ_SIZE = 1 << 20


def widen_reads(transport: asyncio.BaseTransport | None) -> None:
    """Let ``transport`` read up to :data:`READ_SIZE` bytes per ``recv()``.

    Large bodies then arrive in fewer, larger chunks: less work per chunk, and a body kept in the
    chunks it arrived in (``keep_received_chunks``) is sent back in 1 MiB writes rather than
    256 KiB ones. asyncio's selector transports read ``max_size`` bytes at a time, a class
    attribute that an instance attribute overrides; a transport without one (another event loop
    implementation) is left as it is."""
    if transport is None or getattr(transport, "max_size", READ_SIZE) >= READ_SIZE:
        return
    with contextlib.suppress(AttributeError):
        transport.max_size = READ_SIZE  # type: ignore[attr-defined]


def _reset_connection(request: web.Request) -> None:
    transport = request.transport
    if transport is None:
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


async def _read_small(ctx: Ctx, limit: int = 4 * 1024 * 1024) -> bytes:
    """The whole body of a request that carries a document (kept in the request log's record
    when the log keeps documents)."""
    if ctx.request.content_length is not None and ctx.request.content_length > limit:
        raise _err(400, "EntityTooLarge", f"request body exceeds {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in _body_chunks(ctx.request):
            size += len(chunk)
            if size > limit:
                raise _err(400, "EntityTooLarge", f"request body exceeds {limit} bytes")
            chunks.append(chunk)
    except CosServerError:
        raise
    except Exception as exc:
        raise _Disconnected from exc
    body = b"".join(chunks)
    if ctx.keep_document and ctx.record is not None:
        ctx.record.document = body
    return body


async def _drained(request: web.Request, timeout: float = 60.0) -> None:
    """Wait until the transport has handed everything written so far to the kernel."""
    transport = request.transport
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    # Polling: asyncio has no event for "write buffer drained".
    while (  # noqa: ASYNC110
        transport is not None
        and not transport.is_closing()
        and transport.get_write_buffer_size() > 0
        and loop.time() < deadline
    ):
        await asyncio.sleep(0.001)


async def _body_chunks(request: web.Request) -> AsyncIterator[bytes]:
    """The request body chunk by chunk, as received.

    Not ``iter_any()``: ``readany()`` joins everything buffered into a fresh allocation whenever
    the handler lags (a page fault per 4 KiB on small VMs). Not ``iter_chunks()``: aiohttp's shared
    ``EMPTY_PAYLOAD`` answers ``(b"", True)`` forever after its first use, so iterating a body-less
    request spins without ever yielding to the loop.
    """
    stream = request.content
    while True:
        data, _end_of_http_chunk = await stream.readchunk()
        if data:
            yield data
        elif stream.at_eof():
            return


def _check_content_md5(ctx: Ctx, body: bytes) -> None:
    value = ctx.header("Content-MD5")
    if value is None:
        return
    try:
        want = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise _err(400, "InvalidDigest", f"Content-MD5 is not base64: {value!r}") from exc
    if want != hashlib.md5(body).digest():
        raise _err(
            400, "BadDigest", "The Content-MD5 you specified did not match what was received."
        )


def _check_traffic_limit(ctx: Ctx) -> None:
    value = ctx.header("x-cos-traffic-limit") or ctx.get("x-cos-traffic-limit")
    if value is None:
        return
    lo, hi = TRAFFIC_LIMIT_RANGE
    if not value.strip().isdigit() or not lo <= int(value) <= hi:
        raise _err(
            400, "InvalidArgument", f"x-cos-traffic-limit must be {lo}..{hi} bit/s, got {value!r}"
        )


def _max_param(ctx: Ctx, name: str) -> int:
    text = ctx.get(name)
    if text is None or text == "":
        return MAX_LIST
    if not text.isdigit():
        raise _err(400, "InvalidArgument", f"{name} must be a non-negative integer, got {text!r}")
    return min(int(text), MAX_LIST)


def _encoding_type(ctx: Ctx) -> str:
    value = ctx.get("encoding-type") or ""
    if value and value != "url":
        raise _err(400, "InvalidArgument", f"encoding-type must be url, got {value!r}")
    return value


def _encoder(encoding: str) -> Callable[[str], str]:
    if encoding == "url":
        return lambda s: quote(s, safe="/")
    return lambda s: s


def _parse_range(value: str, size: int) -> tuple[int, int] | None:
    """``(start, end_exclusive)``, or ``None`` to ignore the header; 416 when unsatisfiable."""
    unsatisfiable = _err(
        416,
        "InvalidRange",
        "The requested range is not satisfiable.",
        **{"Content-Range": f"bytes */{size}"},
    )
    m = re.fullmatch(r"\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*", value)
    if m is None:
        return None
    first, last = m.group(1), m.group(2)
    if first == "" and last == "":
        return None
    if first == "":
        n = int(last)
        if n == 0:
            raise unsatisfiable
        return max(0, size - n), size
    start = int(first)
    if start >= size:
        raise unsatisfiable
    end = size if last == "" else min(int(last) + 1, size)
    if end <= start:
        return None
    return start, end


def _parse_copy_source(raw: str) -> tuple[str | None, str, str | None]:
    value = raw.strip()
    version_id = None
    if "?" in value:
        value, _, query = value.partition("?")
        for item in query.split("&"):
            k, _, v = item.partition("=")
            if k == "versionId":
                version_id = unquote(v)
    if "://" in value:
        value = value.split("://", 1)[1]
    if value.startswith("/"):
        bucket, _, key = value[1:].partition("/")
        return bucket or None, unquote(key), version_id
    host, _, key = value.partition("/")
    hostname = _hostname(host)
    if _is_virtual_host(hostname):
        return hostname.split(".", 1)[0], unquote(key), version_id
    bucket, _, rest = key.partition("/")
    return bucket or None, unquote(rest), version_id


def _strip_declaration(doc: bytes) -> bytes:
    if doc.startswith(b"<?xml"):
        return doc[doc.index(b"?>") + 2 :].lstrip()
    return doc


def _sse_customer(ctx: Ctx, prefix: str) -> str | None:
    algo = ctx.header(prefix + "algorithm")
    key = ctx.header(prefix + "key")
    key_md5 = ctx.header(prefix + "key-MD5")
    if algo is None and key is None and key_md5 is None:
        return None
    if algo != "AES256":
        raise _err(400, "InvalidArgument", f"{prefix}algorithm must be AES256, got {algo!r}")
    try:
        raw = base64.b64decode(key or "", validate=True)
    except (binascii.Error, ValueError) as exc:
        raise _err(400, "InvalidArgument", f"{prefix}key is not base64") from exc
    if len(raw) != 32:
        raise _err(400, "InvalidArgument", f"{prefix}key must be 32 bytes, got {len(raw)}")
    digest = base64.b64encode(hashlib.md5(raw).digest()).decode()
    if key_md5 is not None and key_md5 != digest:
        raise _err(400, "InvalidArgument", f"{prefix}key-MD5 does not match the key")
    return digest


def _sse_echo(sse: Mapping[str, str]) -> dict[str, str]:
    return dict(sse)


def _normalise_uin(value: str) -> str:
    value = value.strip().strip('"')
    if value.isdigit():
        return f"qcs::cam::uin/{value}:uin/{value}"
    return value


def _acl_from_headers(ctx: Ctx, *, for_bucket: bool) -> Acl | None:
    canned = ctx.header("x-cos-acl")
    grants: list[tuple[str, str, str]] = []
    for header, perm in (
        ("x-cos-grant-read", "READ"),
        ("x-cos-grant-write", "WRITE"),
        ("x-cos-grant-read-acp", "READ_ACP"),
        ("x-cos-grant-write-acp", "WRITE_ACP"),
        ("x-cos-grant-full-control", "FULL_CONTROL"),
    ):
        value = ctx.header(header)
        if not value:
            continue
        for item in re.findall(r'(id|uri)\s*=\s*"([^"]*)"', value):
            kind, who = item
            grants.append((kind, _normalise_uin(who) if kind == "id" else who, perm))
        if not re.search(r'(id|uri)\s*=\s*"', value):
            raise _err(400, "InvalidArgument", f'{header} must look like id="<uin>": {value!r}')
    if canned is None and not grants:
        return None
    if canned is not None:
        allowed = (
            ("private", "public-read", "public-read-write")
            if for_bucket
            else ("default", "private", "public-read", "public-read-write")
        )
        if canned not in allowed:
            raise _err(
                400, "InvalidArgument", f"x-cos-acl must be one of {', '.join(allowed)}: {canned!r}"
            )
    return Acl(canned=canned or "", grants=grants)


def _effective_grants(acl: Acl, owner_id: str) -> list[tuple[str, str, str]]:
    grants: list[tuple[str, str, str]] = []
    if acl.canned in ("private", "public-read", "public-read-write", "default"):
        grants.append(("id", owner_id, "FULL_CONTROL"))
    if acl.canned in ("public-read", "public-read-write"):
        grants.append(("uri", ALL_USERS, "READ"))
    if acl.canned == "public-read-write":
        grants.append(("uri", ALL_USERS, "WRITE"))
    grants.extend(acl.grants)
    return grants


def _acl_allows(acl: Acl, perm: str) -> bool:
    if acl.canned == "public-read-write" and perm in ("READ", "WRITE"):
        return True
    if acl.canned == "public-read" and perm == "READ":
        return True
    return any(
        kind == "uri" and who == ALL_USERS and p in (perm, "FULL_CONTROL")
        for kind, who, p in acl.grants
    )
