"""Where the benchmarks send their requests: the local COS server, or a bucket given by the user.

A :class:`Target` knows how each client reaches one bucket: the ``cos_async`` configuration, the
official SDK's configuration, and URLs plus signed headers for plain aiohttp requests. Secrets
never go into a child process's command line: child processes get :meth:`Target.to_spec` (no
keys) and read the keys from the environment (``COS_SECRET_ID``, ``COS_SECRET_KEY``, optional
``COS_TOKEN``), or use the local server's well-known test keys.

Addressing: an endpoint whose host is a COS service domain (``https://cos.ap-guangzhou.myqcloud.com``,
or the bucket's own ``https://<bucket>.cos.<region>.myqcloud.com``) is used virtual-hosted, as
real COS expects; any other endpoint (a local server) path-style, ``{endpoint}/{bucket}/{key}``.
The official SDK cannot do path-style: for those it connects to the endpoint's host and port
and sends its usual virtual-hosted ``Host`` header, which the local server accepts.
"""

from __future__ import annotations

import os
import re
import time
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote, urlsplit

if TYPE_CHECKING:
    from cos_async import CosConfig

LOCAL_BUCKET = "bench-1250000000"
_COS_HOST = re.compile(
    r"^(?:(?P<bucket>[a-z0-9-]+-\d+)\.)?(?P<service>cos\.(?P<region>[a-z0-9-]+)\.(?:myqcloud\.com|tencentcos\.cn))$"
)


def _env(name: str) -> str | None:
    value = os.environ.get(name)
    return value if value else None


class Target:
    """One bucket and how to reach it. ``local`` means our own local server (test keys)."""

    def __init__(
        self,
        *,
        endpoint: str,
        bucket: str,
        region: str,
        secret_id: str,
        secret_key: str,
        token: str | None,
        local: bool,
    ) -> None:
        parts = urlsplit(endpoint)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"endpoint must look like http(s)://host[:port], got {endpoint!r}")
        if parts.path.strip("/") or parts.query:
            raise ValueError(f"endpoint must not have a path or query: {endpoint!r}")
        self.scheme = parts.scheme
        self.bucket = bucket
        self.region = region
        self.secret_id = secret_id
        self._secret_key = secret_key
        self.token = token
        self.local = local
        m = _COS_HOST.match(parts.hostname)
        self.virtual_hosted = m is not None and parts.port is None
        if m is not None and self.virtual_hosted:
            self.service_host = m.group("service")  # cos.<region>.myqcloud.com
            self.endpoint = f"{self.scheme}://{self.service_host}"
        else:
            self.service_host = parts.netloc
            self.endpoint = f"{self.scheme}://{parts.netloc}"
        self.hostname = parts.hostname
        self.port = parts.port

    def __repr__(self) -> str:
        return f"Target(endpoint={self.endpoint!r}, bucket={self.bucket!r}, local={self.local})"

    # --- construction -----------------------------------------------------------------------

    @classmethod
    def local_server(cls, endpoint: str, bucket: str = LOCAL_BUCKET) -> Target:
        """The local server started by the benchmark, with its default test keys."""
        from cos_async.testing import DEFAULT_REGION, DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY

        return cls(
            endpoint=endpoint,
            bucket=bucket,
            region=DEFAULT_REGION,
            secret_id=DEFAULT_SECRET_ID,
            secret_key=DEFAULT_SECRET_KEY,
            token=None,
            local=True,
        )

    @classmethod
    def from_environment(cls, endpoint: str, bucket: str) -> Target:
        """A user's bucket; keys from ``COS_SECRET_ID`` / ``COS_SECRET_KEY`` / ``COS_TOKEN``."""
        secret_id, secret_key = _env("COS_SECRET_ID"), _env("COS_SECRET_KEY")
        if secret_id is None or secret_key is None:
            raise ValueError("--endpoint needs COS_SECRET_ID and COS_SECRET_KEY in the environment")
        host = urlsplit(endpoint).hostname or ""
        m = _COS_HOST.match(host)
        region = _env("COS_REGION") or (m.group("region") if m else None)
        if region is None:
            from cos_async.testing import DEFAULT_REGION

            region = DEFAULT_REGION
        return cls(
            endpoint=endpoint,
            bucket=bucket,
            region=region,
            secret_id=secret_id,
            secret_key=secret_key,
            token=_env("COS_TOKEN"),
            local=False,
        )

    def to_spec(self) -> dict[str, Any]:
        """What a child process needs to rebuild this target (no secrets)."""
        return {
            "endpoint": self.endpoint,
            "bucket": self.bucket,
            "region": self.region,
            "local": self.local,
        }

    @classmethod
    def from_spec(cls, spec: dict[str, Any]) -> Target:
        if spec["local"]:
            return cls.local_server(spec["endpoint"], spec["bucket"])
        target = cls.from_environment(spec["endpoint"], spec["bucket"])
        target.region = spec["region"]
        return target

    # --- clients ----------------------------------------------------------------------------

    def cos_config(self, **kwargs: Any) -> CosConfig:
        """The ``cos_async`` / ``cos_sync`` configuration for this bucket."""
        from cos_async import CosConfig

        common: dict[str, Any] = {
            "region": self.region,
            "secret_id": self.secret_id,
            "secret_key": self._secret_key,
            "token": self.token,
            **kwargs,
        }
        if self.virtual_hosted:
            scheme: Literal["http", "https"] = "https" if self.scheme == "https" else "http"
            return CosConfig(scheme=scheme, endpoint=self.service_host, **common)
        return CosConfig(endpoint_url=self.endpoint, **common)

    def official_client(self, pool_size: int = 10) -> Any:
        """An official SDK client (``qcloud_cos.CosS3Client``) for this bucket."""
        from qcloud_cos import CosConfig as OfficialConfig
        from qcloud_cos import CosS3Client

        kwargs: dict[str, Any] = {
            "Region": self.region,
            "SecretId": self.secret_id,
            "SecretKey": self._secret_key,
            "Token": self.token,
            "Scheme": self.scheme,
            "PoolConnections": pool_size,
            "PoolMaxSize": pool_size,
        }
        if self.virtual_hosted:
            kwargs["Endpoint"] = self.service_host
        else:
            # connect to host:port, keep the virtual-hosted Host header (as tests/compat does)
            kwargs.update(
                IP=self.hostname, Port=self.port, ServiceDomain=f"{self.hostname}:{self.port}"
            )
        return CosS3Client(OfficialConfig(**kwargs))

    # --- plain HTTP (the raw aiohttp rows and the parent's clean-up) ---------------------------

    @property
    def host(self) -> str:
        """The ``Host`` of requests to the bucket."""
        return f"{self.bucket}.{self.service_host}" if self.virtual_hosted else self.service_host

    def path(self, key: str) -> str:
        """The decoded request path of ``key`` (what is signed); ``""`` is the bucket itself."""
        return f"/{key}" if self.virtual_hosted else f"/{self.bucket}/{key}"

    def url(self, key: str) -> str:
        return f"{self.scheme}://{self.host}{quote(self.path(key))}"

    def sign(
        self,
        method: str,
        key: str,
        params: dict[str, str | None] | None = None,
        extra: dict[str, str] | None = None,
        *,
        expires: int = 3600,
    ) -> dict[str, str]:
        """Headers for a request, signed as the SDKs sign (``Host``, the given params and the
        ``extra`` headers), valid for ``expires`` seconds: reusable for identical requests."""
        from cos_async import _signing

        now = int(time.time())
        extra = dict(extra or {})
        auth = _signing.sign(
            secret_id=self.secret_id,
            secret_key=self._secret_key,
            method=method,
            path=self.path(key),
            params=params or {},
            # the extra headers are signed too (the local server refuses an unsigned x-cos-acl)
            headers={"Host": self.host, **extra},
            start=now - 60,
            end=now + expires,
        )
        headers = {**extra, "Authorization": auth.to_header()}
        if self.token is not None:
            headers["x-cos-security-token"] = self.token
        return headers
