"""URLs: an object's plain URL, presigned URLs, and signed POST forms for browsers."""

from __future__ import annotations

import base64
import datetime as _dt
import json
from collections.abc import Iterable, Mapping
from typing import Any, Literal
from urllib.parse import urlsplit

from cos_async import _signing
from cos_async._errors import InvalidArgument
from cos_async._models import PresignedPost
from cos_async._options import checked_extra_headers
from cos_async._validate import check_bucket, check_expires, check_key, encode_query

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
        key: str,
        *,
        expires: int = 3600,
        params: Mapping[str, str | None] | None = None,
        headers: Mapping[str, str] | None = None,
        now: int | None = None,
    ) -> str:
        """A URL that performs ``method`` on the object without credentials until ``expires``
        seconds from now. ``params`` are signed and included; ``headers`` are signed and must be
        sent by whoever uses the URL. The token of temporary credentials is included."""
        check_bucket(bucket)
        check_key(key)
        if not isinstance(method, str) or method.upper() not in _METHODS:
            raise InvalidArgument(f"method must be one of {', '.join(_METHODS)}, got {method!r}")
        method = method.upper()
        check_expires(expires)
        engine = self._engine
        creds = await engine.credentials()
        if creds is None:
            raise InvalidArgument("presigning needs credentials (the client is anonymous)")
        base, enc_path, path = engine.endpoint.locate(bucket, key)
        query: dict[str, str | None] = dict(params or {})
        if creds.token:
            query["x-cos-security-token"] = creds.token
        signed_headers = {"Host": urlsplit(base).netloc, **checked_extra_headers(headers)}
        auth = engine.sign(creds, method, path, query, signed_headers, now=now, expires=expires)
        all_params: dict[str, str | None] = dict(auth.pairs())
        all_params.update(query)
        return f"{base}{enc_path}?{encode_query(all_params)}"

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
