"""The S3 names of the local server's response headers: what an S3 client (boto3, s3fs, obstore)
reads where the COS answer says ``x-cos-*``.

Every ``x-cos-<name>`` header of an answer to an S3 request is also sent as ``x-amz-<name>``
(``x-cos-request-id`` as ``x-amz-request-id``, ``x-cos-meta-a`` as ``x-amz-meta-a``,
``x-cos-version-id`` as ``x-amz-version-id``...), but ``x-cos-trace-id``, which becomes
``x-amz-id-2``, and the COS-only CRC-64, which keeps its one name. Encryption by KMS is
``aws:kms`` to S3 (``cos/kms`` to COS). A stored ``x-amz-checksum-*`` value is answered only
where S3 answers it: to a whole-object GET or HEAD that asked for it (``x-amz-checksum-mode:
ENABLED``), since a client verifies the body it reads against it.
"""

from __future__ import annotations

from aiohttp import web

from ._context import Ctx
from ._operations import Operation

__all__ = ["CHECKSUM_PREFIX", "s3_response_headers"]

#: how a verified ``x-amz-checksum-<algorithm>`` is kept with an object (``_s3``)
CHECKSUM_PREFIX = "x-cos-checksum-"

_RENAMED = {
    "x-cos-trace-id": "x-amz-id-2",
    "x-cos-server-side-encryption-cos-kms-key-id": "x-amz-server-side-encryption-aws-kms-key-id",
}
_KEPT = frozenset({"x-cos-hash-crc64ecma"})
_CHECKSUMMED = frozenset({Operation.GetObject, Operation.HeadObject})


def s3_response_headers(ctx: Ctx, resp: web.StreamResponse) -> None:
    """Give the answer to an S3 request its ``x-amz-*`` headers (before its head is sent)."""
    if ctx.s3 is None or resp.prepared:
        return
    headers = resp.headers
    added: dict[str, str] = {}
    checksums = (
        resp.status == 200
        and getattr(ctx, "operation", None) in _CHECKSUMMED
        and (ctx.s3.original.headers.get("x-amz-checksum-mode") or "").upper() == "ENABLED"
    )
    for name, value in headers.items():
        low = name.lower()
        if not low.startswith("x-cos-") or low in _KEPT:
            continue
        if low.startswith(CHECKSUM_PREFIX):
            if checksums:
                added["x-amz-checksum-" + low[len(CHECKSUM_PREFIX) :]] = value
            continue
        amz = _RENAMED.get(low) or "x-amz-" + low[len("x-cos-") :]
        if low == "x-cos-server-side-encryption" and value == "cos/kms":
            value = "aws:kms"
        added[amz] = value
    for name, value in added.items():
        if name not in headers:
            headers[name] = value
