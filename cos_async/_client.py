"""``AsyncCosClient``: one coroutine per COS operation over one aiohttp connection pool.

Each operation checks its input (``InvalidArgument`` names the bad value, before any request),
builds the request, signs every attempt afresh, sends it with retries, and parses the answer
into a frozen model that keeps ``request_id`` and the raw headers.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime as _dt
import email.utils
import hashlib
import inspect
import json
import logging
import mimetypes
import os
import re
import time
from collections.abc import AsyncIterable, AsyncIterator, Callable, Coroutine, Iterable, Mapping
from types import TracebackType
from typing import IO, Any, Generic, Literal, TypeVar
from urllib.parse import quote, unquote, urlsplit

import attrs

from . import _retry, _signing, _transfer
from ._body import Body, FilePartBody, ObjectBody, RequestBody, make_body
from ._bucket_config import (
    BucketLoggingStatus,
    ConfigModel,
    CorsConfiguration,
    DomainConfiguration,
    EncryptionConfiguration,
    IntelligentTieringConfiguration,
    InventoryConfiguration,
    LifecycleConfiguration,
    ObjectLockConfiguration,
    RefererConfiguration,
    ReplicationConfiguration,
    Tagging,
    VersioningConfiguration,
    WebsiteConfiguration,
    from_xml,
    to_xml,
)
from ._config import CosConfig
from ._credentials import Credentials
from ._errors import (
    CosClientError,
    CosError,
    CosServiceError,
    CosTransportError,
    IntegrityError,
    InvalidArgument,
    NoSuchBucket,
    NoSuchKey,
    RetryExhausted,
    service_error,
)
from ._eventstream import EventStreamDecoder
from ._models import (
    AccessControlPolicy,
    AppendObjectResult,
    BucketInfo,
    CompleteMultipartUploadResult,
    CopyObjectResult,
    CorsPreflight,
    DeletedObject,
    DeleteError,
    DeleteObjectResult,
    DeleteObjectsResult,
    Grant,
    HeadBucketResult,
    ListBucketsResult,
    ListMultipartUploadsPage,
    ListObjectsPage,
    ListObjectVersionsPage,
    ListPartsPage,
    MultipartUpload,
    MultipartUploadInfo,
    ObjectInfo,
    ObjectMeta,
    ObjectVersionInfo,
    PartInfo,
    PresignedPost,
    PutObjectResult,
    RequestEvent,
    RequestHook,
    ResponseEvent,
    ResponseHook,
    StorageClass,
    UploadPartCopyResult,
    UploadPartResult,
    as_list,
    freeze_headers,
    parse_crc,
    parse_iso_date,
)
from ._progress import ProgressCallback
from ._select import (
    CSVInput,
    CSVOutput,
    JSONInput,
    JSONOutput,
    SelectEvent,
    parse_message,
    select_request,
)
from ._transport import RangeSink, Response, Transport
from ._xml import XMLError, build, parse, text_of

__all__ = ["AsyncCosClient"]

log = logging.getLogger("cos_async")

_SWITCHABLE_HOST = re.compile(r"^[a-z0-9-]+-[0-9]+\.cos\.[a-z0-9-]+\.myqcloud\.com$")
_BUCKET_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?-[0-9]+$")
_META_NAME_RE = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")
MAX_METADATA_BYTES = 2048
MAX_PART_NUMBER = 10000
TRAFFIC_LIMIT_MIN = 819200
TRAFFIC_LIMIT_MAX = 838860800
DELETE_BATCH = 1000
_OBJECT_ACLS = ("default", "private", "public-read")
_BUCKET_ACLS = ("private", "public-read", "public-read-write")

DateLike = _dt.datetime | str
Acl = Literal["default", "private", "public-read", "public-read-write"]


# --- input checks -----------------------------------------------------------------------------


def check_bucket(bucket: object) -> str:
    if not isinstance(bucket, str) or not _BUCKET_RE.match(bucket) or len(bucket) > 60:
        raise InvalidArgument(
            f"bucket must be '<name>-<appid>' in lower case (e.g. 'photos-1250000000'), got {bucket!r}"
        )
    return bucket


def check_key(key: object) -> str:
    if not isinstance(key, str) or not key:
        raise InvalidArgument(f"key must be a non-empty string, got {key!r}")
    depth = 0
    for seg in key.split("/"):
        if seg == "..":
            depth -= 1
            if depth < 0:
                raise InvalidArgument(f"key escapes the bucket with '..': {key!r}")
        elif seg not in ("", "."):
            depth += 1
    if depth == 0 and key.strip("/.") == "":
        raise InvalidArgument(f"key normalises to '/' (it would address the bucket): {key!r}")
    if depth == 0 and ".." in key.split("/"):
        raise InvalidArgument(f"key normalises to '/' (it would address the bucket): {key!r}")
    return key


_PLAIN_KEY = re.compile(r"[A-Za-z0-9\-_.~/]*")


def encode_key(key: str) -> str:
    """The URL path of a key: percent-encoded, with '.' and '..' segments encoded too."""
    if _PLAIN_KEY.fullmatch(key) and "/./" not in f"/{key}/" and "/../" not in f"/{key}/":
        return key  # nothing to encode (the common case)
    segments = [quote(seg.encode("utf-8"), safe="-_.~") for seg in key.split("/")]
    segments = [s.replace(".", "%2E") if s in (".", "..") else s for s in segments]
    return "/".join(segments)


def _encode_query(params: Mapping[str, str | None]) -> str:
    return "&".join(
        quote(k, safe="-_.~") + ("" if v is None else "=" + quote(v, safe="-_.~"))
        for k, v in params.items()
    )


def _http_date(value: DateLike, name: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None:
            raise InvalidArgument(f"{name} must be timezone-aware, got {value!r}")
        return email.utils.format_datetime(value.astimezone(_dt.timezone.utc), usegmt=True)
    raise InvalidArgument(f"{name} must be a datetime or an HTTP date string, got {value!r}")


def _check_traffic_limit(value: int | None) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, int) or not TRAFFIC_LIMIT_MIN <= value <= TRAFFIC_LIMIT_MAX:
        raise InvalidArgument(
            f"traffic_limit must be {TRAFFIC_LIMIT_MIN}..{TRAFFIC_LIMIT_MAX} bit/s, got {value!r}"
        )
    return {"x-cos-traffic-limit": str(value)}


def _check_part_number(n: object) -> int:
    if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= MAX_PART_NUMBER:
        raise InvalidArgument(f"part_number must be 1..{MAX_PART_NUMBER}, got {n!r}")
    return n


def _storage_class(value: StorageClass | str | None) -> dict[str, str]:
    if value is None:
        return {}
    try:
        sc = StorageClass(value.upper() if isinstance(value, str) else value)
    except ValueError:
        raise InvalidArgument(
            f"unknown storage_class {value!r}; one of {', '.join(s.value for s in StorageClass)}"
        ) from None
    return {"x-cos-storage-class": sc.value}


def _metadata_headers(metadata: Mapping[str, str] | None) -> dict[str, str]:
    if not metadata:
        return {}
    headers: dict[str, str] = {}
    total = 0
    for name, value in metadata.items():
        if not isinstance(name, str) or not isinstance(value, str):
            raise InvalidArgument(f"metadata names and values must be strings: {name!r}={value!r}")
        full = name if name.lower().startswith("x-cos-meta-") else f"x-cos-meta-{name}"
        short = full[len("x-cos-meta-") :]
        if not short or not _META_NAME_RE.match(short):
            raise InvalidArgument(f"metadata name {name!r} is not a valid header token")
        if "\r" in value or "\n" in value:
            raise InvalidArgument(f"metadata value for {name!r} contains a line break")
        if value != value.strip():
            raise InvalidArgument(
                f"metadata value for {name!r} has leading/trailing whitespace (HTTP would drop it)"
            )
        headers[full.lower()] = value
        total += len(full) + len(value.encode("utf-8"))
    if total > MAX_METADATA_BYTES:
        raise InvalidArgument(f"metadata is {total} bytes; COS allows at most {MAX_METADATA_BYTES}")
    return headers


def _tagging_header(tagging: Mapping[str, str] | None) -> dict[str, str]:
    if not tagging:
        return {}
    _check_tags(tagging)
    return {
        "x-cos-tagging": "&".join(
            f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in tagging.items()
        )
    }


_TAG_RE = re.compile(r"^[A-Za-z0-9 +\-=._:/@]*$")


def _check_tags(tags: Mapping[str, str], limit: int = 10) -> None:
    if len(tags) > limit:
        raise InvalidArgument(f"at most {limit} tags are allowed, got {len(tags)}")
    for k, v in tags.items():
        if not isinstance(k, str) or not isinstance(v, str):
            raise InvalidArgument(f"tag keys and values must be strings: {k!r}={v!r}")
        if not 1 <= len(k) <= 128 or len(v) > 256:
            raise InvalidArgument(
                f"tag key must be 1..128 and value <= 256 characters: {k!r}={v!r}"
            )
        if not _TAG_RE.match(k) or not _TAG_RE.match(v):
            raise InvalidArgument(f"tag has characters COS does not allow: {k!r}={v!r}")


def _acl_headers(
    acl: str | None,
    *,
    grant_read: str | None,
    grant_write: str | None,
    grant_read_acp: str | None,
    grant_write_acp: str | None,
    grant_full_control: str | None,
    allowed: tuple[str, ...],
) -> dict[str, str]:
    headers: dict[str, str] = {}
    if acl is not None:
        if acl not in allowed:
            raise InvalidArgument(f"acl must be one of {', '.join(allowed)}, got {acl!r}")
        headers["x-cos-acl"] = acl
    for name, value in (
        ("x-cos-grant-read", grant_read),
        ("x-cos-grant-write", grant_write),
        ("x-cos-grant-read-acp", grant_read_acp),
        ("x-cos-grant-write-acp", grant_write_acp),
        ("x-cos-grant-full-control", grant_full_control),
    ):
        if value is not None:
            if not re.fullmatch(r'\s*(id|uri)="[^"]+"(\s*,\s*(id|uri)="[^"]+")*\s*', value):
                raise InvalidArgument(
                    f'{name.removeprefix("x-cos-").replace("-", "_")} must look like id="<uin>" '
                    f"(comma-separated), got {value!r}"
                )
            headers[name] = value
    return headers


def _sse_headers(
    sse: Literal["AES256", "cos/kms"] | None,
    kms_key_id: str | None,
    kms_context: str | None,
    customer_key: bytes | None,
    prefix: str = "x-cos-server-side-encryption-customer-",
) -> dict[str, str]:
    headers: dict[str, str] = {}
    if sse is not None:
        if sse not in ("AES256", "cos/kms"):
            raise InvalidArgument(
                f"sse must be 'AES256' (SSE-COS) or 'cos/kms' (SSE-KMS), got {sse!r}"
            )
        headers["x-cos-server-side-encryption"] = sse
    if kms_key_id is not None or kms_context is not None:
        if sse != "cos/kms":
            raise InvalidArgument("sse_kms_key_id / sse_kms_context need sse='cos/kms'")
        if kms_key_id is not None:
            headers["x-cos-server-side-encryption-cos-kms-key-id"] = kms_key_id
        if kms_context is not None:
            headers["x-cos-server-side-encryption-context"] = kms_context
    headers.update(_sse_customer(customer_key, prefix))
    return headers


def _sse_customer(key: bytes | None, prefix: str) -> dict[str, str]:
    if key is None:
        return {}
    if not isinstance(key, bytes) or len(key) != 32:
        raise InvalidArgument("an SSE-C key must be 32 bytes (AES-256)")
    return {
        prefix + "algorithm": "AES256",
        prefix + "key": base64.b64encode(key).decode(),
        prefix + "key-MD5": base64.b64encode(hashlib.md5(key).digest()).decode(),
    }


def _extra(extra_headers: Mapping[str, str] | None) -> dict[str, str]:
    if not extra_headers:
        return {}
    out: dict[str, str] = {}
    for k, v in extra_headers.items():
        if not isinstance(k, str) or not isinstance(v, str) or "\n" in v or "\r" in v:
            raise InvalidArgument(f"extra_headers must map str to a single-line str: {k!r}={v!r}")
        if k.lower() in ("authorization", "host"):
            raise InvalidArgument(f"extra_headers must not set {k!r}; the client sets it")
        out[k] = v
    return out


def _bool(text: Any) -> bool:
    return text_of(text).lower() == "true"


def _page_size(name: str, value: object) -> str:
    """A listing page size (1..1000, COS's maximum) as its query value."""
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 1000:
        raise InvalidArgument(f"{name} must be 1..1000, got {value!r}")
    return str(value)


def _listing_params(
    fixed: Mapping[str, str | None], optional: Iterable[tuple[str, str]]
) -> dict[str, str | None]:
    """Query parameters of a listing: ``fixed`` ones, plus the ``optional`` ones that are set.
    Keys are always asked URL-encoded (any character survives XML) and decoded by the reader."""
    params: dict[str, str | None] = {**fixed, "encoding-type": "url"}
    params.update((name, value) for name, value in optional if value)
    return params


def _decoder(doc: Mapping[str, Any]) -> Callable[[str], str]:
    return unquote if text_of(doc.get("EncodingType")) == "url" else _identity


def _identity(text: str) -> str:
    return text


def _common_prefixes(doc: Mapping[str, Any], decode: Callable[[str], str]) -> tuple[str, ...]:
    return tuple(decode(text_of(p.get("Prefix"))) for p in as_list(doc.get("CommonPrefixes")))


def _is_late_error(data: bytes) -> bool:
    """A 200 body that is an ``<Error>`` document (after keep-alive whitespace and an optional
    XML declaration, which COS error documents carry)."""
    head = data.lstrip()
    if head.startswith(b"<?xml"):
        head = head[head.find(b"?>") + 2 :].lstrip()
    return head.startswith(b"<Error")


class _Reply:
    """A fully read, successful response."""

    __slots__ = ("body", "headers", "request_id", "status")

    def __init__(self, resp: Response, body: bytes) -> None:
        self.status = resp.status
        self.headers = freeze_headers(resp.headers)
        self.request_id = resp.request_id
        self.body = body

    def xml(self, root: str) -> dict[str, Any]:
        try:
            doc = parse(self.body)
        except XMLError as exc:
            raise CosClientError(f"COS sent a malformed {root} document: {exc}") from exc
        value = doc.get(root)
        if value is None:
            if root in doc:
                return {}
            raise CosClientError(f"expected a <{root}> document, got <{next(iter(doc))}>")
        if not isinstance(value, dict):
            return {}
        return value


# --- bucket configurations: one mechanism for every family -------------------------------------

_ConfigT = TypeVar("_ConfigT", bound=ConfigModel)


@attrs.frozen
class _Family(Generic[_ConfigT]):
    """A bucket-configuration family: its query sub-resource and model."""

    subresource: str  # "cors", "lifecycle", ...
    model: type[_ConfigT]
    what: str  # for docstrings: "the CORS rules"


def _named(fn: Any, name: str, doc: str, annotations: dict[str, str]) -> None:
    fn.__name__ = name
    fn.__qualname__ = f"AsyncCosClient.{name}"
    fn.__doc__ = doc
    fn.__annotations__ = annotations


def _config_putter(
    family: _Family[_ConfigT], name: str
) -> Callable[[AsyncCosClient, str, _ConfigT], Coroutine[Any, Any, None]]:
    async def put(self: AsyncCosClient, bucket: str, config: _ConfigT) -> None:
        await self._put_config(bucket, family, config)

    _named(
        put,
        f"put_bucket_{name}",
        f"Replace {family.what} of a bucket (``PUT ?{family.subresource}``) with ``config``, a "
        f":class:`{family.model.__name__}` (checked when it was built).",
        {"bucket": "str", "config": family.model.__name__, "return": "None"},
    )
    return put


def _config_getter(
    family: _Family[_ConfigT], name: str
) -> Callable[[AsyncCosClient, str], Coroutine[Any, Any, _ConfigT]]:
    async def get(self: AsyncCosClient, bucket: str) -> _ConfigT:
        return await self._get_config(bucket, family)

    _named(
        get,
        f"get_bucket_{name}",
        f"{family.what[0].upper()}{family.what[1:]} of a bucket (``GET ?{family.subresource}``) "
        f"as a :class:`{family.model.__name__}`; :class:`NoSuchConfiguration` (404) when the "
        "bucket has none.",
        {"bucket": "str", "return": family.model.__name__},
    )
    return get


def _config_deleter(
    family: _Family[Any], name: str
) -> Callable[[AsyncCosClient, str], Coroutine[Any, Any, None]]:
    async def delete(self: AsyncCosClient, bucket: str) -> None:
        check_bucket(bucket)
        await self._request("DELETE", bucket, params={family.subresource: None})

    _named(
        delete,
        f"delete_bucket_{name}",
        f"Remove {family.what} of a bucket (``DELETE ?{family.subresource}``).",
        {"bucket": "str", "return": "None"},
    )
    return delete


_CORS = _Family("cors", CorsConfiguration, "the CORS rules")
_LIFECYCLE = _Family("lifecycle", LifecycleConfiguration, "the lifecycle rules")
_VERSIONING = _Family("versioning", VersioningConfiguration, "the versioning state")
_REPLICATION = _Family("replication", ReplicationConfiguration, "the cross-bucket replication")
_TAGGING = _Family("tagging", Tagging, "the tags")
_WEBSITE = _Family("website", WebsiteConfiguration, "the static-website configuration")
_INVENTORY = _Family("inventory", InventoryConfiguration, "an inventory configuration")
_LOGGING = _Family("logging", BucketLoggingStatus, "the access-logging configuration")
_REFERER = _Family("referer", RefererConfiguration, "the hotlink protection (referer list)")
_DOMAIN = _Family("domain", DomainConfiguration, "the custom domains")
_ENCRYPTION = _Family("encryption", EncryptionConfiguration, "the default encryption")
_TIERING = _Family(
    "intelligenttiering", IntelligentTieringConfiguration, "the intelligent-tiering configuration"
)
_OBJECT_LOCK = _Family("object-lock", ObjectLockConfiguration, "the object-lock configuration")


# --- the client -------------------------------------------------------------------------------


class AsyncCosClient:
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
        self._on_request = on_request
        self._on_response = on_response
        self._config = config
        self._transport = Transport(config)
        self._provider = config.credentials_provider()
        self._switched = False

    @property
    def config(self) -> CosConfig:
        """The configuration this client was built with."""
        return self._config

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
        """Close the connection pool (idempotent)."""
        await self._transport.close()

    def __repr__(self) -> str:
        return f"AsyncCosClient(region={self._config.region!r})"

    # --- request machinery ------------------------------------------------------------------

    def _host(self, bucket: str | None) -> str:
        cfg = self._config
        host = cfg.bucket_host(bucket) if bucket is not None else cfg.service_host()
        if self._switched and host.endswith(".myqcloud.com"):
            host = host[: -len("myqcloud.com")] + "tencentcos.cn"
        return host

    def _url_and_path(self, bucket: str | None, key: str | None) -> tuple[str, str, str]:
        """(base URL with host, encoded path, decoded path that is signed)."""
        cfg = self._config
        key_part = "/" + key if key is not None else "/"
        enc_key = "/" + encode_key(key) if key is not None else "/"
        if cfg.endpoint_url is not None:
            parts = urlsplit(cfg.endpoint_url)
            base = f"{parts.scheme}://{parts.netloc}"
            prefix = parts.path.rstrip("/")
            if bucket is None:
                return base, prefix + "/", prefix + "/"
            if key is None:
                return base, f"{prefix}/{bucket}/", f"{prefix}/{bucket}/"
            return base, f"{prefix}/{bucket}{enc_key}", f"{prefix}/{bucket}{key_part}"
        return f"{cfg.scheme}://{self._host(bucket)}", enc_key, key_part

    async def _credentials(self) -> Credentials | None:
        if self._provider is None:
            return None
        return await self._provider.get_credentials()

    def _sign(
        self,
        creds: Credentials,
        method: str,
        path: str,
        params: Mapping[str, str | None],
        headers: Mapping[str, str],
        *,
        now: int | None = None,
        expires: int | None = None,
    ) -> _signing.Authorization:
        t = int(time.time()) if now is None else now
        return _signing.sign(
            secret_id=creds.secret_id,
            secret_key=creds.secret_key,
            method=method,
            path=path,
            params=params,
            headers=headers,
            start=t - 60,
            end=t + (expires if expires is not None else self._config.sign_expires),
        )

    async def _send_once(
        self,
        method: str,
        bucket: str | None,
        key: str | None,
        params: Mapping[str, str | None],
        headers: Mapping[str, str],
        body: RequestBody | None,
        read_timeout: float,
        sink: RangeSink | None = None,
        on_bytes: Callable[[int], None] | None = None,
    ) -> Response:
        base, enc_path, path = self._url_and_path(bucket, key)
        hdrs = {k: v.strip() for k, v in headers.items()}
        hdrs["Host"] = urlsplit(base).netloc
        if body is not None and body.length is not None:
            hdrs["Content-Length"] = str(body.length)
        creds = await self._credentials()
        if creds is not None:
            if creds.token:
                hdrs["x-cos-security-token"] = creds.token
            hdrs["Authorization"] = self._sign(creds, method, path, params, hdrs).to_header()
        query = _encode_query(params)
        url = base + enc_path + (f"?{query}" if query else "")
        if sink is not None:
            sink.reset()  # every attempt writes the range from its start
        if self._transport.threaded_ok and (sink is not None or isinstance(body, FilePartBody)):
            # the bulk data of a transfer: sent / received in a worker thread (see _transport)
            part = body if isinstance(body, FilePartBody) else None
            if body is not None and part is None:
                raise InvalidArgument("a ranged download into a file sends no body")
            if part is not None:
                part.begin()
            return await self._transport.send_threaded(
                method,
                url,
                hdrs,
                body=part,
                sink=sink,
                on_bytes=part.on_bytes if part is not None else on_bytes,
                read_timeout=read_timeout,
            )
        data = body.open() if body is not None else None
        resp = await self._transport.send(method, url, hdrs, data, read_timeout=read_timeout)
        if sink is not None and 200 <= resp.status < 300:
            try:
                await resp.drain_into(sink, on_bytes)
            except BaseException:
                resp.close()
                raise
        return resp

    async def _error_from(
        self, resp: Response, method: str, bucket: str | None, key: str | None
    ) -> CosServiceError:
        body = b""
        try:
            if method != "HEAD":
                body = await resp.read(limit=1 << 20)
        finally:
            resp.release()
        return self._service_error(resp.status, resp.headers, body, method, bucket, key)

    def _service_error(
        self,
        status: int,
        headers: Mapping[str, str],
        body: bytes,
        method: str,
        bucket: str | None,
        key: str | None,
    ) -> CosServiceError:
        fields: dict[str, str] = {}
        if body.strip():
            try:
                doc = parse(body).get("Error")
                if isinstance(doc, dict):
                    fields = {
                        k: text_of(v) for k, v in doc.items() if not isinstance(v, dict | list)
                    }
            except XMLError:
                fields = {"Message": body[:200].decode("utf-8", "replace")}
        code = fields.get("Code") or headers.get("x-cos-error-code") or ""
        if not code:
            if status == 404:
                code = "NoSuchKey" if key is not None else "NoSuchBucket"
            else:
                code = {
                    304: "NotModified",
                    403: "AccessDenied",
                    409: "Conflict",
                    412: "PreconditionFailed",
                    416: "InvalidRange",
                    429: "SlowDown",
                }.get(status, f"HTTP{status}")
        return service_error(
            status=status,
            code=code,
            message=fields.get("Message", ""),
            request_id=fields.get("RequestId") or headers.get("x-cos-request-id"),
            trace_id=fields.get("TraceId") or headers.get("x-cos-trace-id"),
            resource=fields.get("Resource"),
            method=method,
            bucket=bucket,
            key=key,
        )

    async def _request(
        self,
        method: str,
        bucket: str | None,
        key: str | None = None,
        *,
        params: Mapping[str, str | None] | None = None,
        headers: Mapping[str, str] | None = None,
        body: RequestBody | None = None,
        read_timeout: float | None = None,
        stream: bool = False,
        late_error: bool = False,
        check: Callable[[Response], None] | None = None,
        sink: RangeSink | None = None,
        on_bytes: Callable[[int], None] | None = None,
    ) -> tuple[Response, bytes]:
        """Send with retries. Returns the response and its body (empty when ``stream``: the
        caller then owns the response and must release it). With ``sink`` a successful answer's
        body is written into the sink's file (a threaded exchange), ``on_bytes`` told of each
        slice."""
        params = dict(params or {})
        headers = dict(headers or {})
        retry = self._config.retry
        timeout = read_timeout or self._config.read_timeout
        started = time.monotonic()
        attempt = 0
        observe = _Observe(self, method, bucket, key, params)
        while True:
            attempt += 1
            t0 = time.monotonic()
            error: CosError
            status: int | None = None
            request_id: str | None = None
            if self._on_request is not None:
                await observe.request(attempt)
            try:
                resp = await self._send_once(
                    method, bucket, key, params, headers, body, timeout, sink, on_bytes
                )
                status = resp.status
                request_id = resp.request_id
                if status >= 300 and not (status == 304 and stream):
                    error = await self._error_from(resp, method, bucket, key)
                    if request_id is None and retry.switch_domain:
                        self._maybe_switch_domain(bucket)
                else:
                    if stream:
                        await observe.response(status, request_id, attempt, t0, None, resp)
                        return resp, b""
                    try:
                        data = await resp.read()
                    finally:
                        resp.release()
                    if late_error and _is_late_error(data):
                        error = self._service_error(200, resp.headers, data, method, bucket, key)
                    else:
                        if check is not None:
                            check(resp)
                        await observe.response(status, request_id, attempt, t0, None)
                        return resp, data
            except IntegrityError as exc:
                error = exc
            except CosTransportError as exc:
                error = exc
                if retry.switch_domain:
                    self._maybe_switch_domain(bucket)
            await observe.response(status, request_id, attempt, t0, error)
            retryable = _retry.is_retryable(error) or (
                isinstance(error, IntegrityError) and body is not None
            )
            if not retryable:
                raise error
            if body is not None and not body.replayable:
                raise error  # a one-shot stream is never replayed
            elapsed = time.monotonic() - started
            if attempt >= retry.max_attempts or elapsed >= retry.max_elapsed:
                target = "/".join(p for p in (bucket, key) if p) or "/"
                raise RetryExhausted(
                    f"{method} {target} failed after {attempt} attempt(s) in {elapsed:.1f} s: {error}",
                    attempts=attempt,
                    last_error=error,
                ) from error
            delay = retry.backoff(attempt, _retry.jitter())
            delay = min(delay, max(0.0, retry.max_elapsed - elapsed))
            if delay > 0:
                await asyncio.sleep(delay)

    def _maybe_switch_domain(self, bucket: str | None) -> None:
        # Like the official SDKs: only the default bucket domain is switched
        # (<bucket>.cos.<region>.myqcloud.com), never accelerate, custom or path-style endpoints.
        host = self._config.bucket_host(bucket) if bucket is not None else ""
        if (
            not self._switched
            and self._config.endpoint_url is None
            and self._config.domain is None
            and self._config.endpoint is None
            and not self._config.accelerate
            and _SWITCHABLE_HOST.match(host)
        ):
            self._switched = True
            log.info("no x-cos-request-id in a failed answer: retrying on *.tencentcos.cn")

    async def _xml_call(
        self,
        method: str,
        bucket: str | None,
        key: str | None,
        root: str,
        *,
        params: Mapping[str, str | None] | None = None,
        headers: Mapping[str, str] | None = None,
        body: RequestBody | None = None,
        read_timeout: float | None = None,
        late_error: bool = False,
    ) -> tuple[_Reply, dict[str, Any]]:
        resp, data = await self._request(
            method,
            bucket,
            key,
            params=params,
            headers=headers,
            body=body,
            read_timeout=read_timeout,
            late_error=late_error,
        )
        reply = _Reply(resp, data)
        return reply, reply.xml(root)

    async def _xml_body(
        self, root: str, doc: Mapping[str, Any], *, md5: bool = True
    ) -> tuple[RequestBody, dict[str, str]]:
        data = build(root, doc)
        headers = {"Content-Type": "application/xml"}
        if md5:
            headers["Content-MD5"] = base64.b64encode(hashlib.md5(data).digest()).decode()
        return make_body(data), headers

    # --- service and buckets ----------------------------------------------------------------

    async def list_buckets(self) -> ListBucketsResult:
        """All buckets of the account."""
        reply, doc = await self._xml_call("GET", None, None, "ListAllMyBucketsResult")
        buckets_doc = doc.get("Buckets") or {}
        buckets = tuple(
            BucketInfo(
                name=text_of(b.get("Name")),
                region=text_of(b.get("Location")),
                created=parse_iso_date(text_of(b.get("CreationDate"))),
            )
            for b in as_list(buckets_doc.get("Bucket") if isinstance(buckets_doc, dict) else None)
        )
        owner = doc.get("Owner") or {}
        return ListBucketsResult(
            request_id=reply.request_id,
            headers=reply.headers,
            buckets=buckets,
            owner_id=text_of(owner.get("ID")) if isinstance(owner, dict) else None,
        )

    async def create_bucket(
        self,
        bucket: str,
        *,
        acl: Literal["private", "public-read", "public-read-write"] | None = None,
        grant_read: str | None = None,
        grant_write: str | None = None,
        grant_read_acp: str | None = None,
        grant_write_acp: str | None = None,
        grant_full_control: str | None = None,
        multi_az: bool = False,
        extra_headers: Mapping[str, str] | None = None,
    ) -> HeadBucketResult:
        """Create ``bucket`` (``BucketAlreadyExists`` if the name is taken)."""
        check_bucket(bucket)
        headers = _acl_headers(
            acl,
            grant_read=grant_read,
            grant_write=grant_write,
            grant_read_acp=grant_read_acp,
            grant_write_acp=grant_write_acp,
            grant_full_control=grant_full_control,
            allowed=_BUCKET_ACLS,
        )
        headers.update(_extra(extra_headers))
        body = None
        if multi_az:
            body, h = await self._xml_body(
                "CreateBucketConfiguration", {"BucketAZConfig": "MAZ"}, md5=True
            )
            headers.update(h)
        resp, _ = await self._request("PUT", bucket, headers=headers, body=body)
        return HeadBucketResult(request_id=resp.request_id, headers=freeze_headers(resp.headers))

    async def head_bucket(self, bucket: str) -> HeadBucketResult:
        """``NoSuchBucket`` if it does not exist, ``AccessDenied`` if it is not yours."""
        check_bucket(bucket)
        resp, _ = await self._request("HEAD", bucket)
        return HeadBucketResult(
            request_id=resp.request_id,
            headers=freeze_headers(resp.headers),
            region=resp.headers.get("x-cos-bucket-region"),
        )

    async def bucket_exists(self, bucket: str) -> bool:
        """True if the bucket exists (other errors, such as AccessDenied, are raised)."""
        try:
            await self.head_bucket(bucket)
        except NoSuchBucket:
            return False
        return True

    async def delete_bucket(self, bucket: str) -> None:
        """Delete an empty bucket (``BucketNotEmpty`` otherwise)."""
        check_bucket(bucket)
        await self._request("DELETE", bucket)

    async def get_bucket_location(self, bucket: str) -> str:
        """The region the bucket lives in (``GET ?location``)."""
        check_bucket(bucket)
        _, data = await self._request("GET", bucket, params={"location": None})
        try:
            doc = parse(data)
        except XMLError as exc:
            raise CosClientError(f"COS sent a malformed LocationConstraint: {exc}") from exc
        return text_of(doc.get("LocationConstraint"))

    # --- bucket configurations ---------------------------------------------------------------
    # Every family goes through _put_config / _get_config (built by _config_putter, ...) and the models' declared XML mapping;
    # each public method is one line. ACL, policy (JSON) and inventory (by id) are the exceptions.

    async def _put_config(self, bucket: str, family: _Family[_ConfigT], config: _ConfigT) -> None:
        check_bucket(bucket)
        if not isinstance(config, family.model):
            raise InvalidArgument(
                f"config must be a {family.model.__name__}, got {type(config).__name__}"
            )
        config._check_put()
        params: dict[str, str | None] = {family.subresource: None}
        if isinstance(config, InventoryConfiguration):
            params["id"] = config.id
        ((root, doc),) = to_xml(config).items()
        body, headers = await self._xml_body(root, doc)
        await self._request("PUT", bucket, params=params, headers=headers, body=body)

    async def _get_config(
        self,
        bucket: str,
        family: _Family[_ConfigT],
        params: Mapping[str, str | None] | None = None,
    ) -> _ConfigT:
        check_bucket(bucket)
        _, doc = await self._xml_call(
            "GET",
            bucket,
            None,
            family.model.xml_root,
            params={family.subresource: None, **(params or {})},
        )
        try:
            return from_xml(family.model, doc)
        except XMLError as exc:
            raise CosClientError(
                f"COS sent a {family.model.xml_root} we cannot read: {exc}"
            ) from exc

    put_bucket_cors = _config_putter(_CORS, "cors")
    get_bucket_cors = _config_getter(_CORS, "cors")
    delete_bucket_cors = _config_deleter(_CORS, "cors")
    put_bucket_lifecycle = _config_putter(_LIFECYCLE, "lifecycle")
    get_bucket_lifecycle = _config_getter(_LIFECYCLE, "lifecycle")
    delete_bucket_lifecycle = _config_deleter(_LIFECYCLE, "lifecycle")
    put_bucket_versioning = _config_putter(_VERSIONING, "versioning")
    get_bucket_versioning = _config_getter(_VERSIONING, "versioning")
    put_bucket_replication = _config_putter(_REPLICATION, "replication")
    get_bucket_replication = _config_getter(_REPLICATION, "replication")
    delete_bucket_replication = _config_deleter(_REPLICATION, "replication")
    put_bucket_tagging = _config_putter(_TAGGING, "tagging")
    get_bucket_tagging = _config_getter(_TAGGING, "tagging")
    delete_bucket_tagging = _config_deleter(_TAGGING, "tagging")
    put_bucket_website = _config_putter(_WEBSITE, "website")
    get_bucket_website = _config_getter(_WEBSITE, "website")
    delete_bucket_website = _config_deleter(_WEBSITE, "website")
    put_bucket_inventory = _config_putter(_INVENTORY, "inventory")
    put_bucket_logging = _config_putter(_LOGGING, "logging")
    get_bucket_logging = _config_getter(_LOGGING, "logging")
    put_bucket_referer = _config_putter(_REFERER, "referer")
    get_bucket_referer = _config_getter(_REFERER, "referer")
    put_bucket_domain = _config_putter(_DOMAIN, "domain")
    get_bucket_domain = _config_getter(_DOMAIN, "domain")
    delete_bucket_domain = _config_deleter(_DOMAIN, "domain")
    put_bucket_encryption = _config_putter(_ENCRYPTION, "encryption")
    get_bucket_encryption = _config_getter(_ENCRYPTION, "encryption")
    delete_bucket_encryption = _config_deleter(_ENCRYPTION, "encryption")
    put_bucket_intelligent_tiering = _config_putter(_TIERING, "intelligent_tiering")
    get_bucket_intelligent_tiering = _config_getter(_TIERING, "intelligent_tiering")
    put_bucket_object_lock = _config_putter(_OBJECT_LOCK, "object_lock")
    get_bucket_object_lock = _config_getter(_OBJECT_LOCK, "object_lock")

    async def delete_bucket_referer(self, bucket: str) -> None:
        """Remove the hotlink protection of a bucket. COS has no ``DELETE ?referer``: like the
        official SDK, this puts an empty referer configuration."""
        check_bucket(bucket)
        body, headers = (
            make_body(b""),
            {
                "Content-Type": "application/xml",
                "Content-MD5": base64.b64encode(hashlib.md5(b"").digest()).decode(),
            },
        )
        await self._request("PUT", bucket, params={"referer": None}, headers=headers, body=body)

    async def get_bucket_inventory(self, bucket: str, inventory_id: str) -> InventoryConfiguration:
        """One inventory configuration of a bucket, by id (:class:`NoSuchConfiguration`, 404,
        when there is none)."""
        _check_inventory_id(inventory_id)
        return await self._get_config(bucket, _INVENTORY, {"id": inventory_id})

    async def delete_bucket_inventory(self, bucket: str, inventory_id: str) -> None:
        """Remove one inventory configuration of a bucket, by id."""
        check_bucket(bucket)
        _check_inventory_id(inventory_id)
        await self._request("DELETE", bucket, params={"inventory": None, "id": inventory_id})

    async def list_bucket_inventory_configurations(
        self, bucket: str
    ) -> tuple[InventoryConfiguration, ...]:
        """Every inventory configuration of a bucket (following continuation tokens)."""
        check_bucket(bucket)
        found: list[InventoryConfiguration] = []
        token: str | None = None
        while True:
            params: dict[str, str | None] = {"inventory": None}
            if token is not None:
                params["continuation-token"] = token
            _, doc = await self._xml_call(
                "GET", bucket, None, "ListInventoryConfigurationResult", params=params
            )
            try:
                found.extend(
                    from_xml(InventoryConfiguration, d)
                    for d in as_list(doc.get("InventoryConfiguration"))
                )
            except XMLError as exc:
                raise CosClientError(f"COS sent an inventory list we cannot read: {exc}") from exc
            token = text_of(doc.get("NextContinuationToken")) or None
            if not _bool(doc.get("IsTruncated")):
                break
            if token is None:
                raise CosClientError("COS sent a truncated inventory list without a token")
        return tuple(found)

    async def put_bucket_policy(self, bucket: str, policy: Mapping[str, Any] | str) -> None:
        """Replace the bucket policy: a JSON document (a mapping, or its JSON text) with a
        non-empty ``Statement`` list whose statements each have an ``Effect`` of allow/deny."""
        check_bucket(bucket)
        document = _check_policy(policy)
        data = json.dumps(document, separators=(",", ":"), allow_nan=False).encode()
        await self._request(
            "PUT",
            bucket,
            params={"policy": None},
            headers={"Content-Type": "application/json"},
            body=make_body(data),
        )

    async def get_bucket_policy(self, bucket: str) -> dict[str, Any]:
        """The bucket policy, parsed from JSON (:class:`NoSuchConfiguration`, 404, when none)."""
        check_bucket(bucket)
        _, data = await self._request("GET", bucket, params={"policy": None})
        try:
            document = json.loads(data)
        except ValueError as exc:
            raise CosClientError(f"COS sent a bucket policy that is not JSON: {exc}") from exc
        if not isinstance(document, dict):
            raise CosClientError("COS sent a bucket policy that is not a JSON object")
        return document

    async def delete_bucket_policy(self, bucket: str) -> None:
        """Remove the bucket policy."""
        check_bucket(bucket)
        await self._request("DELETE", bucket, params={"policy": None})

    async def put_bucket_acl(
        self,
        bucket: str,
        *,
        acl: Literal["private", "public-read", "public-read-write"] | None = None,
        grant_read: str | None = None,
        grant_write: str | None = None,
        grant_read_acp: str | None = None,
        grant_write_acp: str | None = None,
        grant_full_control: str | None = None,
        grants: Iterable[Grant] | None = None,
        owner_id: str | None = None,
    ) -> None:
        """Set a bucket's ACL: a canned ``acl`` and/or ``grant_*`` headers (``id="qcs::cam::
        uin/<uin>:uin/<uin>"``, comma-separated), or a full list of ``grants`` (an
        AccessControlPolicy document; ``owner_id`` defaults to the first grantee)."""
        check_bucket(bucket)
        headers = _acl_headers(
            acl,
            grant_read=grant_read,
            grant_write=grant_write,
            grant_read_acp=grant_read_acp,
            grant_write_acp=grant_write_acp,
            grant_full_control=grant_full_control,
            allowed=_BUCKET_ACLS,
        )
        await self._put_acl(bucket, None, headers, grants, owner_id, "put_bucket_acl")

    async def get_bucket_acl(self, bucket: str) -> AccessControlPolicy:
        """A bucket's ACL: the owner and the grants."""
        check_bucket(bucket)
        return await self._get_acl(bucket, None)

    # --- objects: write ---------------------------------------------------------------------

    def _write_headers(
        self,
        key: str,
        *,
        content_type: str | None,
        content_disposition: str | None,
        content_encoding: str | None,
        content_language: str | None,
        cache_control: str | None,
        expires: DateLike | None,
        metadata: Mapping[str, str] | None,
        storage_class: StorageClass | str | None,
        acl: str | None,
        grant_read: str | None,
        grant_read_acp: str | None,
        grant_write_acp: str | None,
        grant_full_control: str | None,
        tagging: Mapping[str, str] | None,
        traffic_limit: int | None,
        sse: Literal["AES256", "cos/kms"] | None,
        sse_kms_key_id: str | None,
        sse_kms_context: str | None,
        sse_customer_key: bytes | None,
        extra_headers: Mapping[str, str] | None,
        guess_type: bool = True,
    ) -> dict[str, str]:
        headers: dict[str, str] = {}
        if content_type is None and guess_type:
            content_type = mimetypes.guess_type(key)[0] or "application/octet-stream"
        for name, value in (
            ("Content-Type", content_type),
            ("Content-Disposition", content_disposition),
            ("Content-Encoding", content_encoding),
            ("Content-Language", content_language),
            ("Cache-Control", cache_control),
        ):
            if value is not None:
                if "\n" in value or "\r" in value:
                    raise InvalidArgument(f"{name} contains a line break: {value!r}")
                headers[name] = value
        if expires is not None:
            headers["Expires"] = _http_date(expires, "expires")
        headers.update(_metadata_headers(metadata))
        headers.update(_storage_class(storage_class))
        headers.update(
            _acl_headers(
                acl,
                grant_read=grant_read,
                grant_write=None,
                grant_read_acp=grant_read_acp,
                grant_write_acp=grant_write_acp,
                grant_full_control=grant_full_control,
                allowed=_OBJECT_ACLS,
            )
        )
        headers.update(_tagging_header(tagging))
        headers.update(_check_traffic_limit(traffic_limit))
        headers.update(_sse_headers(sse, sse_kms_key_id, sse_kms_context, sse_customer_key))
        headers.update(_extra(extra_headers))
        return headers

    @staticmethod
    def _crc_check(body: RequestBody, what: str) -> Callable[[Response], None]:
        def check(resp: Response) -> None:
            server = parse_crc(resp.headers.get("x-cos-hash-crc64ecma"))
            if server is not None and server != body.crc.value:
                raise IntegrityError(
                    f"{what}: COS stored CRC64 {server} but {body.crc.value} was sent "
                    f"({body.crc.length} bytes)"
                )

        return check

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
    ) -> PutObjectResult:
        """Upload ``data`` (bytes, memoryview, a path, a binary file, or a sync/async iterable of
        bytes, sent chunked) in one request (up to 5 GB). The CRC64 COS reports is checked against
        what was sent; a replayable body is re-sent on a mismatch."""
        check_bucket(bucket)
        check_key(key)
        body = make_body(data)
        headers = self._write_headers(
            key,
            content_type=content_type,
            content_disposition=content_disposition,
            content_encoding=content_encoding,
            content_language=content_language,
            cache_control=cache_control,
            expires=expires,
            metadata=metadata,
            storage_class=storage_class,
            acl=acl,
            grant_read=grant_read,
            grant_read_acp=grant_read_acp,
            grant_write_acp=grant_write_acp,
            grant_full_control=grant_full_control,
            tagging=tagging,
            traffic_limit=traffic_limit,
            sse=sse,
            sse_kms_key_id=sse_kms_key_id,
            sse_kms_context=sse_kms_context,
            sse_customer_key=sse_customer_key,
            extra_headers=extra_headers,
        )
        if content_md5:
            headers["Content-MD5"] = await body.content_md5()
        resp, _ = await self._request(
            "PUT",
            bucket,
            key,
            headers=headers,
            body=body,
            check=self._crc_check(body, f"PUT {key}"),
        )
        h = freeze_headers(resp.headers)
        return PutObjectResult(
            request_id=resp.request_id,
            headers=h,
            etag=h.get("ETag", ""),
            crc64=parse_crc(h.get("x-cos-hash-crc64ecma")),
            version_id=h.get("x-cos-version-id"),
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
        headers: dict[str, str] = {}
        if position == 0:
            headers["Content-Type"] = content_type or (
                mimetypes.guess_type(key)[0] or "application/octet-stream"
            )
            headers.update(_metadata_headers(metadata))
            headers.update(_storage_class(storage_class))
        elif content_type is not None or metadata or storage_class is not None:
            raise InvalidArgument(
                "content_type, metadata and storage_class apply only at position 0"
            )
        headers.update(_check_traffic_limit(traffic_limit))
        headers.update(_extra(extra_headers))
        resp, _ = await self._request(
            "POST",
            bucket,
            key,
            params={"append": None, "position": str(position)},
            headers=headers,
            body=body,
        )
        h = freeze_headers(resp.headers)
        nxt = h.get("x-cos-next-append-position", "")
        return AppendObjectResult(
            request_id=resp.request_id,
            headers=h,
            etag=h.get("ETag", ""),
            next_position=int(nxt) if nxt.isdigit() else position + (body.crc.length or 0),
            crc64=parse_crc(h.get("x-cos-hash-crc64ecma")),
        )

    # --- objects: read ----------------------------------------------------------------------

    def _read_headers(
        self,
        *,
        if_match: str | None,
        if_none_match: str | None,
        if_modified_since: DateLike | None,
        if_unmodified_since: DateLike | None,
        sse_customer_key: bytes | None,
        extra_headers: Mapping[str, str] | None,
    ) -> dict[str, str]:
        headers: dict[str, str] = {}
        if if_match is not None:
            headers["If-Match"] = if_match
        if if_none_match is not None:
            headers["If-None-Match"] = if_none_match
        if if_modified_since is not None:
            headers["If-Modified-Since"] = _http_date(if_modified_since, "if_modified_since")
        if if_unmodified_since is not None:
            headers["If-Unmodified-Since"] = _http_date(if_unmodified_since, "if_unmodified_since")
        headers.update(_sse_customer(sse_customer_key, "x-cos-server-side-encryption-customer-"))
        headers.update(_extra(extra_headers))
        return headers

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
    ) -> ObjectBody:
        """Open an object for reading: returns an :class:`ObjectBody` to stream, read or save.

        ``range=(first, last)`` asks for bytes ``first..last`` inclusive (``last=None``: to the
        end). A complete read is checked against the object's CRC64 (``verify_crc``).
        ``NotModified`` / ``PreconditionFailed`` when a condition does not hold.
        """
        check_bucket(bucket)
        check_key(key)
        headers = self._read_headers(
            if_match=if_match,
            if_none_match=if_none_match,
            if_modified_since=if_modified_since,
            if_unmodified_since=if_unmodified_since,
            sse_customer_key=sse_customer_key,
            extra_headers=extra_headers,
        )
        headers.update(_check_traffic_limit(traffic_limit))
        if range is not None:
            first, last = range if isinstance(range, tuple) and len(range) == 2 else (None, None)
            if (
                not isinstance(first, int)
                or first < 0
                or (last is not None and (not isinstance(last, int) or last < first))
            ):
                raise InvalidArgument(
                    f"range must be (first, last) with 0 <= first <= last, got {range!r}"
                )
            headers["Range"] = f"bytes={first}-{'' if last is None else last}"
        params: dict[str, str | None] = {}
        if version_id is not None:
            params["versionId"] = version_id
        for name, value in (
            ("response-content-type", response_content_type),
            ("response-content-disposition", response_content_disposition),
            ("response-content-encoding", response_content_encoding),
            ("response-content-language", response_content_language),
            ("response-cache-control", response_cache_control),
            ("response-expires", response_expires),
        ):
            if value is not None:
                params[name] = value
        resp, _ = await self._request(
            "GET", bucket, key, params=params, headers=headers, stream=True
        )
        if resp.status == 304:
            resp.release()
            raise self._service_error(304, resp.headers, b"", "GET", bucket, key)
        meta = ObjectMeta.from_headers(resp.headers, resp.request_id)
        length_text = resp.headers.get("Content-Length", "")
        expected = int(length_text) if length_text.isdigit() else None
        partial = resp.status == 206
        return ObjectBody(
            meta,
            resp.iter_body,
            resp.release_or_close,
            verify_crc=verify_crc and not partial,
            expected_length=expected,
        )

    async def _get_range_into(
        self,
        bucket: str,
        key: str,
        sink: RangeSink,
        *,
        if_match: str | None,
        version_id: str | None,
        traffic_limit: int | None,
        sse_customer_key: bytes | None,
        on_bytes: Callable[[int], None] | None,
    ) -> ObjectMeta:
        """GET bytes ``[sink.offset, sink.offset + sink.length)`` straight into the sink's file
        (for :func:`download_file`; a threaded exchange unless a proxy is configured). Retries
        like every request; the caller checks ``sink.written`` and ``sink.crc``."""
        headers = self._read_headers(
            if_match=if_match,
            if_none_match=None,
            if_modified_since=None,
            if_unmodified_since=None,
            sse_customer_key=sse_customer_key,
            extra_headers=None,
        )
        headers.update(_check_traffic_limit(traffic_limit))
        headers["Range"] = f"bytes={sink.offset}-{sink.offset + sink.length - 1}"
        params: dict[str, str | None] = {}
        if version_id is not None:
            params["versionId"] = version_id
        resp, _ = await self._request(
            "GET", bucket, key, params=params, headers=headers, sink=sink, on_bytes=on_bytes
        )
        if resp.status != 206 and not (
            resp.status == 200 and sink.offset == 0 and sink.written == sink.length
        ):
            raise CosTransportError(
                f"GET {bucket}/{key} with Range {headers['Range']}: COS answered {resp.status}"
            )
        return ObjectMeta.from_headers(resp.headers, resp.request_id)

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
        headers = self._read_headers(
            if_match=if_match,
            if_none_match=if_none_match,
            if_modified_since=if_modified_since,
            if_unmodified_since=if_unmodified_since,
            sse_customer_key=sse_customer_key,
            extra_headers=extra_headers,
        )
        params = {"versionId": version_id} if version_id is not None else {}
        resp, _ = await self._request("HEAD", bucket, key, params=params, headers=headers)
        return ObjectMeta.from_headers(resp.headers, resp.request_id)

    async def object_exists(self, bucket: str, key: str, *, version_id: str | None = None) -> bool:
        """True if the object exists (other errors, such as AccessDenied, are raised)."""
        try:
            await self.head_object(bucket, key, version_id=version_id)
        except NoSuchKey:
            return False
        return True

    # --- delete -----------------------------------------------------------------------------

    async def delete_object(
        self, bucket: str, key: str, *, version_id: str | None = None
    ) -> DeleteObjectResult:
        """Delete an object (or one version). Deleting a missing key succeeds."""
        check_bucket(bucket)
        check_key(key)
        params = {"versionId": version_id} if version_id is not None else {}
        resp, _ = await self._request("DELETE", bucket, key, params=params)
        h = freeze_headers(resp.headers)
        return DeleteObjectResult(
            request_id=resp.request_id,
            headers=h,
            version_id=h.get("x-cos-version-id"),
            delete_marker=h.get("x-cos-delete-marker", "").lower() == "true",
        )

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
        deleted: list[DeletedObject] = []
        errors: list[DeleteError] = []
        request_ids: list[str] = []
        for off in range(0, len(items), DELETE_BATCH):
            batch = items[off : off + DELETE_BATCH]
            objects = [{"Key": k, **({"VersionId": v} if v is not None else {})} for k, v in batch]
            body, headers = await self._xml_body(
                "Delete", {"Quiet": "true" if quiet else "false", "Object": objects}
            )
            reply, doc = await self._xml_call(
                "POST",
                bucket,
                None,
                "DeleteResult",
                params={"delete": None},
                headers=headers,
                body=body,
            )
            if reply.request_id:
                request_ids.append(reply.request_id)
            for d in as_list(doc.get("Deleted")):
                deleted.append(
                    DeletedObject(
                        key=text_of(d.get("Key")),
                        version_id=text_of(d.get("VersionId")) or None,
                        delete_marker=_bool(d.get("DeleteMarker")),
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

    # --- listing ----------------------------------------------------------------------------

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
        params = _listing_params(
            {"max-keys": _page_size("max_keys", max_keys)},
            (("prefix", prefix), ("delimiter", delimiter), ("marker", marker)),
        )
        reply, doc = await self._xml_call("GET", bucket, None, "ListBucketResult", params=params)
        decode = _decoder(doc)
        objects = tuple(
            ObjectInfo(
                key=decode(text_of(c.get("Key"))),
                size=int(text_of(c.get("Size")) or 0),
                etag=text_of(c.get("ETag")),
                last_modified=parse_iso_date(text_of(c.get("LastModified"))),
                storage_class=text_of(c.get("StorageClass")) or "STANDARD",
                owner_id=text_of((c.get("Owner") or {}).get("ID")) or None,
            )
            for c in as_list(doc.get("Contents"))
        )
        prefixes = _common_prefixes(doc, decode)
        truncated = _bool(doc.get("IsTruncated"))
        next_marker = decode(text_of(doc.get("NextMarker"))) or None
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
        while True:
            page = await self.list_objects_page(
                bucket, prefix=prefix, delimiter=delimiter, marker=marker, max_keys=page_size
            )
            yield page
            if not page.is_truncated or not page.next_marker:
                return
            if page.next_marker <= marker:
                raise CosClientError(
                    f"listing did not advance: next marker {page.next_marker!r} after {marker!r}"
                )
            marker = page.next_marker

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
        delimiter are grouped into common prefixes, which :meth:`list_objects_pages` returns."""
        async for page in self.list_objects_pages(
            bucket, prefix=prefix, delimiter=delimiter, marker=marker, page_size=page_size
        ):
            for obj in page.objects:
                yield obj

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
        params = _listing_params(
            {"versions": None, "max-keys": _page_size("max_keys", max_keys)},
            (
                ("prefix", prefix),
                ("delimiter", delimiter),
                ("key-marker", key_marker),
                ("version-id-marker", version_id_marker),
            ),
        )
        reply, doc = await self._xml_call("GET", bucket, None, "ListVersionsResult", params=params)
        decode = _decoder(doc)
        versions: list[ObjectVersionInfo] = []
        for kind in ("Version", "DeleteMarker"):
            for v in as_list(doc.get(kind)):
                size = text_of(v.get("Size"))
                versions.append(
                    ObjectVersionInfo(
                        key=decode(text_of(v.get("Key"))),
                        version_id=text_of(v.get("VersionId")),
                        is_latest=_bool(v.get("IsLatest")),
                        is_delete_marker=kind == "DeleteMarker",
                        last_modified=parse_iso_date(text_of(v.get("LastModified"))),
                        size=int(size) if size.isdigit() else 0,
                        etag=text_of(v.get("ETag")) or None,
                        storage_class=text_of(v.get("StorageClass")) or None,
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
            common_prefixes=_common_prefixes(doc, decode),
            is_truncated=_bool(doc.get("IsTruncated")),
            next_key_marker=decode(text_of(doc.get("NextKeyMarker"))) or None,
            next_version_id_marker=text_of(doc.get("NextVersionIdMarker")) or None,
        )

    async def list_object_versions(
        self, bucket: str, *, prefix: str = "", delimiter: str = "", page_size: int = 1000
    ) -> AsyncIterator[ObjectVersionInfo]:
        """Every version and delete marker under ``prefix`` (all pages)."""
        key_marker = version_marker = ""
        while True:
            page = await self.list_object_versions_page(
                bucket,
                prefix=prefix,
                delimiter=delimiter,
                key_marker=key_marker,
                version_id_marker=version_marker,
                max_keys=page_size,
            )
            for v in page.versions:
                yield v
            if not page.is_truncated or page.next_key_marker is None:
                return
            key_marker = page.next_key_marker
            version_marker = page.next_version_id_marker or ""

    # --- copy -------------------------------------------------------------------------------

    def _copy_source(self, bucket: str, key: str, version_id: str | None) -> str:
        check_bucket(bucket)
        check_key(key)
        cfg = self._config
        path = encode_key(key)
        if cfg.region is not None or cfg.endpoint is not None or cfg.accelerate:
            source = f"{bucket}.{cfg.endpoint_suffix()}/{path}"
        else:
            source = f"/{bucket}/{path}"
        if version_id is not None:
            source += f"?versionId={quote(version_id, safe='')}"
        return source

    async def copy_object(
        self,
        bucket: str,
        key: str,
        *,
        source_bucket: str,
        source_key: str,
        source_version_id: str | None = None,
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
    ) -> CopyObjectResult:
        """Copy (up to 5 GB) from ``source_bucket/source_key`` to ``bucket/key``.

        ``metadata_directive="Copy"`` keeps the source's metadata (the content/metadata arguments
        are then refused); ``"Replaced"`` sets them. ``if_*`` are conditions on the source."""
        check_bucket(bucket)
        check_key(key)
        if metadata_directive not in ("Copy", "Replaced"):
            raise InvalidArgument(
                f"metadata_directive must be 'Copy' or 'Replaced', got {metadata_directive!r}"
            )
        replacing = (
            content_type,
            content_disposition,
            content_encoding,
            content_language,
            cache_control,
            expires,
            metadata,
        )
        if metadata_directive == "Copy" and any(v is not None for v in replacing):
            raise InvalidArgument("content headers and metadata need metadata_directive='Replaced'")
        headers = self._write_headers(
            key,
            content_type=content_type,
            content_disposition=content_disposition,
            content_encoding=content_encoding,
            content_language=content_language,
            cache_control=cache_control,
            expires=expires,
            metadata=metadata,
            storage_class=storage_class,
            acl=acl,
            grant_read=grant_read,
            grant_read_acp=None,
            grant_write_acp=None,
            grant_full_control=grant_full_control,
            tagging=tagging,
            traffic_limit=traffic_limit,
            sse=sse,
            sse_kms_key_id=None,
            sse_kms_context=None,
            sse_customer_key=sse_customer_key,
            extra_headers=extra_headers,
            guess_type=metadata_directive == "Replaced",
        )
        headers["x-cos-copy-source"] = self._copy_source(
            source_bucket, source_key, source_version_id
        )
        headers["x-cos-metadata-directive"] = metadata_directive
        headers.update(
            self._copy_conditions(if_match, if_none_match, if_modified_since, if_unmodified_since)
        )
        headers.update(
            _sse_customer(
                source_sse_customer_key, "x-cos-copy-source-server-side-encryption-customer-"
            )
        )
        reply, doc = await self._xml_call(
            "PUT", bucket, key, "CopyObjectResult", headers=headers, late_error=True
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

    @staticmethod
    def _copy_conditions(
        if_match: str | None,
        if_none_match: str | None,
        if_modified_since: DateLike | None,
        if_unmodified_since: DateLike | None,
    ) -> dict[str, str]:
        headers: dict[str, str] = {}
        if if_match is not None:
            headers["x-cos-copy-source-If-Match"] = if_match
        if if_none_match is not None:
            headers["x-cos-copy-source-If-None-Match"] = if_none_match
        if if_modified_since is not None:
            headers["x-cos-copy-source-If-Modified-Since"] = _http_date(
                if_modified_since, "if_modified_since"
            )
        if if_unmodified_since is not None:
            headers["x-cos-copy-source-If-Unmodified-Since"] = _http_date(
                if_unmodified_since, "if_unmodified_since"
            )
        return headers

    # --- restore, tagging, ACL --------------------------------------------------------------

    async def restore_object(
        self,
        bucket: str,
        key: str,
        *,
        days: int,
        tier: Literal["Expedited", "Standard", "Bulk"] = "Standard",
        version_id: str | None = None,
    ) -> int:
        """Restore an ARCHIVE / DEEP_ARCHIVE object for ``days``. Returns 202 when the restore
        started, 200 when it was already restored (its expiry is extended)."""
        check_bucket(bucket)
        check_key(key)
        if not isinstance(days, int) or isinstance(days, bool) or days < 1:
            raise InvalidArgument(f"days must be an integer >= 1, got {days!r}")
        if tier not in ("Expedited", "Standard", "Bulk"):
            raise InvalidArgument(f"tier must be Expedited, Standard or Bulk, got {tier!r}")
        body, headers = await self._xml_body(
            "RestoreRequest", {"Days": str(days), "CASJobParameters": {"Tier": tier}}
        )
        params: dict[str, str | None] = {"restore": None}
        if version_id is not None:
            params["versionId"] = version_id
        resp, _ = await self._request(
            "POST", bucket, key, params=params, headers=headers, body=body
        )
        return resp.status

    # --- select -----------------------------------------------------------------------------

    async def select_object_content(
        self,
        bucket: str,
        key: str,
        expression: str,
        *,
        input_format: CSVInput | JSONInput,
        output_format: CSVOutput | JSONOutput | None = None,
        compression: Literal["NONE", "GZIP", "BZIP2"] = "NONE",
        request_progress: bool = False,
        extra_headers: Mapping[str, str] | None = None,
    ) -> AsyncIterator[SelectEvent]:
        """Run an SQL ``expression`` over a CSV or JSON object on the COS side (COS Select) and
        yield what comes back, as it arrives::

            async for event in cos.select_object_content(
                bucket, "people.csv", "SELECT s.name FROM COSObject s WHERE s.age > 30",
                input_format=CSVInput(file_header_info="USE"),
            ):
                if isinstance(event, SelectRecords):
                    out.write(event.payload)

        ``expression`` is positional; ``input_format`` (:class:`CSVInput` / :class:`JSONInput`)
        describes the object, ``compression`` (``"NONE"``, ``"GZIP"``, ``"BZIP2"``) how it is
        stored; ``output_format`` defaults to :class:`CSVOutput` for CSV and :class:`JSONOutput`
        for JSON. Events: :class:`SelectRecords` (pieces of the result; concatenate them),
        :class:`SelectProgress` (with ``request_progress=True``), :class:`SelectStats` (once,
        at the end). The iteration ends with the stream's End event; a stream that stops before
        it, or whose CRC32 checks fail, raises :class:`IntegrityError`, and an error COS reports
        in the stream raises the matching :class:`CosServiceError` subclass. The answer is
        decoded chunk by chunk (never held whole); an iteration closed early (``aclose()``, or
        ``contextlib.aclosing``) drops the connection instead of reading the rest.
        """
        check_bucket(bucket)
        check_key(key)
        doc = select_request(expression, input_format, output_format, compression, request_progress)
        body, headers = await self._xml_body("SelectRequest", doc)
        headers.update(_extra(extra_headers))
        params: dict[str, str | None] = {"select": None, "select-type": "2"}
        resp, _ = await self._request(
            "POST", bucket, key, params=params, headers=headers, body=body, stream=True
        )
        decoder = EventStreamDecoder()
        ended = False
        try:
            async with contextlib.aclosing(resp.iter_body()) as chunks:
                async for chunk in chunks:
                    for message in decoder.feed(chunk):
                        if ended:
                            continue  # nothing is meant to follow End
                        event = parse_message(message)
                        if isinstance(event, SelectEvent):
                            yield event
                        elif event.kind == "end":
                            ended = True
                        elif event.kind == "error":
                            raise service_error(
                                status=resp.status,
                                code=event.code or "SelectError",
                                message=event.message,
                                request_id=resp.request_id,
                                trace_id=resp.headers.get("x-cos-trace-id"),
                                method="POST",
                                bucket=bucket,
                                key=key,
                            )
            decoder.finish()
            if not ended:
                raise IntegrityError(
                    f"select on {bucket}/{key}: the event stream ended without an End event"
                )
        finally:
            resp.release_or_close()

    async def put_object_tagging(
        self, bucket: str, key: str, tags: Mapping[str, str], *, version_id: str | None = None
    ) -> None:
        """Replace an object's tags (at most 10; keys <= 128, values <= 256 characters)."""
        check_bucket(bucket)
        check_key(key)
        _check_tags(tags)
        body, headers = await self._xml_body(
            "Tagging", {"TagSet": {"Tag": [{"Key": k, "Value": v} for k, v in tags.items()]}}
        )
        params: dict[str, str | None] = {"tagging": None}
        if version_id is not None:
            params["versionId"] = version_id
        await self._request("PUT", bucket, key, params=params, headers=headers, body=body)

    async def get_object_tagging(
        self, bucket: str, key: str, *, version_id: str | None = None
    ) -> dict[str, str]:
        """An object's tags as a dict."""
        check_bucket(bucket)
        check_key(key)
        params: dict[str, str | None] = {"tagging": None}
        if version_id is not None:
            params["versionId"] = version_id
        _, doc = await self._xml_call("GET", bucket, key, "Tagging", params=params)
        tag_set = doc.get("TagSet") or {}
        return {
            text_of(t.get("Key")): text_of(t.get("Value"))
            for t in as_list(tag_set.get("Tag") if isinstance(tag_set, dict) else None)
        }

    async def delete_object_tagging(
        self, bucket: str, key: str, *, version_id: str | None = None
    ) -> None:
        """Remove all tags of an object."""
        check_bucket(bucket)
        check_key(key)
        params: dict[str, str | None] = {"tagging": None}
        if version_id is not None:
            params["versionId"] = version_id
        await self._request("DELETE", bucket, key, params=params)

    async def put_object_acl(
        self,
        bucket: str,
        key: str,
        *,
        acl: Literal["default", "private", "public-read"] | None = None,
        grant_read: str | None = None,
        grant_read_acp: str | None = None,
        grant_write_acp: str | None = None,
        grant_full_control: str | None = None,
        grants: Iterable[Grant] | None = None,
        owner_id: str | None = None,
    ) -> None:
        """Set an object's ACL: a canned ``acl`` and/or ``grant_*`` headers, or a full list of
        ``grants`` (an AccessControlPolicy document)."""
        check_bucket(bucket)
        check_key(key)
        headers = _acl_headers(
            acl,
            grant_read=grant_read,
            grant_write=None,
            grant_read_acp=grant_read_acp,
            grant_write_acp=grant_write_acp,
            grant_full_control=grant_full_control,
            allowed=_OBJECT_ACLS,
        )
        await self._put_acl(bucket, key, headers, grants, owner_id, "put_object_acl")

    async def _put_acl(
        self,
        bucket: str,
        key: str | None,
        headers: dict[str, str],
        grants: Iterable[Grant] | None,
        owner_id: str | None,
        what: str,
    ) -> None:
        body = None
        if grants is not None:
            if headers:
                raise InvalidArgument("give either acl/grant_* or grants, not both")
            body, h = await self._xml_body(
                "AccessControlPolicy", _acl_doc(list(grants), owner_id), md5=False
            )
            headers.update(h)
        elif not headers:
            raise InvalidArgument(f"{what} needs acl, a grant_* or grants")
        await self._request("PUT", bucket, key, params={"acl": None}, headers=headers, body=body)

    async def get_object_acl(self, bucket: str, key: str) -> AccessControlPolicy:
        """An object's ACL: the owner and the grants."""
        check_bucket(bucket)
        check_key(key)
        return await self._get_acl(bucket, key)

    async def _get_acl(self, bucket: str, key: str | None) -> AccessControlPolicy:
        reply, doc = await self._xml_call(
            "GET", bucket, key, "AccessControlPolicy", params={"acl": None}
        )
        grants: list[Grant] = []
        acl_list = doc.get("AccessControlList") or {}
        for g in as_list(acl_list.get("Grant") if isinstance(acl_list, dict) else None):
            grantee = g.get("Grantee") or {}
            grants.append(
                Grant(
                    permission=text_of(g.get("Permission")),
                    id=text_of(grantee.get("ID")) or None,
                    uri=text_of(grantee.get("URI")) or None,
                    display_name=text_of(grantee.get("DisplayName")) or None,
                )
            )
        owner = doc.get("Owner") or {}
        return AccessControlPolicy(
            request_id=reply.request_id,
            headers=reply.headers,
            owner_id=text_of(owner.get("ID")) if isinstance(owner, dict) else None,
            grants=tuple(grants),
        )

    # --- multipart --------------------------------------------------------------------------

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
    ) -> MultipartUpload:
        """Start a multipart upload; the object's metadata, class and ACL are set here."""
        check_bucket(bucket)
        check_key(key)
        headers = self._write_headers(
            key,
            content_type=content_type,
            content_disposition=content_disposition,
            content_encoding=content_encoding,
            content_language=content_language,
            cache_control=cache_control,
            expires=expires,
            metadata=metadata,
            storage_class=storage_class,
            acl=acl,
            grant_read=grant_read,
            grant_read_acp=None,
            grant_write_acp=None,
            grant_full_control=grant_full_control,
            tagging=tagging,
            traffic_limit=None,
            sse=sse,
            sse_kms_key_id=sse_kms_key_id,
            sse_kms_context=sse_kms_context,
            sse_customer_key=sse_customer_key,
            extra_headers=extra_headers,
        )
        reply, doc = await self._xml_call(
            "POST",
            bucket,
            key,
            "InitiateMultipartUploadResult",
            params={"uploads": None},
            headers=headers,
        )
        upload_id = text_of(doc.get("UploadId"))
        if not upload_id:
            raise CosClientError("COS did not return an UploadId")
        return MultipartUpload(
            request_id=reply.request_id,
            headers=reply.headers,
            bucket=bucket,
            key=key,
            upload_id=upload_id,
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
        _check_part_number(part_number)
        if not upload_id:
            raise InvalidArgument("upload_id must not be empty")
        body = make_body(data)
        headers = _check_traffic_limit(traffic_limit)
        headers.update(_sse_customer(sse_customer_key, "x-cos-server-side-encryption-customer-"))
        headers.update(_extra(extra_headers))
        if content_md5:
            headers["Content-MD5"] = await body.content_md5()
        resp, _ = await self._request(
            "PUT",
            bucket,
            key,
            params={"partNumber": str(part_number), "uploadId": upload_id},
            headers=headers,
            body=body,
            check=self._crc_check(body, f"part {part_number} of {key}"),
        )
        h = freeze_headers(resp.headers)
        return UploadPartResult(
            request_id=resp.request_id,
            headers=h,
            part_number=part_number,
            etag=h.get("ETag", ""),
            crc64=parse_crc(h.get("x-cos-hash-crc64ecma")),
        )

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
        source_range: tuple[int, int] | None = None,
        if_match: str | None = None,
        if_none_match: str | None = None,
        if_modified_since: DateLike | None = None,
        if_unmodified_since: DateLike | None = None,
        traffic_limit: int | None = None,
    ) -> UploadPartCopyResult:
        """Copy ``source_range=(first, last)`` (inclusive) of another object as one part."""
        check_bucket(bucket)
        check_key(key)
        _check_part_number(part_number)
        headers = {
            "x-cos-copy-source": self._copy_source(source_bucket, source_key, source_version_id)
        }
        if source_range is not None:
            first, last = (
                source_range
                if isinstance(source_range, tuple) and len(source_range) == 2
                else (None, None)
            )
            if not isinstance(first, int) or not isinstance(last, int) or first < 0 or last < first:
                raise InvalidArgument(
                    f"source_range must be (first, last) with 0 <= first <= last, got {source_range!r}"
                )
            headers["x-cos-copy-source-range"] = f"bytes={first}-{last}"
        headers.update(
            self._copy_conditions(if_match, if_none_match, if_modified_since, if_unmodified_since)
        )
        headers.update(_check_traffic_limit(traffic_limit))
        reply, doc = await self._xml_call(
            "PUT",
            bucket,
            key,
            "CopyPartResult",
            params={"partNumber": str(part_number), "uploadId": upload_id},
            headers=headers,
            late_error=True,
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
        max_parts_value = _page_size("max_parts", max_parts)
        reply, doc = await self._xml_call(
            "GET",
            bucket,
            key,
            "ListPartsResult",
            params={
                "uploadId": upload_id,
                "part-number-marker": str(part_number_marker),
                "max-parts": max_parts_value,
            },
        )
        parts = tuple(
            PartInfo(
                part_number=int(text_of(p.get("PartNumber"))),
                etag=text_of(p.get("ETag")),
                size=int(text_of(p.get("Size")) or 0),
                last_modified=parse_iso_date(text_of(p.get("LastModified"))),
                crc64=parse_crc(text_of(p.get("CRC64"))),
            )
            for p in as_list(doc.get("Part"))
        )
        nxt = text_of(doc.get("NextPartNumberMarker"))
        return ListPartsPage(
            request_id=reply.request_id,
            headers=reply.headers,
            parts=parts,
            is_truncated=_bool(doc.get("IsTruncated")),
            next_part_number_marker=int(nxt) if nxt.isdigit() else None,
            storage_class=text_of(doc.get("StorageClass")) or None,
        )

    async def list_parts(
        self, bucket: str, key: str, upload_id: str, *, page_size: int = 1000
    ) -> AsyncIterator[PartInfo]:
        """Every uploaded part of a multipart upload (all pages)."""
        marker = 0
        while True:
            page = await self.list_parts_page(
                bucket, key, upload_id, part_number_marker=marker, max_parts=page_size
            )
            for p in page.parts:
                yield p
            if not page.is_truncated or page.next_part_number_marker is None:
                return
            if page.next_part_number_marker <= marker:
                raise CosClientError(f"part listing did not advance past {marker}")
            marker = page.next_part_number_marker

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
        pairs: list[tuple[int, str]] = []
        for p in parts:
            if isinstance(p, tuple):
                number, etag = p
            else:
                number, etag = p.part_number, p.etag
            _check_part_number(number)
            pairs.append((number, etag))
        if not pairs:
            raise InvalidArgument("complete_multipart_upload needs at least one part")
        pairs.sort()
        numbers = [n for n, _ in pairs]
        if len(set(numbers)) != len(numbers):
            raise InvalidArgument(f"duplicate part numbers in {numbers}")
        body, headers = await self._xml_body(
            "CompleteMultipartUpload",
            {"Part": [{"PartNumber": str(n), "ETag": e} for n, e in pairs]},
            md5=False,
        )
        reply, doc = await self._xml_call(
            "POST",
            bucket,
            key,
            "CompleteMultipartUploadResult",
            params={"uploadId": upload_id},
            headers=headers,
            body=body,
            read_timeout=self._config.complete_timeout,
            late_error=True,
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

    async def abort_multipart_upload(self, bucket: str, key: str, upload_id: str) -> None:
        """Abort a multipart upload and discard its parts (``NoSuchUpload`` if unknown)."""
        check_bucket(bucket)
        check_key(key)
        await self._request("DELETE", bucket, key, params={"uploadId": upload_id})

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
        params = _listing_params(
            {"uploads": None, "max-uploads": _page_size("max_uploads", max_uploads)},
            (
                ("prefix", prefix),
                ("delimiter", delimiter),
                ("key-marker", key_marker),
                ("upload-id-marker", upload_id_marker),
            ),
        )
        reply, doc = await self._xml_call(
            "GET", bucket, None, "ListMultipartUploadsResult", params=params
        )
        decode = _decoder(doc)
        return ListMultipartUploadsPage(
            request_id=reply.request_id,
            headers=reply.headers,
            uploads=tuple(
                MultipartUploadInfo(
                    key=decode(text_of(u.get("Key"))),
                    upload_id=text_of(u.get("UploadId")),
                    initiated=parse_iso_date(text_of(u.get("Initiated"))),
                    storage_class=text_of(u.get("StorageClass")) or None,
                )
                for u in as_list(doc.get("Upload"))
            ),
            common_prefixes=_common_prefixes(doc, decode),
            is_truncated=_bool(doc.get("IsTruncated")),
            next_key_marker=decode(text_of(doc.get("NextKeyMarker"))) or None,
            next_upload_id_marker=text_of(doc.get("NextUploadIdMarker")) or None,
        )

    async def list_multipart_uploads(
        self, bucket: str, *, prefix: str = "", page_size: int = 1000
    ) -> AsyncIterator[MultipartUploadInfo]:
        """Every multipart upload in progress under ``prefix`` (all pages)."""
        key_marker = id_marker = ""
        while True:
            page = await self.list_multipart_uploads_page(
                bucket,
                prefix=prefix,
                key_marker=key_marker,
                upload_id_marker=id_marker,
                max_uploads=page_size,
            )
            for u in page.uploads:
                yield u
            if not page.is_truncated or page.next_key_marker is None:
                return
            key_marker = page.next_key_marker
            id_marker = page.next_upload_id_marker or ""

    # --- URLs -------------------------------------------------------------------------------

    def object_url(self, bucket: str, key: str) -> str:
        """The unsigned URL of an object (works for public-read objects)."""
        check_bucket(bucket)
        check_key(key)
        base, enc_path, _ = self._url_and_path(bucket, key)
        return base + enc_path

    async def presign_url(
        self,
        method: Literal["GET", "PUT", "POST", "DELETE", "HEAD"] | str,
        bucket: str,
        key: str,
        *,
        expires: int = 3600,
        params: Mapping[str, str | None] | None = None,
        headers: Mapping[str, str] | None = None,
        now: int | None = None,
    ) -> str:
        """A URL that performs ``method`` on the object without credentials until ``expires``
        seconds from now. ``params`` are signed and included; ``headers`` are signed and must be
        sent by whoever uses the URL. The token of temporary credentials is included."""
        check_bucket(bucket)
        check_key(key)
        method = method.upper()
        if not isinstance(expires, int) or not 1 <= expires <= 7 * 86400:
            raise InvalidArgument(f"expires must be 1..604800 seconds, got {expires!r}")
        creds = await self._credentials()
        if creds is None:
            raise InvalidArgument("presigning needs credentials (the client is anonymous)")
        base, enc_path, path = self._url_and_path(bucket, key)
        query: dict[str, str | None] = dict(params or {})
        if creds.token:
            query["x-cos-security-token"] = creds.token
        signed_headers = {"Host": urlsplit(base).netloc, **_extra(headers)}
        auth = self._sign(creds, method, path, query, signed_headers, now=now, expires=expires)
        all_params: dict[str, str | None] = dict(auth.pairs())
        all_params.update(query)
        return f"{base}{enc_path}?{_encode_query(all_params)}"

    async def presign_post(
        self,
        bucket: str,
        key: str,
        *,
        expires: int = 3600,
        content_length_range: tuple[int, int] | None = None,
        fields: Mapping[str, str] | None = None,
        conditions: Iterable[Mapping[str, str] | list[Any]] | None = None,
        now: int | None = None,
    ) -> PresignedPost:
        """A signed form for browser uploads (POST Object) valid for ``expires`` seconds.

        ``key`` may end with ``${filename}`` (replaced by the uploaded file's name): the policy
        then allows any key starting with what precedes it. ``content_length_range=(min, max)``
        bounds the file size in bytes. Every item of ``fields`` (``Content-Type``,
        ``success_action_status``, ``x-cos-meta-*``, ``x-cos-acl``...) is added to the form and
        bound by an exact-match condition; ``conditions`` adds raw policy conditions (``{"field":
        "value"}``, ``["eq", "$field", v]``, ``["starts-with", "$field", prefix]``).
        """
        check_bucket(bucket)
        if not isinstance(key, str) or not key:
            raise InvalidArgument(f"key must be a non-empty string, got {key!r}")
        if not isinstance(expires, int) or not 1 <= expires <= 7 * 86400:
            raise InvalidArgument(f"expires must be 1..604800 seconds, got {expires!r}")
        creds = await self._credentials()
        if creds is None:
            raise InvalidArgument("presigning needs credentials (the client is anonymous)")
        extra = dict(fields or {})
        for name, value in extra.items():
            if not isinstance(name, str) or not isinstance(value, str):
                raise InvalidArgument(f"form fields must be strings: {name!r}={value!r}")
            if name.lower() in _POST_RESERVED or name.lower().startswith("q-"):
                raise InvalidArgument(f"form field {name!r} is set by presign_post itself")
        t = int(time.time()) if now is None else now
        key_time = f"{t - 60};{t + expires}"
        expiration = _dt.datetime.fromtimestamp(t + expires, _dt.timezone.utc)
        cond: list[Any] = [
            {"q-sign-algorithm": "sha1"},
            {"q-ak": creds.secret_id},
            {"q-sign-time": key_time},
            {"bucket": bucket},
        ]
        if key.endswith("${filename}"):
            cond.append(["starts-with", "$key", key[: -len("${filename}")]])
        else:
            cond.append({"key": key})
        if content_length_range is not None:
            lo, hi = _check_length_range(content_length_range)
            cond.append(["content-length-range", lo, hi])
        cond.extend({name: value} for name, value in extra.items())
        if creds.token:
            cond.append({"x-cos-security-token": creds.token})
        for c in conditions or ():
            cond.append(_check_condition(c))
        policy = {"expiration": expiration.strftime("%Y-%m-%dT%H:%M:%S.000Z"), "conditions": cond}
        policy_json = json.dumps(policy, separators=(",", ":")).encode()
        form = {
            "key": key,
            **extra,
            "policy": base64.b64encode(policy_json).decode(),
            "q-sign-algorithm": "sha1",
            "q-ak": creds.secret_id,
            "q-key-time": key_time,
            "q-signature": _signing.post_policy_signature(
                secret_key=creds.secret_key, key_time=key_time, policy=policy_json
            ),
        }
        if creds.token:
            form["x-cos-security-token"] = creds.token
        base, enc_path, _ = self._url_and_path(bucket, None)
        return PresignedPost(url=base + enc_path, fields=form, expires=expiration, policy=policy)

    async def options_object(
        self,
        bucket: str,
        key: str,
        *,
        origin: str,
        method: str,
        request_headers: Iterable[str] = (),
    ) -> CorsPreflight:
        """Ask COS what a browser would: may ``origin`` send ``method`` with ``request_headers``
        to this object (a CORS preflight, ``OPTIONS``)? A refusal is ``AccessDenied`` (403,
        COS code ``AccessForbidden``)."""
        check_bucket(bucket)
        check_key(key)
        if not isinstance(origin, str) or not origin:
            raise InvalidArgument(f"origin must be a non-empty string, got {origin!r}")
        if not isinstance(method, str) or method.upper() not in (
            "GET",
            "PUT",
            "POST",
            "DELETE",
            "HEAD",
        ):
            raise InvalidArgument(f"method must be GET, PUT, POST, DELETE or HEAD, got {method!r}")
        if isinstance(request_headers, str):
            raise InvalidArgument("request_headers must be a sequence of header names, not a str")
        asked = [h.strip() for h in request_headers]
        if not all(asked):
            raise InvalidArgument(f"request_headers must be non-empty names, got {asked!r}")
        headers = {"Origin": origin, "Access-Control-Request-Method": method.upper()}
        if asked:
            headers["Access-Control-Request-Headers"] = ",".join(asked)
        resp, _ = await self._request("OPTIONS", bucket, key, headers=headers)
        h = resp.headers

        def listed(name: str) -> tuple[str, ...]:
            return tuple(v.strip() for v in (h.get(name) or "").split(",") if v.strip())

        max_age = h.get("Access-Control-Max-Age")
        return CorsPreflight(
            request_id=resp.request_id,
            headers=freeze_headers(h),
            allowed_origin=h.get("Access-Control-Allow-Origin") or "",
            allowed_methods=listed("Access-Control-Allow-Methods"),
            allowed_headers=listed("Access-Control-Allow-Headers"),
            expose_headers=listed("Access-Control-Expose-Headers"),
            max_age=int(max_age) if max_age and max_age.strip().isdigit() else None,
        )

    # --- transfers (implemented in _transfer with the public operations above) ---------------

    async def upload_file(
        self,
        bucket: str,
        key: str,
        path: str | os.PathLike[str],
        *,
        part_size: int | None = None,
        concurrency: int = _transfer.DEFAULT_CONCURRENCY,
        threshold: int | None = None,
        checkpoint: str | os.PathLike[str] | None = None,
        progress: ProgressCallback | None = None,
        content_type: str | None = None,
        content_disposition: str | None = None,
        content_encoding: str | None = None,
        cache_control: str | None = None,
        metadata: Mapping[str, str] | None = None,
        storage_class: StorageClass | str | None = None,
        acl: Literal["default", "private", "public-read"] | None = None,
        tagging: Mapping[str, str] | None = None,
        traffic_limit: int | None = None,
        content_md5: bool = False,
        sse: Literal["AES256", "cos/kms"] | None = None,
        sse_customer_key: bytes | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> _transfer.TransferResult:
        """Upload a file: one PUT up to ``threshold`` (default: the part size), else a concurrent
        multipart upload with ``part_size`` parts (default 16 MiB, grown to stay within 10,000
        parts), every part and the whole object CRC64-checked. With ``checkpoint`` (a file path)
        an interrupted upload resumes without re-sending finished parts; without it a failed or
        cancelled upload is aborted. ``progress`` receives :class:`Progress` reports."""
        check_bucket(bucket)
        check_key(key)
        options: dict[str, Any] = {
            "content_type": content_type
            or mimetypes.guess_type(key)[0]
            or "application/octet-stream",
            "content_disposition": content_disposition,
            "content_encoding": content_encoding,
            "cache_control": cache_control,
            "metadata": metadata,
            "storage_class": storage_class,
            "acl": acl,
            "tagging": tagging,
            "sse": sse,
            "extra_headers": extra_headers,
        }
        return await _transfer.upload_file(
            self,
            bucket,
            key,
            path,
            part_size=part_size,
            concurrency=concurrency,
            threshold=threshold,
            checkpoint=checkpoint,
            progress=progress,
            traffic_limit=traffic_limit,
            content_md5=content_md5,
            sse_customer_key=sse_customer_key,
            object_options={k: v for k, v in options.items() if v is not None},
        )

    async def upload_stream(
        self,
        bucket: str,
        key: str,
        source: IO[bytes] | Iterable[bytes] | AsyncIterable[bytes],
        *,
        part_size: int = 8 * 1024 * 1024,
        concurrency: int = 4,
        progress: ProgressCallback | None = None,
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
        storage_class: StorageClass | str | None = None,
        traffic_limit: int | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> _transfer.TransferResult:
        """Upload a binary file object or a (sync or async) iterable of bytes of unknown length:
        one PUT if it fits in one part, else multipart with at most ``concurrency + 1`` parts in
        memory. A failure aborts the multipart upload."""
        check_bucket(bucket)
        check_key(key)
        options: dict[str, Any] = {
            "content_type": content_type
            or mimetypes.guess_type(key)[0]
            or "application/octet-stream",
            "metadata": metadata,
            "storage_class": storage_class,
            "extra_headers": extra_headers,
        }
        return await _transfer.upload_stream(
            self,
            bucket,
            key,
            source,
            part_size=part_size,
            concurrency=concurrency,
            progress=progress,
            traffic_limit=traffic_limit,
            object_options={k: v for k, v in options.items() if v is not None},
        )

    async def download_file(
        self,
        bucket: str,
        key: str,
        path: str | os.PathLike[str],
        *,
        part_size: int | None = None,
        concurrency: int = _transfer.DEFAULT_CONCURRENCY,
        threshold: int | None = None,
        checkpoint: str | os.PathLike[str] | None = None,
        progress: ProgressCallback | None = None,
        version_id: str | None = None,
        traffic_limit: int | None = None,
        sse_customer_key: bytes | None = None,
        verify_crc: bool = True,
        fsync: bool = False,
    ) -> _transfer.TransferResult:
        """Download to ``path``: concurrent ranged GETs pinned to the object's ETag, written into
        a temporary file beside ``path`` and renamed only once the combined CRC64 matches. An
        object replaced mid-download fails with :class:`IntegrityError` and leaves no file. With
        ``checkpoint`` an interrupted download resumes. ``fsync=True`` flushes the file to disk
        before the rename, so that it also survives a power loss (a crash of the process alone
        never leaves a partial file under ``path``); it costs the time the disk takes."""
        check_bucket(bucket)
        check_key(key)
        return await _transfer.download_file(
            self,
            bucket,
            key,
            path,
            part_size=part_size,
            concurrency=concurrency,
            threshold=threshold,
            checkpoint=checkpoint,
            progress=progress,
            version_id=version_id,
            traffic_limit=traffic_limit,
            sse_customer_key=sse_customer_key,
            verify_crc=verify_crc,
            fsync=fsync,
        )

    async def copy(
        self,
        src_bucket: str,
        src_key: str,
        dst_bucket: str,
        dst_key: str,
        *,
        source_version_id: str | None = None,
        part_size: int | None = None,
        concurrency: int = _transfer.DEFAULT_CONCURRENCY,
        threshold: int = 5 * 1024**3,
        progress: ProgressCallback | None = None,
        metadata_directive: Literal["Copy", "Replaced"] = "Copy",
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
        storage_class: StorageClass | str | None = None,
        traffic_limit: int | None = None,
    ) -> _transfer.TransferResult:
        """Copy an object of any size (``copy_object`` up to 5 GiB, concurrent part copies above);
        metadata is preserved unless ``metadata_directive="Replaced"``."""
        options: dict[str, Any] = {
            "content_type": content_type,
            "metadata": metadata,
            "storage_class": storage_class,
            "traffic_limit": traffic_limit,
        }
        return await _transfer.copy(
            self,
            src_bucket,
            src_key,
            dst_bucket,
            dst_key,
            source_version_id=source_version_id,
            part_size=part_size,
            concurrency=concurrency,
            threshold=threshold,
            progress=progress,
            metadata_directive=metadata_directive,
            object_options={k: v for k, v in options.items() if v is not None},
        )

    async def upload_dir(
        self,
        local_dir: str | os.PathLike[str],
        bucket: str,
        prefix: str = "",
        *,
        concurrency: int = _transfer.DEFAULT_CONCURRENCY,
        part_size: int | None = None,
        progress: ProgressCallback | None = None,
    ) -> _transfer.TransferSummary:
        """Upload every file under ``local_dir`` to ``prefix + relative/path``, concurrently."""
        check_bucket(bucket)
        return await _transfer.upload_dir(
            self,
            local_dir,
            bucket,
            prefix,
            concurrency=concurrency,
            part_size=part_size,
            progress=progress,
        )

    async def download_prefix(
        self,
        bucket: str,
        prefix: str,
        local_dir: str | os.PathLike[str],
        *,
        concurrency: int = _transfer.DEFAULT_CONCURRENCY,
        part_size: int | None = None,
        progress: ProgressCallback | None = None,
    ) -> _transfer.TransferSummary:
        """Download every object under ``prefix`` into ``local_dir``; keys that would land outside
        it are refused before anything is written."""
        check_bucket(bucket)
        return await _transfer.download_prefix(
            self,
            bucket,
            prefix,
            local_dir,
            concurrency=concurrency,
            part_size=part_size,
            progress=progress,
        )

    async def delete_prefix(self, bucket: str, prefix: str) -> _transfer.TransferSummary:
        """Delete every object whose key starts with ``prefix``."""
        check_bucket(bucket)
        return await _transfer.delete_prefix(self, bucket, prefix)


def _acl_doc(grants: list[Grant], owner_id: str | None) -> dict[str, Any]:
    xsi = "http://www.w3.org/2001/XMLSchema-instance"
    out: list[dict[str, Any]] = []
    for g in grants:
        if g.permission not in ("READ", "WRITE", "READ_ACP", "WRITE_ACP", "FULL_CONTROL"):
            raise InvalidArgument(f"unknown ACL permission {g.permission!r}")
        if g.uri and g.id:
            raise InvalidArgument(f"a Grant takes an id or a uri, not both: {g!r}")
        if g.uri:
            grantee: dict[str, Any] = {"@xmlns:xsi": xsi, "@xsi:type": "Group", "URI": g.uri}
        elif g.id:
            if not _GRANTEE_ID.fullmatch(g.id):
                raise InvalidArgument(
                    "a Grant id must look like qcs::cam::uin/<owner uin>:uin/<sub uin> "
                    f"(or qcs::cam::anyone:anyone), got {g.id!r}"
                )
            grantee = {"@xmlns:xsi": xsi, "@xsi:type": "CanonicalUser", "ID": g.id}
        else:
            raise InvalidArgument("each Grant needs an id or a uri")
        out.append({"Grantee": grantee, "Permission": g.permission})
    if owner_id is None:
        # COS needs the Owner element: like the docstrings say, the first grantee that is a user
        owner_id = next((g.id for g in grants if g.id), None)
        if owner_id is None:
            raise InvalidArgument("owner_id is needed when no grant names a user (an id)")
    elif not isinstance(owner_id, str) or not _GRANTEE_ID.fullmatch(owner_id):
        raise InvalidArgument(
            f"owner_id must look like qcs::cam::uin/<owner uin>:uin/<owner uin>, got {owner_id!r}"
        )
    return {"Owner": {"ID": owner_id}, "AccessControlList": {"Grant": out}}


_POST_RESERVED = frozenset({"key", "policy", "file", "x-cos-security-token"})


def _check_length_range(value: object) -> tuple[int, int]:
    if (
        not isinstance(value, tuple)
        or len(value) != 2
        or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)
        or not 0 <= value[0] <= value[1]
    ):
        raise InvalidArgument(
            f"content_length_range must be (min, max) integers with 0 <= min <= max, got {value!r}"
        )
    return value[0], value[1]


def _check_condition(cond: object) -> Any:
    if isinstance(cond, Mapping):
        if len(cond) != 1 or not all(isinstance(v, str) for v in cond.values()):
            raise InvalidArgument(f"a condition mapping has one field and a string: {cond!r}")
        return dict(cond)
    if (
        isinstance(cond, list)
        and len(cond) == 3
        and cond[0] in ("eq", "starts-with")
        and isinstance(cond[1], str)
        and cond[1].startswith("$")
        and isinstance(cond[2], str)
    ):
        return list(cond)
    raise InvalidArgument(
        'a condition is {"field": "value"}, ["eq", "$field", "value"] or '
        f'["starts-with", "$field", "prefix"], got {cond!r}'
    )


_GRANTEE_ID = re.compile(r"qcs::cam::(?:uin/\d+:uin/\d+|anyone:anyone)")
_INVENTORY_ID = re.compile(r"[A-Za-z0-9\-_.]{1,64}")


def _check_inventory_id(inventory_id: object) -> None:
    if not isinstance(inventory_id, str) or not _INVENTORY_ID.fullmatch(inventory_id):
        raise InvalidArgument(
            f"inventory_id must be 1..64 of a-z A-Z 0-9 - _ ., got {inventory_id!r}"
        )


def _check_policy(policy: object) -> dict[str, Any]:
    """A bucket policy as a dict, checked the way COS checks it."""
    if isinstance(policy, str):
        try:
            document = json.loads(policy, parse_constant=_no_json_constant)
        except ValueError as exc:
            raise InvalidArgument(f"policy is not valid JSON: {exc}") from exc
    elif isinstance(policy, Mapping):
        document = dict(policy)
    else:
        raise InvalidArgument(
            f"policy must be a mapping or its JSON text, got {type(policy).__name__}"
        )
    if not isinstance(document, dict):
        raise InvalidArgument("policy must be a JSON object")
    statements = document.get("Statement", document.get("statement"))
    if not isinstance(statements, list) or not statements:
        raise InvalidArgument("policy needs a non-empty Statement list")
    for i, st in enumerate(statements):
        effect = st.get("Effect", st.get("effect")) if isinstance(st, dict) else None
        if not isinstance(effect, str) or effect.lower() not in ("allow", "deny"):
            raise InvalidArgument(f"policy Statement[{i}] needs an Effect of allow or deny")
    try:  # what cannot be JSON (a set, NaN) is refused here, not half-sent
        json.dumps(document, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidArgument(f"policy cannot be written as JSON: {exc}") from exc
    return document


def _no_json_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


class _Observe:
    """The DEBUG log line and the hooks of one request (all its attempts)."""

    __slots__ = ("_bucket", "_client", "_key", "_method", "_url")

    def __init__(
        self,
        client: AsyncCosClient,
        method: str,
        bucket: str | None,
        key: str | None,
        params: Mapping[str, str | None],
    ) -> None:
        self._client = client
        self._method = method
        self._bucket = bucket
        self._key = key
        self._url: str | None = None
        if client._on_request is not None or client._on_response is not None:
            self._url = self.url(params)

    def url(self, params: Mapping[str, str | None]) -> str:
        base, enc_path, _ = self._client._url_and_path(self._bucket, self._key)
        query = _encode_query(params)  # sub-resources and options; signatures go in headers
        return base + enc_path + (f"?{query}" if query else "")

    async def request(self, attempt: int) -> None:
        hook = self._client._on_request
        if hook is not None:
            assert self._url is not None
            event = RequestEvent(
                method=self._method,
                url=self._url,
                bucket=self._bucket,
                key=self._key,
                attempt=attempt,
            )
            result = hook(event)
            if inspect.isawaitable(result):
                await result

    async def response(
        self,
        status: int | None,
        request_id: str | None,
        attempt: int,
        t0: float,
        error: BaseException | None,
        resp: Response | None = None,
    ) -> None:
        hook = self._client._on_response
        debug = log.isEnabledFor(logging.DEBUG)
        if hook is None and not debug:
            return
        duration = time.monotonic() - t0
        if debug:
            host = urlsplit(self._client._url_and_path(self._bucket, None)[0]).netloc
            log.debug(
                "%s %s bucket=%s key=%s status=%s request_id=%s attempt=%d duration=%.3fs%s",
                self._method,
                host,
                self._bucket or "-",
                self._key if self._key is not None else "-",
                status,
                request_id,
                attempt,
                duration,
                f" error={type(error).__name__}" if error is not None else "",
            )
        if hook is not None:
            assert self._url is not None
            event = ResponseEvent(
                method=self._method,
                url=self._url,
                bucket=self._bucket,
                key=self._key,
                attempt=attempt,
                status=status,
                request_id=request_id,
                duration=duration,
                error=error,
            )
            try:
                result = hook(event)
                if inspect.isawaitable(result):
                    await result
            except BaseException:
                if resp is not None:  # a streamed response the caller will now never own
                    resp.close()
                raise
