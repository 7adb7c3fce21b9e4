"""AWS Signature Version 4 as S3 uses it, for the local server's S3 side: parse what a request
carries (an ``Authorization: AWS4-HMAC-SHA256 ...`` header or the ``X-Amz-*`` parameters of a
presigned URL) and compute what it must carry. Pure: no I/O, no clock (times are passed in).

The recipe (AWS, "Signature Version 4 signing process", S3 flavour)::

    CanonicalRequest = Method \\n CanonicalURI \\n CanonicalQuery \\n CanonicalHeaders \\n
                       SignedHeaders \\n PayloadHash
    StringToSign     = "AWS4-HMAC-SHA256" \\n AmzDate \\n Scope \\n hex(SHA256(CanonicalRequest))
    SigningKey       = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), "s3"), "aws4_request")
    Signature        = hex(HMAC(SigningKey, StringToSign))

S3 does not normalise the path: the canonical URI is the path as the client encoded it (each
byte outside ``A-Za-z0-9-._~/`` percent-encoded once). The canonical query is every parameter
(but a presigned URL's ``X-Amz-Signature``) as ``name=value``, both percent-encoded, sorted.
Header values are trimmed and their inner runs of spaces folded to one.

A chunked upload (``STREAMING-AWS4-HMAC-SHA256-PAYLOAD``) signs each chunk, chained from the
request's (seed) signature::

    StringToSign = "AWS4-HMAC-SHA256-PAYLOAD" \\n AmzDate \\n Scope \\n PreviousSignature \\n
                   hex(SHA256("")) \\n hex(SHA256(chunk))

and, with trailing headers (``...-PAYLOAD-TRAILER``), the trailer after the last chunk::

    StringToSign = "AWS4-HMAC-SHA256-TRAILER" \\n AmzDate \\n Scope \\n PreviousSignature \\n
                   hex(SHA256("name:value\\n" for each trailing header))
"""

from __future__ import annotations

import calendar
import hashlib
import hmac
import re
import time
from collections.abc import Iterable, Mapping
from urllib.parse import quote, unquote

import attrs

__all__ = [
    "ALGORITHM",
    "EMPTY_SHA256",
    "MAX_EXPIRES",
    "PAYLOAD_MODES",
    "STREAMING_SIGNED",
    "STREAMING_SIGNED_TRAILER",
    "STREAMING_UNSIGNED_TRAILER",
    "UNSIGNED_PAYLOAD",
    "Credential",
    "SigV4Malformed",
    "SigV4Request",
    "canonical_headers",
    "canonical_query",
    "canonical_request",
    "canonical_uris",
    "chunk_string_to_sign",
    "parse_amz_date",
    "parse_header",
    "parse_query",
    "signature",
    "signing_key",
    "string_to_sign",
    "trailer_string_to_sign",
]

ALGORITHM = "AWS4-HMAC-SHA256"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
STREAMING_SIGNED = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
STREAMING_SIGNED_TRAILER = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
STREAMING_UNSIGNED_TRAILER = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
#: the ``x-amz-content-sha256`` values that are not a hash of the body
PAYLOAD_MODES = frozenset(
    {UNSIGNED_PAYLOAD, STREAMING_SIGNED, STREAMING_SIGNED_TRAILER, STREAMING_UNSIGNED_TRAILER}
)
#: the longest life of a presigned URL (seven days, in seconds)
MAX_EXPIRES = 7 * 24 * 3600

_HEX64 = re.compile(r"[0-9a-f]{64}")
_AMZ_DATE = re.compile(r"([0-9]{8})T([0-9]{6})Z")
_SAFE = "-_.~"
#: the most headers a signature may name (aiohttp reads at most 128 headers anyway)
_MAX_SIGNED_HEADERS = 128


class SigV4Malformed(ValueError):
    """A signature that cannot be read: ``code`` is the S3 error code that answers it."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@attrs.frozen
class Credential:
    """``<access key>/<date>/<region>/<service>/aws4_request``."""

    access_key: str
    date: str
    region: str
    service: str

    @property
    def scope(self) -> str:
        return f"{self.date}/{self.region}/{self.service}/aws4_request"

    @classmethod
    def parse(cls, value: str, code: str) -> Credential:
        parts = value.split("/")
        if len(parts) != 5 or parts[4] != "aws4_request" or not all(parts[:4]):
            raise SigV4Malformed(
                code,
                f"the Credential must be <key>/<YYYYMMDD>/<region>/s3/aws4_request, got {_shown(value)}",
            )
        if not re.fullmatch(r"[0-9]{8}", parts[1]):
            raise SigV4Malformed(code, f"the Credential's date is not YYYYMMDD: {parts[1][:20]!r}")
        return cls(parts[0], parts[1], parts[2], parts[3])


@attrs.frozen
class SigV4Request:
    """What a signed request claims: who signed it, when, which headers, and the signature."""

    credential: Credential
    amz_date: str
    signed_headers: tuple[str, ...]
    signature: str = attrs.field(repr=False)
    presigned: bool
    #: a presigned URL's life in seconds (``None`` for a header signature)
    expires: int | None = None
    #: a presigned URL's ``X-Amz-Security-Token``
    token: str | None = attrs.field(default=None, repr=False)

    @property
    def timestamp(self) -> float:
        return parse_amz_date(self.amz_date)


def _shown(value: str, limit: int = 80) -> str:
    return repr(value if len(value) <= limit else value[:limit] + "...")


def parse_amz_date(value: str) -> float:
    """The Unix time of ``YYYYMMDDTHHMMSSZ`` (``ValueError`` if it is not one)."""
    m = _AMZ_DATE.fullmatch(value)
    if m is None:
        raise ValueError(f"not a YYYYMMDDTHHMMSSZ date: {_shown(value, 40)}")
    return float(calendar.timegm(time.strptime(value, "%Y%m%dT%H%M%SZ")))


def _signed_header_list(value: str, code: str) -> tuple[str, ...]:
    names = tuple(value.split(";"))
    if not value or len(names) > _MAX_SIGNED_HEADERS or not all(names):
        raise SigV4Malformed(code, f"SignedHeaders is malformed: {_shown(value)}")
    if any(n != n.lower() or not n.isascii() for n in names):
        raise SigV4Malformed(code, f"SignedHeaders must be lower-case names: {_shown(value)}")
    if "host" not in names:
        raise SigV4Malformed(code, "the signature must cover the host header")
    return names


def _signature_value(value: str, code: str) -> str:
    if not _HEX64.fullmatch(value):
        raise SigV4Malformed(code, "the Signature must be 64 lower-case hex digits")
    return value


def parse_header(value: str, amz_date: str | None) -> SigV4Request:
    """An ``Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...``
    header, with the request's ``x-amz-date`` (``SigV4Malformed`` when unreadable)."""
    code = "AuthorizationHeaderMalformed"
    algorithm, _, rest = value.strip().partition(" ")
    if algorithm != ALGORITHM:
        raise SigV4Malformed(
            "InvalidRequest",
            "The authorization mechanism you have provided is not supported. "
            f"Please use {ALGORITHM}.",
        )
    fields: dict[str, str] = {}
    for item in rest.split(","):
        name, sep, field = item.strip().partition("=")
        if not sep or name in fields:
            # the field's name only: its value may be the signature
            shown = _shown(name.strip()[:40])
            raise SigV4Malformed(code, f"the authorization header is malformed near {shown}")
        fields[name] = field.strip()
    missing = [f for f in ("Credential", "SignedHeaders", "Signature") if f not in fields]
    if missing:
        raise SigV4Malformed(
            code, f"the authorization header is malformed: no {', '.join(missing)}"
        )
    if amz_date is None:
        raise SigV4Malformed(
            "AccessDenied", "AWS authentication requires a valid Date or x-amz-date header"
        )
    return SigV4Request(
        credential=Credential.parse(fields["Credential"], code),
        amz_date=_checked_date(amz_date, code),
        signed_headers=_signed_header_list(fields["SignedHeaders"], code),
        signature=_signature_value(fields["Signature"], code),
        presigned=False,
    )


def _checked_date(value: str, code: str) -> str:
    try:
        parse_amz_date(value)
    except ValueError as exc:
        raise SigV4Malformed(code, f"X-Amz-Date is malformed: {exc}") from None
    return value


def parse_query(params: Mapping[str, str]) -> SigV4Request:
    """The ``X-Amz-*`` parameters of a presigned URL (names as sent, case-sensitive)."""
    code = "AuthorizationQueryParametersError"
    names = (
        "X-Amz-Algorithm",
        "X-Amz-Credential",
        "X-Amz-Date",
        "X-Amz-Expires",
        "X-Amz-SignedHeaders",
        "X-Amz-Signature",
    )
    missing = [n for n in names if n not in params]
    if missing:
        raise SigV4Malformed(
            code,
            "Query-string authentication version 4 requires the X-Amz-Algorithm, "
            "X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and "
            f"X-Amz-Expires parameters (missing: {', '.join(missing)}).",
        )
    if params["X-Amz-Algorithm"] != ALGORITHM:
        raise SigV4Malformed(code, f"X-Amz-Algorithm only supports {ALGORITHM}")
    expires_text = params["X-Amz-Expires"]
    if not (expires_text.isascii() and expires_text.isdigit() and len(expires_text) <= 10):
        raise SigV4Malformed(code, f"X-Amz-Expires must be a number: {_shown(expires_text, 20)}")
    expires = int(expires_text)
    if expires > MAX_EXPIRES:
        raise SigV4Malformed(
            code,
            f"X-Amz-Expires must be less than a week (in seconds) that is {MAX_EXPIRES}",
        )
    return SigV4Request(
        credential=Credential.parse(params["X-Amz-Credential"], code),
        amz_date=_checked_date(params["X-Amz-Date"], code),
        signed_headers=_signed_header_list(params["X-Amz-SignedHeaders"], code),
        signature=_signature_value(params["X-Amz-Signature"], code),
        presigned=True,
        expires=expires,
        token=params.get("X-Amz-Security-Token"),
    )


def _aws_quote(text: str, safe: str) -> str:
    return quote(text.encode("utf-8", "surrogateescape"), safe=safe)


def canonical_uris(raw_path: str) -> list[str]:
    """The canonical URIs a request's raw path may have been signed as: the path as sent, and
    (when different) the path decoded and encoded again as AWS encodes it."""
    sent = raw_path or "/"
    again = _aws_quote(unquote(sent, errors="surrogateescape"), "/~") or "/"
    return [sent] if again == sent else [sent, again]


def canonical_query(raw_query: str, *, drop: Iterable[str] = ()) -> str:
    """The canonical query string of a raw query (``drop``: names left out, as sent)."""
    dropped = set(drop)
    pairs: list[tuple[str, str]] = []
    for item in raw_query.split("&"):
        if not item:
            continue
        name, _, value = item.partition("=")
        name = unquote(name, errors="surrogateescape")
        if name in dropped:
            continue
        value = unquote(value, errors="surrogateescape")
        pairs.append((_aws_quote(name, _SAFE), _aws_quote(value, _SAFE)))
    pairs.sort()
    return "&".join(f"{n}={v}" for n, v in pairs)


def canonical_headers(values: Mapping[str, list[str]], names: Iterable[str]) -> str:
    """``name:value\\n`` for each signed header (``values``: every value of each header, by
    lower-case name), values trimmed with inner spaces folded, several joined by commas."""
    lines = []
    for name in names:
        joined = ",".join(" ".join(v.split()) for v in values.get(name, ()))
        lines.append(f"{name}:{joined}\n")
    return "".join(lines)


def canonical_request(
    method: str,
    uri: str,
    query: str,
    headers: str,
    signed_headers: Iterable[str],
    payload_hash: str,
) -> str:
    return "\n".join((method, uri, query, headers, ";".join(signed_headers), payload_hash))


def _sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


def string_to_sign(amz_date: str, scope: str, canonical: str) -> str:
    return f"{ALGORITHM}\n{amz_date}\n{scope}\n{_sha256_hex(canonical)}"


def signing_key(secret_key: str, credential: Credential) -> bytes:
    key = ("AWS4" + secret_key).encode("utf-8")
    for part in (credential.date, credential.region, credential.service, "aws4_request"):
        key = hmac.new(key, part.encode("utf-8"), hashlib.sha256).digest()
    return key


def signature(key: bytes, text: str) -> str:
    return hmac.new(key, text.encode("utf-8", "surrogateescape"), hashlib.sha256).hexdigest()


def chunk_string_to_sign(amz_date: str, scope: str, previous: str, chunk_sha256: str) -> str:
    return f"{ALGORITHM}-PAYLOAD\n{amz_date}\n{scope}\n{previous}\n{EMPTY_SHA256}\n{chunk_sha256}"


def trailer_string_to_sign(
    amz_date: str, scope: str, previous: str, trailers: Iterable[tuple[str, str]]
) -> str:
    canonical = "".join(f"{name}:{value}\n" for name, value in trailers)
    return f"{ALGORITHM}-TRAILER\n{amz_date}\n{scope}\n{previous}\n{_sha256_hex(canonical)}"
