"""A minimal signed raw-HTTP client for testing the local COS server (not the SDK).

It builds requests by hand with aiohttp and signs them with ``cos_async._signing``, so server
tests can send exactly the bytes, headers and signatures they want (including broken ones).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import aiohttp
from multidict import CIMultiDictProxy
from yarl import URL

from cos_async import _signing, _xml


def encode_key(key: str) -> str:
    """Percent-encode a key for the URL path the way the official SDK does."""
    return quote(key.encode("utf-8"), safe="/-_.~").replace("./", ".%2F")


@dataclass
class Reply:
    status: int
    headers: CIMultiDictProxy[str]
    body: bytes

    def xml(self) -> dict[str, Any]:
        return _xml.parse(self.body)

    @property
    def code(self) -> str | None:
        """The COS error code of an error reply (``None`` when the body is no Error document)."""
        if not self.body.strip():
            return None
        doc = _xml.parse(self.body)
        err = doc.get("Error")
        return str(err["Code"]) if isinstance(err, dict) else None


@dataclass
class CosHttp:
    """Signed requests to a local COS server, path-style or virtual-hosted."""

    endpoint: str
    secret_id: str
    secret_key: str
    session: aiohttp.ClientSession
    region: str = "ap-guangzhou"
    token: str | None = None
    virtual_host: bool = False
    extra_signed: dict[str, str] = field(default_factory=dict)

    def host_for(self, bucket: str | None) -> str:
        if self.virtual_host and bucket is not None:
            return f"{bucket}.cos.{self.region}.myqcloud.com"
        return URL(self.endpoint).raw_host or "127.0.0.1"

    def path_for(self, bucket: str | None, key: str | None) -> tuple[str, str]:
        """(encoded URL path, decoded path that is signed)."""
        if self.virtual_host or bucket is None:
            decoded = "/" + (key or "")
        else:
            decoded = f"/{bucket}" + (f"/{key}" if key is not None else "")
        return encode_key(decoded), decoded

    def sign(
        self,
        method: str,
        bucket: str | None,
        key: str | None,
        *,
        params: Mapping[str, str | None] | None = None,
        headers: Mapping[str, str] | None = None,
        start: int | None = None,
        end: int | None = None,
        secret_key: str | None = None,
    ) -> _signing.Authorization:
        _, decoded = self.path_for(bucket, key)
        now = int(time.time())
        signed_headers = {"Host": self.host_for(bucket), **(headers or {})}
        return _signing.sign(
            secret_id=self.secret_id,
            secret_key=secret_key or self.secret_key,
            method=method,
            path=decoded,
            params=params or {},
            headers=signed_headers,
            start=now - 60 if start is None else start,
            end=now + 600 if end is None else end,
        )

    def url(self, bucket: str | None, key: str | None, params: Mapping[str, str | None]) -> URL:
        encoded, _ = self.path_for(bucket, key)
        query = "&".join(
            quote(k, safe="-_.~") + ("" if v is None else "=" + quote(v, safe="-_.~"))
            for k, v in params.items()
        )
        return URL(
            self.endpoint.rstrip("/") + encoded + (f"?{query}" if query else ""), encoded=True
        )

    async def request(
        self,
        method: str,
        bucket: str | None,
        key: str | None = None,
        *,
        params: Mapping[str, str | None] | None = None,
        headers: Mapping[str, str] | None = None,
        data: Any = None,
        signed: bool = True,
        auth: _signing.Authorization | None = None,
        unsigned_headers: Mapping[str, str] | None = None,
    ) -> Reply:
        """Send a request; headers in ``headers`` are signed, ``unsigned_headers`` are not."""
        params = dict(params or {})
        headers = dict(headers or {})
        if self.token is not None:
            headers.setdefault("x-cos-security-token", self.token)
        if isinstance(data, bytes | bytearray):
            headers.setdefault("Content-Length", str(len(data)))
        send_headers = {"Host": self.host_for(bucket), **headers, **(unsigned_headers or {})}
        if signed:
            auth = auth or self.sign(method, bucket, key, params=params, headers=headers)
            send_headers["Authorization"] = auth.to_header()
        async with self.session.request(
            method,
            self.url(bucket, key, params),
            headers=send_headers,
            data=data,
            skip_auto_headers=("Content-Type",),
        ) as resp:
            body = await resp.read()
            return Reply(resp.status, resp.headers, body)

    def presign(
        self,
        method: str,
        bucket: str | None,
        key: str | None,
        *,
        params: Mapping[str, str | None] | None = None,
        expires: int = 300,
        start: int | None = None,
    ) -> URL:
        """A presigned URL (the ``q-*`` fields in the query; the token too, when there is one)."""
        params = dict(params or {})
        if self.token is not None:
            params["x-cos-security-token"] = self.token
        now = int(time.time())
        begin = now - 60 if start is None else start
        auth = self.sign(method, bucket, key, params=params, start=begin, end=begin + 60 + expires)
        return self.url(bucket, key, {**dict(auth.pairs()), **params})
