"""ListObjectsV2 (GET Bucket with ``list-type=2``): the listing S3 clients use (boto3's
``list_objects_v2`` paginator, s3fs, obstore), paged by an opaque continuation token.

The same page as GET Bucket (``listing.list_page``), started after ``start-after`` or after
where the continuation token says; the token is the page's next marker in URL-safe base64.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from aiohttp import web

from cos_async.testing._context import Ctx, err
from cos_async.testing._responses import xml_response
from cos_async.testing._state import AppState
from cos_async.testing._store import BucketState

from .listing import encoder, encoding_type, list_page, max_param

__all__ = ["list_objects_v2"]

#: the longest continuation token read (a token holds one key: at most 850 bytes of it)
MAX_TOKEN = 4096


def _token(marker: str) -> str:
    return base64.urlsafe_b64encode(marker.encode("utf-8")).decode("ascii")


def _marker_of(token: str) -> str:
    bad = err(400, "InvalidArgument", "The continuation token provided is incorrect")
    if len(token) > MAX_TOKEN:
        raise bad
    try:
        return base64.urlsafe_b64decode(token.encode("ascii")).decode("utf-8")
    except (binascii.Error, ValueError):
        raise bad from None


async def list_objects_v2(app: AppState, ctx: Ctx, bucket: BucketState) -> web.StreamResponse:
    prefix = ctx.get("prefix") or ""
    delimiter = ctx.get("delimiter") or ""
    token = ctx.get("continuation-token")
    start_after = ctx.get("start-after") or ""
    fetch_owner = (ctx.get("fetch-owner") or "").lower() == "true"
    max_keys = max_param(ctx, "max-keys")
    encoding = encoding_type(ctx)
    enc = encoder(encoding)
    marker = _marker_of(token) if token else start_after
    if max_keys == 0:
        contents: list[dict[str, Any]] = []
        prefixes: list[str] = []
        truncated, next_marker = False, ""
    else:
        contents, prefixes, truncated, next_marker = list_page(
            app,
            bucket,
            prefix=prefix,
            delimiter=delimiter,
            marker=marker,
            max_keys=max_keys,
            enc=enc,
        )
    if not fetch_owner:
        for entry in contents:
            entry.pop("Owner", None)
    body: dict[str, Any] = {"Name": bucket.name, "Prefix": enc(prefix)}
    if delimiter:
        body["Delimiter"] = enc(delimiter)
    body["MaxKeys"] = str(max_keys)
    if encoding:
        body["EncodingType"] = encoding
    body["KeyCount"] = str(len(contents) + len(prefixes))
    if token is not None:
        body["ContinuationToken"] = token  # echoed, an empty one too
    if start_after:
        body["StartAfter"] = enc(start_after)
    body["IsTruncated"] = "true" if truncated else "false"
    if truncated:
        body["NextContinuationToken"] = _token(next_marker)
    if contents:
        body["Contents"] = contents
    if prefixes:
        body["CommonPrefixes"] = [{"Prefix": enc(p)} for p in prefixes]
    return xml_response(ctx, "ListBucketResult", body)
