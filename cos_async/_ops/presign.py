"""URLs: an object's plain URL, presigned URLs, and signed POST forms for browsers."""

from __future__ import annotations

import base64
import datetime as _dt
import json
from collections.abc import Iterable, Mapping
from typing import Any, Literal
from urllib.parse import urlsplit

from cos_async import _signing
from cos_async._credentials import Credentials
from cos_async._errors import InvalidArgument
from cos_async._image_rules import ImageRule, processing_query
from cos_async._models import PresignedPost, SignedAuthorization
from cos_async._validate import (
    check_bucket,
    check_expires,
    check_header_values,
    check_key,
    encode_query,
)

from ._base import OpsBase

__all__ = ["PresignOps"]


class PresignOps(OpsBase):
    """URLs that need no SDK to use."""

    def object_url(self, bucket: str, key: str) -> str:
        """The unsigned URL of an object (works for public-read objects)."""
        check_bucket(bucket)
        check_key(key)
        return self._engine.endpoint.url(bucket, key)

    async def presign_url(
        self,
        method: Literal["GET", "PUT", "POST", "DELETE", "HEAD"] | str,
        bucket: str,
        key: str | None = None,
        *,
        expires: int = 3600,
        params: Mapping[str, str | None] | None = None,
        headers: Mapping[str, str] | None = None,
        sign_host: bool = True,
        now: int | None = None,
        process: ImageRule | str | None = None,
    ) -> str:
        """A URL that performs ``method`` on the object (or, without ``key``, on the bucket)
        without credentials until ``expires`` seconds from now. ``params`` are signed and
        included; ``headers`` are signed and must be sent by whoever uses the URL. The token of
        temporary credentials is included. ``sign_host=False`` leaves the ``Host`` header out of
        the signature (a URL usable through another host name, e.g. a CDN or proxy).
        ``process`` (an :class:`ImageRule` or its text) adds an image processing rule to the
        query, signed with it: a GET of the URL returns the processed image."""
        method, path, base, enc_path, creds, signed = await self._prepare(
            method, bucket, key, expires, headers, sign_host
        )
        query: dict[str, str | None] = dict(params or {})
        if process is not None:
            if key is None:
                raise InvalidArgument("process applies to an object: give its key")
            if not isinstance(process, ImageRule | str):
                raise InvalidArgument(
                    f"process must be an ImageRule or a rule's text, got {type(process).__name__}"
                )
            query.update(processing_query(process))
        if creds.token:
            query["x-cos-security-token"] = creds.token
        auth = self._engine.sign(creds, method, path, query, signed, now=now, expires=expires)
        all_params: dict[str, str | None] = dict(auth.pairs())
        all_params.update(query)
        return f"{base}{enc_path}?{encode_query(all_params)}"

    async def get_auth(
        self,
        method: Literal["GET", "PUT", "POST", "DELETE", "HEAD"] | str,
        bucket: str,
        key: str | None = None,
        *,
        expires: int = 300,
        params: Mapping[str, str | None] | None = None,
        headers: Mapping[str, str] | None = None,
        sign_host: bool = True,
        now: int | None = None,
    ) -> SignedAuthorization:
        """An ``Authorization`` value for a request someone else sends (a browser or a mobile
        app holding no keys), valid for ``expires`` seconds: ``method`` on the object (or,
        without ``key``, on the bucket), with ``params`` and ``headers`` bound into the
        signature (the request must carry exactly them, e.g. ``{"Content-MD5": ...}`` or
        ``{"x-cos-traffic-limit": "819200"}``). ``sign_host=False`` leaves ``Host`` out. The
        result's :meth:`~SignedAuthorization.as_headers` are the headers to send (with
        ``x-cos-security-token`` for temporary credentials); ``str()`` of it is the
        ``Authorization`` value, as the official SDK's ``get_auth`` returns."""
        method, path, _base, _enc, creds, signed = await self._prepare(
            method, bucket, key, expires, headers, sign_host
        )
        if creds.token:
            signed["x-cos-security-token"] = creds.token
        query = dict(params or {})
        for name, value in query.items():
            if not isinstance(name, str) or (value is not None and not isinstance(value, str)):
                raise InvalidArgument(
                    f"params must map strings to strings, got {name!r}: {value!r}"
                )
        auth = self._engine.sign(creds, method, path, query, signed, now=now, expires=expires)
        return SignedAuthorization(
            authorization=auth.to_header(),
            security_token=creds.token or None,
            host=signed.get("Host"),
        )

    async def _prepare(
        self,
        method: str,
        bucket: str,
        key: str | None,
        expires: int,
        headers: Mapping[str, str] | None,
        sign_host: bool,
    ) -> tuple[str, str, str, str, Credentials, dict[str, str]]:
        """The checked method, signed path, base URL, encoded path, credentials and headers to
        sign of a presigned URL or an Authorization value."""
        check_bucket(bucket)
        if key is not None:
            check_key(key)
        if not isinstance(method, str) or method.upper() not in _METHODS:
            raise InvalidArgument(f"method must be one of {', '.join(_METHODS)}, got {method!r}")
        if not isinstance(sign_host, bool):
            raise InvalidArgument(f"sign_host must be True or False, got {sign_host!r}")
        check_expires(expires)
        engine = self._engine
        creds = await engine.credentials()
        if creds is None:
            raise InvalidArgument("signing needs credentials (the client is anonymous)")
        base, enc_path, path = engine.endpoint.locate(bucket, key)
        signed: dict[str, str] = {}
        for name, value in (headers or {}).items():
            if not isinstance(name, str) or not name:
                raise InvalidArgument(f"header names must be non-empty strings, got {name!r}")
            if name.lower() in ("host", "authorization"):
                raise InvalidArgument(
                    f"the {name} header is made by the signer (Host with sign_host=True); "
                    "leave it out of headers"
                )
            signed[name] = value
        check_header_values(signed)
        if sign_host:
            signed["Host"] = urlsplit(base).netloc
        return method.upper(), path, base, enc_path, creds, signed

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
        check_expires(expires)
        creds = await self._engine.credentials()
        if creds is None:
            raise InvalidArgument("presigning needs credentials (the client is anonymous)")
        extra = dict(fields or {})
        for name, value in extra.items():
            if not isinstance(name, str) or not isinstance(value, str):
                raise InvalidArgument(f"form fields must be strings: {name!r}={value!r}")
            if name.lower() in _POST_RESERVED or name.lower().startswith("q-"):
                raise InvalidArgument(f"form field {name!r} is set by presign_post itself")
        t = int(self._engine.wall_clock()) if now is None else now
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
        base, enc_path, _ = self._engine.endpoint.locate(bucket, None)
        return PresignedPost(url=base + enc_path, fields=form, expires=expiration, policy=policy)


_METHODS = ("GET", "PUT", "POST", "DELETE", "HEAD")
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
