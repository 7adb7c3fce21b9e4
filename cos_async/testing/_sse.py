"""Server-side encryption as the local COS server models it: the request headers are checked and
remembered (and echoed), the data is stored as sent. SSE-C objects need the same key to be read."""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping

from ._context import Ctx, err
from ._store import ObjectVersion, Upload

__all__ = ["COPY_SOURCE_CUSTOMER", "CUSTOMER", "check_sse_access", "sse_echo", "sse_of_request"]

#: the header prefix of an SSE-C key, and of the copy source's SSE-C key
CUSTOMER = "x-cos-server-side-encryption-customer-"
COPY_SOURCE_CUSTOMER = "x-cos-copy-source-server-side-encryption-customer-"
_ALGORITHMS = ("AES256", "cos/kms", "SM4")


def sse_of_request(ctx: Ctx) -> dict[str, str]:
    """The encryption headers to store with a new object or upload (400 when malformed)."""
    sse: dict[str, str] = {}
    algo = ctx.header("x-cos-server-side-encryption")
    if algo is not None:
        if algo not in _ALGORITHMS:
            raise err(400, "InvalidArgument", f"unsupported x-cos-server-side-encryption {algo!r}")
        sse["x-cos-server-side-encryption"] = algo
        if algo == "cos/kms":
            kid = ctx.header("x-cos-server-side-encryption-cos-kms-key-id")
            sse["x-cos-server-side-encryption-cos-kms-key-id"] = kid or "default-kms-key"
    customer = _customer_key_md5(ctx, CUSTOMER)
    if customer is not None:
        sse["x-cos-server-side-encryption-customer-algorithm"] = "AES256"
        sse["x-cos-server-side-encryption-customer-key-MD5"] = customer
    return sse


def check_sse_access(ctx: Ctx, v: ObjectVersion | Upload, prefix: str = CUSTOMER) -> None:
    """An SSE-C object (or upload) is only read (or added to) with its key."""
    stored = v.sse.get("x-cos-server-side-encryption-customer-key-MD5")
    given = _customer_key_md5(ctx, prefix)
    if stored is None:
        return
    if given is None:
        raise err(400, "InvalidRequest", "The object was stored with SSE-C: send the customer key.")
    if given != stored:
        raise err(403, "AccessDenied", "The SSE-C key does not match the object's key.")


def sse_echo(sse: Mapping[str, str]) -> dict[str, str]:
    """The encryption headers a response about the object carries."""
    return dict(sse)


def _customer_key_md5(ctx: Ctx, prefix: str) -> str | None:
    """The base64 MD5 of the SSE-C key sent with ``prefix`` headers (``None``: none sent)."""
    algo = ctx.header(prefix + "algorithm")
    key = ctx.header(prefix + "key")
    key_md5 = ctx.header(prefix + "key-MD5")
    if algo is None and key is None and key_md5 is None:
        return None
    if algo != "AES256":
        raise err(400, "InvalidArgument", f"{prefix}algorithm must be AES256, got {algo!r}")
    try:
        raw = base64.b64decode(key or "", validate=True)
    except (binascii.Error, ValueError) as exc:
        raise err(400, "InvalidArgument", f"{prefix}key is not base64") from exc
    if len(raw) != 32:
        raise err(400, "InvalidArgument", f"{prefix}key must be 32 bytes, got {len(raw)}")
    digest = base64.b64encode(hashlib.md5(raw).digest()).decode()
    if key_md5 is not None and key_md5 != digest:
        raise err(400, "InvalidArgument", f"{prefix}key-MD5 does not match the key")
    return digest
