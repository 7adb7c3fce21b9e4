"""Async fetch, the migration service (``<region>.migration.myqcloud.com``, JSON): ``POST
/<bucket>/`` submits a task that fetches a URL into a key of the bucket; ``GET /<bucket>/<task
id>`` reports it.

The local server never reaches beyond this machine: it fetches only from loopback URLs
(``127.0.0.1``, ``localhost``, ``[::1]``) and refuses any other host with ``400
InvalidArgument``. It runs the fetch before it answers (with no redirects, at most
:data:`MAX_FETCH` bytes), so the task is already ``TASK_SUCCESS`` or ``TASK_FAILED`` when asked;
it does not call the success and failure callback URLs.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import attrs
from aiohttp import web

from cos_async._crc64 import crc64
from cos_async._limits import MAX_KEY_BYTES
from cos_async.testing._bodies import read_small
from cos_async.testing._context import Ctx, err
from cos_async.testing._responses import base_headers
from cos_async.testing._state import AppState
from cos_async.testing._store import Acl, BucketState, ObjectVersion
from cos_async.testing._values import JSONLimitError, load_json

from .common import new_version_id_for

__all__ = [
    "FETCH_TIMEOUT",
    "LOOPBACK_HOSTS",
    "MAX_FETCH",
    "get_async_fetch_task",
    "put_async_fetch_task",
]

#: the hosts the local server fetches from (any other is refused)
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
#: the largest object the local server fetches
MAX_FETCH = 256 * 1024 * 1024
#: seconds a fetch may take in all
FETCH_TIMEOUT = 60.0

_FIELDS = {
    "Url": str,
    "Key": str,
    "MD5": str,
    "OnKeyExist": str,
    "IgnoreSameKey": bool,
    "SuccessCallbackUrl": str,
    "FailureCallbackUrl": str,
}


@attrs.define
class FetchTask:
    """A fetch task as the server keeps it."""

    task_id: str
    status: str = "TASK_RUNNING"
    percent: int = 0
    code: str = ""
    message: str = ""


def _json_response(ctx: Ctx, data: dict[str, Any]) -> web.Response:
    h = base_headers(ctx.request_id)
    h["Content-Type"] = "application/json"
    doc = {"code": 0, "message": "SUCCESS", "request_id": ctx.request_id, "data": data}
    return web.Response(status=200, body=json.dumps(doc).encode(), headers=h)


def _check_url(name: str, value: str, *, fetched: bool) -> None:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise err(400, "InvalidArgument", f"{name} must be an http:// or https:// URL: {value!r}")
    if fetched and parts.hostname.lower() not in LOOPBACK_HOSTS:
        raise err(
            400,
            "InvalidArgument",
            f"the local COS server fetches only from this machine (127.0.0.1, localhost, [::1]), "
            f"not from {parts.hostname!r}: it never reaches the internet",
        )


def _task(body: bytes) -> dict[str, Any]:
    try:
        doc = load_json(body)
    except JSONLimitError as exc:
        raise err(400, "MalformedJSON", f"the fetch task is not JSON: {exc}") from exc
    if not isinstance(doc, dict):
        raise err(400, "MalformedJSON", "the fetch task must be a JSON object")
    for name, value in doc.items():
        kind = _FIELDS.get(name)
        if kind is None:
            raise err(400, "InvalidArgument", f"unknown field of a fetch task: {name!r}")
        if not isinstance(value, kind):
            raise err(
                400, "InvalidArgument", f"{name} must be a {kind.__name__}, got {value!r}"[:300]
            )
    for name in ("Url", "Key"):
        if not doc.get(name):
            raise err(400, "InvalidArgument", f"a fetch task needs {name}")
    key = doc["Key"].removeprefix("/")
    if not key or "\x00" in key or len(key.encode("utf-8", "surrogatepass")) > MAX_KEY_BYTES:
        raise err(400, "InvalidArgument", f"Key must be an object key, got {doc['Key'][:100]!r}")
    doc["Key"] = key
    _check_url("Url", doc["Url"], fetched=True)
    for name in ("SuccessCallbackUrl", "FailureCallbackUrl"):
        if name in doc:
            _check_url(name, doc[name], fetched=False)
    if "MD5" in doc and _md5_hex(doc["MD5"]) is None:
        raise err(400, "InvalidArgument", f"MD5 must be 32 hex digits or base64: {doc['MD5']!r}")
    return doc


def _md5_hex(value: str) -> str | None:
    if len(value) == 32:
        try:
            return bytes.fromhex(value).hex()
        except ValueError:
            return None
    try:
        raw = base64.b64decode(value, validate=True)
    except ValueError:
        return None
    return raw.hex() if len(raw) == 16 else None


async def _download(url: str) -> bytes:
    timeout = aiohttp.ClientTimeout(total=FETCH_TIMEOUT)
    async with (
        aiohttp.ClientSession(timeout=timeout, trust_env=False) as session,
        session.get(url, allow_redirects=False) as resp,
    ):
        if resp.status != 200:
            raise _FetchFailed("SourceError", f"the source answered HTTP {resp.status}")
        if resp.content_length is not None and resp.content_length > MAX_FETCH:
            raise _FetchFailed("EntityTooLarge", f"the source is over {MAX_FETCH} bytes")
        chunks: list[bytes] = []
        size = 0
        async for chunk in resp.content.iter_chunked(1 << 20):
            size += len(chunk)
            if size > MAX_FETCH:
                raise _FetchFailed("EntityTooLarge", f"the source is over {MAX_FETCH} bytes")
            chunks.append(chunk)
        return b"".join(chunks)


class _FetchFailed(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


async def _run(app: AppState, bucket: BucketState, doc: dict[str, Any], task: FetchTask) -> None:
    key = doc["Key"]
    current = bucket.current(key)
    if doc.get("IgnoreSameKey") and current is not None and not current.delete_marker:
        task.status, task.percent, task.message = "TASK_SUCCESS", 100, "the key exists: kept"
        return
    try:
        data = await _download(doc["Url"])
        md5 = hashlib.md5(data).hexdigest()
        if "MD5" in doc and _md5_hex(doc["MD5"]) != md5:
            raise _FetchFailed("BadDigest", "the content fetched does not have the MD5 given")
    except _FetchFailed as exc:
        task.status, task.code, task.message = "TASK_FAILED", exc.code, exc.message
        return
    except (aiohttp.ClientError, TimeoutError) as exc:
        task.status, task.code = "TASK_FAILED", "SourceUnreachable"
        task.message = f"the source could not be fetched: {type(exc).__name__}"
        return
    crc = crc64(data)
    version = ObjectVersion(
        key=key,
        version_id=new_version_id_for(bucket),
        segments=[await app.store.blob_from_bytes(data)] if data else [],
        size=len(data),
        etag=app.etag_for(md5, crc, len(data)),
        crc64=crc,
        last_modified=app.clock(),
        headers={"Content-Type": "application/octet-stream"},
        acl=Acl(canned="default"),
    )
    app.store.put_version(bucket, version)
    task.status, task.percent = "TASK_SUCCESS", 100


async def put_async_fetch_task(app: AppState, ctx: Ctx, bucket: BucketState) -> web.StreamResponse:
    """POST /<bucket>/ on the migration host: check the task, run it, answer its id."""
    doc = _task(await read_small(ctx))
    task = FetchTask(task_id=secrets.token_urlsafe(24))
    app.fetch_tasks[(bucket.name, task.task_id)] = task
    await _run(app, bucket, doc, task)
    return _json_response(ctx, {"taskId": task.task_id})


async def get_async_fetch_task(app: AppState, ctx: Ctx, bucket: BucketState) -> web.StreamResponse:
    """GET /<bucket>/<task id> on the migration host: where the task is."""
    assert ctx.key is not None
    task = app.fetch_tasks.get((bucket.name, ctx.key))
    if task is None:
        raise err(404, "NoSuchTask", f"no fetch task {ctx.key[:100]!r} in this bucket")
    data = {"status": task.status, "percent": task.percent, "code": task.code, "msg": task.message}
    return _json_response(ctx, data)
