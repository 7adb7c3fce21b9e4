"""The local server's S3 side: requests signed with AWS Signature Version 4 (boto3, aioboto3,
s3fs, obstore...) with the same key pairs as COS signatures, answered by the same handlers.

An S3 request is one with an ``Authorization: AWS4-HMAC-SHA256 ...`` header, the ``X-Amz-*``
parameters of a presigned URL, or (unsigned) an ``x-amz-content-sha256`` or ``x-amz-date``
header. For it:

* :func:`adopt` (before routing) gives its ``x-amz-*`` headers their COS names (``x-amz-meta-a``
  is ``x-cos-meta-a``, ``x-amz-copy-source`` is ``x-cos-copy-source``...) and S3's values their
  COS spellings (metadata directive ``REPLACE`` is ``Replaced``, ``aws:kms`` is ``cos/kms``,
  ``GLACIER`` is ``ARCHIVE``): :attr:`Ctx.request` becomes a copy of the request with those
  headers, the request as sent stays in :attr:`S3Info.original` for its signature;
* :func:`authenticate` checks the signature (our own SigV4, ``_sigv4``) as S3 does: the access
  key, the credential scope's region (the bucket's) and service, the time (a header signature
  within :data:`~cos_async.testing._auth.CLOCK_SKEW` of the server's clock; a presigned URL
  until ``X-Amz-Date + X-Amz-Expires``), the token of temporary keys, that every ``x-amz-*``
  header is signed; then it puts a checking stream in place of the body (``_s3_bodies``): the
  body's SHA-256 when a hash of it was signed, ``x-amz-checksum-*`` (header or trailer), and an
  ``aws-chunked`` body decoded, each chunk's signature verified;
* :func:`after` keeps a verified ``x-amz-checksum-*`` with the object a PUT stored and echoes
  it; ``_s3_headers`` gives the answer its ``x-amz-*`` headers.

Errors carry S3's codes: ``SignatureDoesNotMatch``, ``InvalidAccessKeyId``,
``AuthorizationHeaderMalformed`` (with ``<Region>``: botocore then re-signs for that region, as
with S3), ``AccessDenied`` "Request has expired", ``RequestTimeTooSkewed``,
``XAmzContentSHA256Mismatch``, ``BadDigest``...
"""

from __future__ import annotations

import hmac
import time
from urllib.parse import quote

from aiohttp import web
from multidict import CIMultiDict

from . import _sigv4 as sigv4
from ._auth import CLOCK_SKEW, check_anonymous
from ._context import CosServerError, Ctx, S3Info, err
from ._operations import Operation
from ._s3_bodies import AwsChunkedPayload, Checksum, ChunkSigner, VerifiedPayload
from ._s3_headers import CHECKSUM_PREFIX
from ._state import AppState, ServerCredential

__all__ = ["adopt", "after", "authenticate", "is_s3_request"]

#: ``x-amz-*`` headers that have no COS name (signing, payload and checksum details)
_NOT_RENAMED = frozenset(
    {
        "x-amz-date",
        "x-amz-content-sha256",
        "x-amz-decoded-content-length",
        "x-amz-trailer",
        "x-amz-security-token",
        "x-amz-user-agent",
        "x-amz-checksum-mode",
        "x-amz-sdk-checksum-algorithm",
        "x-amz-checksum-algorithm",
        "x-amz-checksum-type",
        "x-amz-expected-bucket-owner",
        "x-amz-source-expected-bucket-owner",
        "x-amz-request-payer",
        "x-amz-bucket-region",
        "x-amz-bucket-object-lock-enabled",
        "x-amz-object-ownership",
    }
)
#: S3 values and their COS spellings, per (COS) header name
_VALUES: dict[str, dict[str, str]] = {
    "x-cos-metadata-directive": {"COPY": "Copy", "REPLACE": "Replaced"},
    "x-cos-server-side-encryption": {"aws:kms": "cos/kms"},
    "x-cos-storage-class": {"GLACIER": "ARCHIVE"},
    "x-cos-acl": {"bucket-owner-full-control": "private", "bucket-owner-read": "private"},
}
_RENAMED = {
    "x-amz-server-side-encryption-aws-kms-key-id": "x-cos-server-side-encryption-cos-kms-key-id",
}
_S3_ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
_COS_ALL_USERS = "http://cam.qcloud.com/groups/global/AllUsers"
#: the longest ``x-amz-decoded-content-length`` read (digits)
_MAX_LENGTH_DIGITS = 19
#: the longest canonical request or string to sign quoted in an error
_MAX_QUOTED = 4096


def is_s3_request(ctx: Ctx) -> bool:
    """Whether ``ctx`` is an S3 request (a SigV4/SigV2 signature, or unsigned S3 headers)."""
    auth = ctx.request.headers.get("Authorization")
    if auth is not None:
        return auth.lstrip().startswith(("AWS4-", "AWS "))
    lp = ctx.lparams
    if "x-amz-algorithm" in lp or "x-amz-signature" in lp or "awsaccesskeyid" in lp:
        return True
    if "q-signature" in lp or "sign" in lp:
        return False
    headers = ctx.request.headers
    return "x-amz-content-sha256" in headers or "x-amz-date" in headers


# --- the request under COS names ----------------------------------------------------------------


def adopt(ctx: Ctx) -> None:
    """Mark ``ctx`` as an S3 request and give its headers their COS names (before routing)."""
    original = ctx.request
    headers: CIMultiDict[str] = CIMultiDict(original.headers)
    renamed: dict[str, str] = {}
    for name, value in original.headers.items():
        low = name.lower()
        if not low.startswith("x-amz-") or low in _NOT_RENAMED:
            continue
        if low.startswith("x-amz-checksum-"):
            continue
        cos = _RENAMED.get(low) or "x-cos-" + low[len("x-amz-") :]
        value = _VALUES.get(cos, {}).get(value.strip(), value)
        if cos == "x-cos-copy-source" and not value.startswith("/"):
            value = "/" + value  # S3 writes "bucket/key"; COS reads "/bucket/key" as path-style
        if cos.startswith("x-cos-grant-"):
            value = value.replace(_S3_ALL_USERS, _COS_ALL_USERS)
        renamed.setdefault(cos, value)
    for cos, value in renamed.items():
        if cos not in headers:
            headers[cos] = value
    _strip_aws_chunked(original, headers)
    if _chunked(original):
        _unchunk(original, headers)
    try:
        ctx.request = original.clone(headers=headers)
    except UnicodeEncodeError:  # header bytes that are not UTF-8 (aiohttp keeps them escaped)
        raise err(400, "InvalidArgument", "a request header is not valid UTF-8") from None
    ctx.s3 = S3Info(original=original)


def _chunked(request: web.BaseRequest) -> bool:
    mode = request.headers.get("x-amz-content-sha256", "")
    return mode.startswith("STREAMING-")


def _strip_aws_chunked(original: web.BaseRequest, headers: CIMultiDict[str]) -> None:
    """``aws-chunked`` is how the body was sent, never what is stored (S3 drops it from an
    object's ``Content-Encoding``, whatever the payload mode)."""
    sent = original.headers.get("Content-Encoding")
    if sent is None or "aws-chunked" not in sent.lower():
        return
    encodings = [
        e.strip() for e in sent.split(",") if e.strip() and e.strip().lower() != "aws-chunked"
    ]
    headers.popall("Content-Encoding", None)
    if encodings:
        headers["Content-Encoding"] = ", ".join(encodings)


def _unchunk(original: web.BaseRequest, headers: CIMultiDict[str]) -> None:
    """The headers of an ``aws-chunked`` body as the handlers see it decoded: its decoded
    length, no transfer encoding."""
    headers.popall("Transfer-Encoding", None)
    headers.popall("Content-Length", None)
    decoded = _decoded_length(original)
    if decoded is not None:
        headers["Content-Length"] = str(decoded)


def _decoded_length(request: web.BaseRequest) -> int | None:
    text = request.headers.get("x-amz-decoded-content-length")
    if text is None:
        return None
    text = text.strip()
    if not (text.isascii() and text.isdigit() and len(text) <= _MAX_LENGTH_DIGITS):
        raise err(
            400,
            "InvalidArgument",
            f"x-amz-decoded-content-length must be a number, got {text[:40]!r}",
        )
    return int(text)


# --- authentication ------------------------------------------------------------------------


def authenticate(state: AppState, ctx: Ctx) -> None:
    """Check an S3 request's signature and put the checking body stream in place (see the
    module docstring); an unsigned request is anonymous and must be allowed by the ACLs."""
    assert ctx.s3 is not None
    original = ctx.s3.original
    header = original.headers.get("Authorization")
    try:
        if header is not None:
            if header.lstrip().startswith("AWS "):
                raise sigv4.SigV4Malformed("InvalidRequest", _V2_UNSUPPORTED)
            signed = sigv4.parse_header(header, _amz_date(original))
        elif "X-Amz-Algorithm" in ctx.params or "X-Amz-Signature" in ctx.params:
            signed = sigv4.parse_query(ctx.params)
        elif "awsaccesskeyid" in ctx.lparams:
            raise sigv4.SigV4Malformed("InvalidRequest", _V2_UNSUPPORTED)
        else:
            ctx.anonymous = True
            check_anonymous(state, ctx)
            _install_payload(ctx, _payload_mode(original, presigned=False), None, None)
            return
    except sigv4.SigV4Malformed as exc:
        status = 403 if exc.code == "AccessDenied" else 400
        raise err(status, exc.code, exc.message) from None
    cred = state.credentials.get(signed.credential.access_key)
    if cred is None:
        raise err(
            403,
            "InvalidAccessKeyId",
            "The AWS Access Key Id you provided does not exist in our records.",
        )
    _check_scope(state, ctx, signed)
    _check_time(state, signed)
    mode = _payload_mode(original, presigned=signed.presigned)
    key = sigv4.signing_key(cred.secret_key, signed.credential)
    _check_signature(ctx, signed, key, mode)
    _check_token(original, signed, cred)
    _check_signed_headers(original, signed)
    _install_payload(ctx, mode, signed, key)


_V2_UNSUPPORTED = (
    f"The authorization mechanism you have provided is not supported. Please use {sigv4.ALGORITHM}."
)


def _amz_date(request: web.BaseRequest) -> str | None:
    value = request.headers.get("x-amz-date")
    if value is not None:
        return value.strip()
    date = request.headers.get("Date")
    if date is None:
        return None
    from email.utils import parsedate_to_datetime

    try:
        ts = parsedate_to_datetime(date).timestamp()
    except (TypeError, ValueError, IndexError):
        return None
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(ts))


def _check_scope(state: AppState, ctx: Ctx, signed: sigv4.SigV4Request) -> None:
    cred = signed.credential
    code = (
        "AuthorizationQueryParametersError" if signed.presigned else "AuthorizationHeaderMalformed"
    )
    bucket = state.store.buckets.get(ctx.bucket) if ctx.bucket is not None else None
    expected = bucket.region if bucket is not None else state.region
    if cred.region != expected:
        what = (
            "Error parsing the X-Amz-Credential parameter"
            if signed.presigned
            else ("The authorization header is malformed")
        )
        raise CosServerError(
            400,
            code,
            f"{what}; the region '{cred.region[:64]}' is wrong; expecting '{expected}'",
            {"x-amz-bucket-region": expected},
            fields={"Region": expected},
        )
    if cred.service != "s3":
        raise err(
            400,
            code,
            f"The credential is for the service '{cred.service[:64]}'; this endpoint is 's3'.",
        )
    if cred.date != signed.amz_date[:8]:
        raise err(
            400,
            code,
            f"Invalid credential date '{cred.date}': it is not the date of X-Amz-Date "
            f"({signed.amz_date}).",
        )


def _check_time(state: AppState, signed: sigv4.SigV4Request) -> None:
    now = state.clock()
    at = signed.timestamp
    if signed.presigned:
        assert signed.expires is not None
        if at > now + CLOCK_SKEW:
            raise err(403, "AccessDenied", "Request is not valid yet")
        if now > at + signed.expires:
            raise CosServerError(
                403,
                "AccessDenied",
                "Request has expired",
                fields={
                    "X-Amz-Expires": str(signed.expires),
                    "Expires": time.strftime(
                        "%Y-%m-%dT%H:%M:%SZ", time.gmtime(at + signed.expires)
                    ),
                    "ServerTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)),
                },
            )
    elif abs(now - at) > CLOCK_SKEW:
        raise err(
            403,
            "RequestTimeTooSkewed",
            "The difference between the request time and the current time is too large.",
        )


def _payload_mode(request: web.BaseRequest, *, presigned: bool) -> str:
    value = request.headers.get("x-amz-content-sha256")
    if value is None:
        if presigned or "Authorization" not in request.headers:
            return sigv4.UNSIGNED_PAYLOAD
        raise err(
            400, "InvalidRequest", "Missing required header for this request: x-amz-content-sha256"
        )
    value = value.strip()
    if value in sigv4.PAYLOAD_MODES or (len(value) == 64 and _is_hex(value)):
        if presigned and value.startswith("STREAMING-"):
            raise err(400, "InvalidRequest", "a presigned URL cannot carry an aws-chunked body")
        return value
    raise err(
        400,
        "InvalidArgument",
        "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, "
        "STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER or a "
        f"valid sha256 value, got {value[:70]!r}",
    )


def _is_hex(text: str) -> bool:
    return all(c in "0123456789abcdef" for c in text)


def _check_signature(ctx: Ctx, signed: sigv4.SigV4Request, key: bytes, mode: str) -> None:
    original = ctx.s3.original if ctx.s3 is not None else ctx.request
    raw_path, _, raw_query = original.raw_path.partition("?")
    query = sigv4.canonical_query(raw_query, drop=("X-Amz-Signature",) if signed.presigned else ())
    values = {name: original.headers.getall(name, []) for name in signed.signed_headers}
    headers = sigv4.canonical_headers(values, signed.signed_headers)
    scope = signed.credential.scope
    first: tuple[str, str] | None = None
    for uri in sigv4.canonical_uris(raw_path):
        canonical = sigv4.canonical_request(
            ctx.method, uri, query, headers, signed.signed_headers, mode
        )
        text = sigv4.string_to_sign(signed.amz_date, scope, canonical)
        if hmac.compare_digest(sigv4.signature(key, text), signed.signature):
            return
        first = first or (canonical, text)
    assert first is not None
    canonical, text = (_redacted(original, signed, x) for x in first)
    raise CosServerError(
        403,
        "SignatureDoesNotMatch",
        "The request signature we calculated does not match the signature you provided. "
        "Check your key and signing method.",
        fields={
            "AWSAccessKeyId": signed.credential.access_key,
            "StringToSign": text[:_MAX_QUOTED],
            "CanonicalRequest": canonical[:_MAX_QUOTED],
        },
    )


def _redacted(original: web.BaseRequest, signed: sigv4.SigV4Request, text: str) -> str:
    """``text`` (a canonical request quoted in an error) without the security token."""
    token = signed.token if signed.presigned else original.headers.get("x-amz-security-token")
    if token:
        for form in {token, quote(token, safe="-_.~")}:
            text = text.replace(form, "<token>")
    return text


def _check_token(
    original: web.BaseRequest, signed: sigv4.SigV4Request, cred: ServerCredential
) -> None:
    given = signed.token if signed.presigned else original.headers.get("x-amz-security-token")
    if cred.token is None and given is None:
        return
    if cred.token is None or given is None or not hmac.compare_digest(given, cred.token):
        raise err(403, "InvalidToken", "The provided token is malformed or otherwise invalid.")


def _check_signed_headers(original: web.BaseRequest, signed: sigv4.SigV4Request) -> None:
    """Every ``x-amz-*`` header must be signed (but a presigned URL's payload mode), so that
    a signature authorises the request it was made for and no other (an ACL, a copy source)."""
    covered = set(signed.signed_headers)
    unsigned = sorted(
        {
            name.lower()
            for name in original.headers
            if name.lower().startswith("x-amz-")
            and name.lower() not in covered
            and not (signed.presigned and name.lower() == "x-amz-content-sha256")
        }
    )
    if unsigned:
        raise CosServerError(
            403,
            "AccessDenied",
            "There were headers present in the request which were not signed",
            fields={"HeadersNotSigned": ", ".join(unsigned)[:_MAX_QUOTED]},
        )


def _install_payload(
    ctx: Ctx, mode: str, signed: sigv4.SigV4Request | None, key: bytes | None
) -> None:
    """Put the stream that checks the body in place of the request's payload."""
    assert ctx.s3 is not None
    original = ctx.s3.original
    checksum = _checksum(original, mode)
    raw = original.content
    if mode.startswith("STREAMING-"):
        signer = None
        if mode != sigv4.STREAMING_UNSIGNED_TRAILER:
            if signed is None or key is None:
                raise err(403, "AccessDenied", "signed aws-chunked bodies need a signed request")
            signer = ChunkSigner(key, signed.amz_date, signed.credential.scope, signed.signature)
        payload: AwsChunkedPayload | VerifiedPayload = AwsChunkedPayload(
            raw,
            mode=mode,
            signer=signer,
            decoded_length=_decoded_length(original),
            checksum=checksum,
        )
    else:
        sha = mode if mode != sigv4.UNSIGNED_PAYLOAD else None
        if sha is None and checksum is None:
            return
        if not original.body_exists and sha is not None and sha != sigv4.EMPTY_SHA256:
            raise err(
                400,
                "XAmzContentSHA256Mismatch",
                "The provided 'x-amz-content-sha256' header does not match what was computed.",
            )
        payload = VerifiedPayload(raw, sha, checksum)
    ctx.s3.payload = payload
    ctx.request._payload = payload  # type: ignore[assignment]


def _checksum(original: web.BaseRequest, mode: str) -> Checksum | None:
    """The ``x-amz-checksum-*`` the body must match: named by ``x-amz-trailer`` (its value
    follows the body) or sent as a header."""
    if mode in (sigv4.STREAMING_SIGNED_TRAILER, sigv4.STREAMING_UNSIGNED_TRAILER):
        trailer = (original.headers.get("x-amz-trailer") or "").strip().lower()
        if not trailer.startswith("x-amz-checksum-"):
            raise err(
                400,
                "InvalidRequest",
                f"x-amz-trailer must name an x-amz-checksum-* header, got {trailer[:60]!r}",
            )
        return Checksum(trailer[len("x-amz-checksum-") :], None)
    found = [
        (name.lower(), value)
        for name, value in original.headers.items()
        if name.lower().startswith("x-amz-checksum-")
        and name.lower() not in ("x-amz-checksum-mode", "x-amz-checksum-type")
        and name.lower() != "x-amz-checksum-algorithm"
    ]
    if not found:
        return None
    if len(found) > 1:
        raise err(400, "InvalidRequest", "Expecting a single x-amz-checksum- header.")
    name, value = found[0]
    return Checksum(name[len("x-amz-checksum-") :], value)


# --- after the handler ----------------------------------------------------------------------


def after(state: AppState, ctx: Ctx, resp: web.StreamResponse) -> None:
    """Keep the verified ``x-amz-checksum-*`` of a stored upload with the object (answered to
    GETs that ask for it) and echo it, as S3 does."""
    info = ctx.s3
    if info is None or resp.status != 200 or resp.prepared:
        return
    payload = info.payload
    checksum = getattr(payload, "checksum", None)
    if checksum is None or not payload.is_eof() or checksum.expected is None:
        return
    info.checksum = (checksum.header, checksum.expected)
    resp.headers[checksum.header] = checksum.expected
    if ctx.operation is Operation.PutObject and ctx.bucket is not None and ctx.key is not None:
        bucket = state.store.buckets.get(ctx.bucket)
        current = bucket.current(ctx.key) if bucket is not None else None
        if bucket is not None and current is not None and not current.delete_marker:
            current.headers[CHECKSUM_PREFIX + checksum.algorithm] = checksum.expected
            state.store.persist_key(bucket, ctx.key)
