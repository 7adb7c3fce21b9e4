"""Authentication of the local COS server: COS signatures (an ``Authorization`` header, or the
``q-*``/``sign`` parameters of a presigned URL), security tokens, and what anonymous requests may
do under the bucket's and the object's ACLs.

A signature covers the parameters and headers its ``q-url-param-list`` and ``q-header-list``
name, and only those. So that it authorises the request it was made for and no other, a
request's parameters that choose what it does or what it acts on (:data:`MUST_SIGN_PARAMETERS`:
every sub-resource, ``versionId``...) and its headers that grant access or choose the operation
(:data:`MUST_SIGN_HEADERS`: ``x-cos-acl``, ``x-cos-grant-*``, ``x-cos-copy-source``) must be
among them: otherwise 403 ``AccessDenied``. COS documents signing exactly these to restrict a
presigned URL ("Generate an upload URL that can only be used for ACL upload: ``Params={'acl':
''}``, carried in the URL and included in the signature, and its value cannot be modified by
users", seeds/003 L167488-L167505); without this rule a presigned PUT of an object, replayed as
``PUT ?acl`` with ``x-cos-acl: public-read``, made a private object public. Clients that sign
every parameter and every ``x-cos-*`` header (the official SDKs, cos-async) are unaffected.
"""

from __future__ import annotations

import secrets

from cos_async import _signing

from ._acl import acl_allows
from ._context import Ctx, err, strip_port
from ._operations import Operation
from ._routes import SUBRESOURCES
from ._state import AppState

__all__ = [
    "CLOCK_SKEW",
    "MUST_SIGN_HEADERS",
    "MUST_SIGN_PARAMETERS",
    "authenticate",
    "check_anonymous",
]

#: Query parameters (lower-case) a signature must cover when a request carries them: the
#: sub-resources, which choose the operation (``?acl``, ``?uploads``, ``?partNumber``...), and the
#: parameters that choose what it acts on (a version, an append position, a configuration id).
#: ``?intelligent-tiering`` is the exception: the official SDK signs only the ``id`` of those
#: requests (it appends the sub-resource to the URL unsigned), and COS takes them.
MUST_SIGN_PARAMETERS: frozenset[str] = (SUBRESOURCES - {"intelligent-tiering"}) | {
    "versionid",
    "position",
    "id",
}
#: Headers (lower-case) a signature must cover when a request carries them: those that grant
#: access (a canned ACL, grants) and the copy source, which turns a PUT into a copy.
MUST_SIGN_HEADERS: frozenset[str] = frozenset(
    {
        "x-cos-acl",
        "x-cos-grant-read",
        "x-cos-grant-write",
        "x-cos-grant-read-acp",
        "x-cos-grant-write-acp",
        "x-cos-grant-full-control",
        "x-cos-copy-source",
    }
)

#: how far (seconds) a signature's start time may lie in the server's future
CLOCK_SKEW = 900

_O = Operation
#: what a public-read bucket lets anyone do to it
_BUCKET_READS = frozenset({_O.GetBucket, _O.ListObjectsV2, _O.HeadBucket})
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
        check_anonymous(state, ctx)
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
    _check_coverage(auth, params, headers)
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


def _check_coverage(
    auth: _signing.Authorization, params: dict[str, str], headers: dict[str, str]
) -> None:
    """403 unless the signature covers every parameter and header that must be signed."""
    signed_params = set(auth.param_list)
    for name in params:
        if name in MUST_SIGN_PARAMETERS and name not in signed_params:
            raise err(
                403,
                "AccessDenied",
                f"The signature does not cover the request parameter {name!r} "
                "(q-url-param-list): it authorises another request.",
            )
    signed_headers = set(auth.header_list)
    for name in headers:
        if name in MUST_SIGN_HEADERS and name not in signed_headers:
            raise err(
                403,
                "AccessDenied",
                f"The signature does not cover the header {name!r} (q-header-list): "
                "it authorises another request.",
            )


def check_anonymous(state: AppState, ctx: Ctx) -> None:
    """403 unless the bucket's and the object's ACLs let anyone do what ``ctx`` asks."""
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
