"""Authentication of the local COS server: COS signatures (an ``Authorization`` header, or the
``q-*``/``sign`` parameters of a presigned URL), security tokens, and what anonymous requests may
do under the bucket's and the object's ACLs."""

from __future__ import annotations

import secrets

from cos_async import _signing

from ._acl import acl_allows
from ._context import Ctx, err, strip_port
from ._operations import Operation
from ._state import AppState

__all__ = ["CLOCK_SKEW", "authenticate"]

#: how far (seconds) a signature's start time may lie in the server's future
CLOCK_SKEW = 900

_O = Operation
#: what a public-read bucket lets anyone do to it
_BUCKET_READS = frozenset({_O.GetBucket, _O.HeadBucket})
#: what a public-read-write bucket lets anyone do to its objects
_BUCKET_WRITES = frozenset(
    {
        _O.PutObject,
        _O.DeleteObject,
        _O.InitiateMultipartUpload,
        _O.UploadPart,
        _O.CompleteMultipartUpload,
        _O.AbortMultipartUpload,
        _O.AppendObject,
    }
)


def authenticate(state: AppState, ctx: Ctx) -> None:
    """Check the request's signature (403 with COS's code when it fails); an unsigned request is
    anonymous and must be allowed by the ACLs."""
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
        raise err(403, "AccessDenied", f"malformed authorization: {exc}") from exc
    if auth is None:
        ctx.anonymous = True
        _check_anonymous(state, ctx)
        return
    cred = state.credentials.get(auth.access_key)
    if cred is None:
        raise err(403, "InvalidAccessKeyId", "The access key Id format you provided is invalid.")
    now = state.clock()
    for start, end in (auth.sign_time, auth.key_time):
        if end < now:
            raise err(403, "AccessDenied", "Request has expired")
        if start > now + CLOCK_SKEW:
            raise err(
                403,
                "RequestTimeTooSkewed",
                "The difference between the request time and the server's time is too large.",
            )
    token = ctx.header("x-cos-security-token") or ctx.lparams.get("x-cos-security-token")
    if cred.token is not None:
        if token is None:
            raise err(403, "AccessDenied", "temporary credentials need x-cos-security-token")
        if not secrets.compare_digest(token, cred.token):
            raise err(403, "InvalidAccessKeyId", "The security token is invalid.")
    elif token is not None:
        raise err(403, "InvalidAccessKeyId", "x-cos-security-token sent with a permanent key")
    headers = {_signing._encode(k).lower(): v for k, v in ctx.request.headers.items()}
    params = {
        _signing._encode(k).lower(): v for k, v in ctx.params.items() if not k.startswith("q-")
    }
    host = headers.get("host", "")
    alternatives = [strip_port(host)] if host else []
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
        raise err(
            403,
            "SignatureDoesNotMatch",
            f"The calculated signature does not match the provided one: {exc}",
        ) from exc


def _check_anonymous(state: AppState, ctx: Ctx) -> None:
    denied = err(403, "AccessDenied", "Access Denied.")
    if ctx.bucket is None:
        raise denied
    bucket = state.store.buckets.get(ctx.bucket)
    if bucket is None:
        raise denied
    op = ctx.operation
    if op in (_O.GetObject, _O.HeadObject) and ctx.key is not None:
        current = bucket.current(ctx.key)
        if current is not None and current.acl.canned != "default":
            if acl_allows(current.acl, "READ"):
                return
            raise denied
        if acl_allows(bucket.acl, "READ"):
            return
        raise denied
    if op in _BUCKET_READS and acl_allows(bucket.acl, "READ"):
        return
    if op in _BUCKET_WRITES and acl_allows(bucket.acl, "WRITE"):
        return
    raise denied
