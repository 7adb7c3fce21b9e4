"""COS request signatures (``q-sign-algorithm=sha1``): build, parse and verify. Pure: no I/O, no clock.

The recipe, as the official ``qcloud_cos`` signer implements it (see the test vectors in
``tests/unit/test_signing.py``)::

    KeyTime = SignTime = "{start};{end}"                       (epoch seconds)
    SignKey      = hex(HMAC-SHA1(SecretKey, KeyTime))
    HttpString   = "{method.lower()}\\n{path}\\n{params}\\n{headers}\\n"
    StringToSign = "sha1\\n{SignTime}\\n{hex(SHA1(HttpString))}\\n"
    Signature    = hex(HMAC-SHA1(SignKey, StringToSign))

``path`` is the request path *decoded* (``"/" + key`` for virtual-hosted requests). ``params`` and
``headers`` are ``k=v`` pairs joined by ``&``, where ``k = quote(name, safe="-_.~").lower()`` and
``v = quote(value, safe="-_.~")`` (UTF-8), sorted by ``k``. The Authorization value lists the
names that were signed so that the verifier can rebuild the same string.

The token of temporary credentials is sent as the ``x-cos-security-token`` header (which is then
signed like any ``x-cos-*`` header) or, in presigned URLs, as a query parameter that is signed too.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
from collections.abc import Callable, Iterable, Mapping
from urllib.parse import quote

import attrs

__all__ = [
    "SIGNED_HEADER_NAMES",
    "Authorization",
    "SignatureMismatch",
    "canonical",
    "compute_signature",
    "http_string",
    "is_signed_header",
    "post_policy_signature",
    "sign",
    "signing_key",
    "verify",
]

#: Standard headers that are signed when present (besides every ``x-cos-*`` / ``x-ci-*`` header).
SIGNED_HEADER_NAMES = frozenset(
    {
        "cache-control",
        "content-disposition",
        "content-encoding",
        "content-length",
        "content-md5",
        "content-type",
        "expect",
        "expires",
        "host",
        "if-match",
        "if-modified-since",
        "if-none-match",
        "if-unmodified-since",
        "origin",
        "range",
        "transfer-encoding",
        "pic-operations",
    }
)

_SAFE = "-_.~"
_AUTH_FIELDS = (
    "q-sign-algorithm",
    "q-ak",
    "q-sign-time",
    "q-key-time",
    "q-header-list",
    "q-url-param-list",
    "q-signature",
)


def is_signed_header(name: str) -> bool:
    """Whether a header (any case) is signed by default."""
    low = name.lower()
    return low in SIGNED_HEADER_NAMES or low.startswith(("x-cos-", "x-ci-"))


#: text that percent-encoding leaves as it is (most header values, names and keys): no quote()
_PLAIN = re.compile(r"[A-Za-z0-9\-_.~]*")


def _encode(text: str) -> str:
    if _PLAIN.fullmatch(text):
        return text
    return quote(text.encode("utf-8"), safe=_SAFE)


#: encodings of names, and of values that are no secret, repeat from request to request (the
#: host, content types, markers): cached. Values of names with "key" or "token" in them (the
#: security token, SSE-C keys) never enter the cache, so no secret outlives its request.
_encode_cached = functools.lru_cache(maxsize=4096)(_encode)


def _secret_name(name: str) -> bool:
    low = name.lower()
    return "token" in low or "key" in low


def canonical(pairs: Iterable[tuple[str, str | None]]) -> tuple[str, str]:
    """Encode and sort ``(name, value)`` pairs: returns ``("a;b", "a=1&b=2")``.

    Names are percent-encoded then lower-cased; values are percent-encoded (upper-case hex).
    A value of ``None`` (a parameter without value such as ``?uploads``) is encoded as empty.
    """
    encoded = sorted(
        (
            _encode_cached(k).lower(),
            (_encode if _secret_name(k) else _encode_cached)(v or ""),
        )
        for k, v in pairs
    )
    names = ";".join(k for k, _ in encoded)
    joined = "&".join(f"{k}={v}" for k, v in encoded)
    return names, joined


def signing_key(secret_key: str, key_time: str) -> str:
    return hmac.new(secret_key.encode("utf-8"), key_time.encode("utf-8"), hashlib.sha1).hexdigest()


def http_string(method: str, path: str, params: str, headers: str) -> str:
    return f"{method.lower()}\n{path}\n{params}\n{headers}\n"


def compute_signature(
    *,
    secret_key: str,
    key_time: str,
    sign_time: str,
    method: str,
    path: str,
    params: str,
    headers: str,
) -> str:
    """The ``q-signature`` for already canonicalised ``params`` and ``headers`` strings."""
    fmt = http_string(method, path, params, headers)
    digest = hashlib.sha1(fmt.encode("utf-8")).hexdigest()
    to_sign = f"sha1\n{sign_time}\n{digest}\n"
    key = signing_key(secret_key, key_time)
    return hmac.new(key.encode("ascii"), to_sign.encode("utf-8"), hashlib.sha1).hexdigest()


def post_policy_signature(*, secret_key: str, key_time: str, policy: bytes) -> str:
    """The ``q-signature`` of a POST-object form: ``HMAC-SHA1(SignKey, SHA1(policy JSON))``.

    ``policy`` is the JSON text before base64 encoding.
    """
    to_sign = hashlib.sha1(policy).hexdigest()
    key = signing_key(secret_key, key_time)
    return hmac.new(key.encode("ascii"), to_sign.encode("ascii"), hashlib.sha1).hexdigest()


def _parse_window(value: str, field: str) -> tuple[int, int]:
    parts = value.replace("%3B", ";").replace("%3b", ";").split(";")
    if len(parts) != 2 or not all(p.isascii() and p.isdigit() for p in parts):
        raise ValueError(f"malformed {field}: {value!r}")
    start, end = int(parts[0]), int(parts[1])
    if end < start:
        raise ValueError(f"{field} ends before it starts: {value!r}")
    return start, end


@attrs.frozen(kw_only=True)
class Authorization:
    """The fields of a COS Authorization value (header form or presigned-URL query form)."""

    access_key: str
    sign_time: tuple[int, int]
    key_time: tuple[int, int]
    header_list: tuple[str, ...]
    param_list: tuple[str, ...]
    signature: str = attrs.field(repr=False)

    @property
    def sign_time_str(self) -> str:
        return f"{self.sign_time[0]};{self.sign_time[1]}"

    @property
    def key_time_str(self) -> str:
        return f"{self.key_time[0]};{self.key_time[1]}"

    def pairs(self) -> list[tuple[str, str]]:
        """The ``q-*`` fields in their canonical order."""
        return [
            ("q-sign-algorithm", "sha1"),
            ("q-ak", self.access_key),
            ("q-sign-time", self.sign_time_str),
            ("q-key-time", self.key_time_str),
            ("q-header-list", ";".join(self.header_list)),
            ("q-url-param-list", ";".join(self.param_list)),
            ("q-signature", self.signature),
        ]

    def to_header(self) -> str:
        """The ``Authorization`` header value."""
        return "&".join(f"{k}={v}" for k, v in self.pairs())

    @classmethod
    def from_fields(cls, fields: Mapping[str, str]) -> Authorization:
        """Build from the ``q-*`` fields (already decoded); ``ValueError`` when malformed."""
        missing = [f for f in _AUTH_FIELDS if f not in fields]
        if missing:
            raise ValueError(f"authorization lacks {', '.join(missing)}")
        algorithm = fields["q-sign-algorithm"]
        if algorithm.lower() != "sha1":
            raise ValueError(f"unsupported q-sign-algorithm {algorithm!r}")
        signature = fields["q-signature"]
        if len(signature) != 40 or any(c not in "0123456789abcdefABCDEF" for c in signature):
            raise ValueError("malformed q-signature")

        def _names(value: str) -> tuple[str, ...]:
            # Names are encoded then lower-cased, so an upper-case "%3B" can only be a
            # URL-encoded separator (a name ";" appears as "%3b").
            return tuple(n for n in value.replace("%3B", ";").split(";") if n)

        return cls(
            access_key=fields["q-ak"],
            sign_time=_parse_window(fields["q-sign-time"], "q-sign-time"),
            key_time=_parse_window(fields["q-key-time"], "q-key-time"),
            header_list=_names(fields["q-header-list"]),
            param_list=_names(fields["q-url-param-list"]),
            signature=signature.lower(),
        )

    @classmethod
    def parse(cls, value: str) -> Authorization:
        """Parse an ``Authorization`` header value; ``ValueError`` when malformed.

        The value is taken literally: the header and parameter lists hold *encoded* names
        (``%e4%b8%ad``) and are compared as such. Only ``%3B`` (a URL-encoded ``;`` from a
        presigned URL) is read as the separator.
        """
        fields: dict[str, str] = {}
        for item in value.strip().split("&"):
            name, sep, val = item.partition("=")
            if not sep:
                raise ValueError(f"malformed authorization item {name!r}")
            fields[name.strip().lower()] = val.strip()
        return cls.from_fields(fields)


def sign(
    *,
    secret_id: str,
    secret_key: str,
    method: str,
    path: str,
    params: Mapping[str, str | None],
    headers: Mapping[str, str],
    start: int,
    end: int,
    header_filter: Callable[[str], bool] = is_signed_header,
    sign_params: bool = True,
) -> Authorization:
    """Sign a request valid from ``start`` to ``end`` (epoch seconds; the caller supplies the clock).

    ``path`` is the decoded request path (``"/" + key``). Every header for which ``header_filter``
    is true is signed (include ``Host``), and every query parameter unless ``sign_params`` is false.
    """
    if end < start:
        raise ValueError(f"signature window ends before it starts: {start};{end}")
    window = f"{start};{end}"
    header_names, header_str = canonical(
        (k, v.strip()) for k, v in headers.items() if header_filter(k)
    )
    param_names, param_str = canonical(params.items() if sign_params else ())
    sig = compute_signature(
        secret_key=secret_key,
        key_time=window,
        sign_time=window,
        method=method,
        path=path,
        params=param_str,
        headers=header_str,
    )
    return Authorization(
        access_key=secret_id,
        sign_time=(start, end),
        key_time=(start, end),
        header_list=tuple(n for n in header_names.split(";") if n),
        param_list=tuple(n for n in param_names.split(";") if n),
        signature=sig,
    )


class SignatureMismatch(Exception):
    """Raised by :func:`verify`; the message says why (never the expected signature)."""


def verify(
    auth: Authorization,
    *,
    secret_key: str,
    method: str,
    path: str,
    params: Mapping[str, str],
    headers: Mapping[str, str],
    now: int,
    host_alternatives: Iterable[str] = (),
) -> None:
    """Check ``auth`` against a received request; raise :class:`SignatureMismatch` if it fails.

    ``params`` and ``headers`` map the *encoded lower-case* names (as they appear in the lists) to
    the received values. ``host_alternatives`` are other spellings of the Host value to accept
    (a client may sign the host without its port, as the official SDK does).
    Expiry is checked by the caller, which decides which error to answer.
    """
    header_values: list[tuple[str, str]] = []
    for name in auth.header_list:
        if name not in headers:
            raise SignatureMismatch(f"signed header {name!r} is not in the request")
        header_values.append((name, headers[name]))
    param_values: list[tuple[str, str]] = []
    for name in auth.param_list:
        if name not in params:
            raise SignatureMismatch(f"signed parameter {name!r} is not in the request")
        param_values.append((name, params[name]))

    def _joined(pairs: list[tuple[str, str]]) -> str:
        return "&".join(f"{k}={_encode(v)}" for k, v in sorted(pairs))

    param_str = _joined(param_values)
    candidates = [header_values]
    for alt in host_alternatives:
        swapped = [(k, alt if k == "host" else v) for k, v in header_values]
        if swapped != header_values:
            candidates.append(swapped)
    for pairs in candidates:
        expected = compute_signature(
            secret_key=secret_key,
            key_time=auth.key_time_str,
            sign_time=auth.sign_time_str,
            method=method,
            path=path,
            params=param_str,
            headers=_joined(pairs),
        )
        if hmac.compare_digest(expected, auth.signature):
            return
    raise SignatureMismatch("the signature does not match the request")
