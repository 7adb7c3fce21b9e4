"""Where requests go: the URL, the host and the signed path of a request, and the
``x-cos-copy-source`` of a copy, from a :class:`CosConfig` (see its docstring for the endpoint
rules). Pure, but for one flag: after a failed answer that did not come from COS the default
domain may be switched to ``*.tencentcos.cn`` (``RetryConfig.switch_domain``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from urllib.parse import quote, urlsplit

from ._config import CosConfig
from ._validate import encode_key, encode_query

__all__ = ["Endpoint"]

log = logging.getLogger("cos_async")

_SWITCHABLE_HOST = re.compile(r"^[a-z0-9-]+-[0-9]+\.cos\.[a-z0-9-]+\.myqcloud\.com$")


class Endpoint:
    """The addresses of one client's requests."""

    __slots__ = ("_base", "_prefix", "config", "switched")

    def __init__(self, config: CosConfig) -> None:
        self.config = config
        #: whether the default domain was switched to *.tencentcos.cn (see switch_domain)
        self.switched = False
        self._base: str | None = None
        self._prefix = ""
        if config.endpoint_url is not None:
            parts = urlsplit(config.endpoint_url)
            self._base = f"{parts.scheme}://{parts.netloc}"
            self._prefix = parts.path.rstrip("/")

    def host(self, bucket: str | None) -> str:
        """The Host of a request to ``bucket`` (or to the service when ``None``)."""
        cfg = self.config
        host = cfg.bucket_host(bucket) if bucket is not None else cfg.service_host()
        if self.switched and host.endswith(".myqcloud.com"):
            host = host[: -len("myqcloud.com")] + "tencentcos.cn"
        return host

    def locate(
        self,
        bucket: str | None,
        key: str | None,
        *,
        region: str | None = None,
        endpoint: str | None = None,
        service_host: str | None = None,
    ) -> tuple[str, str, str]:
        """(base URL with host, encoded path, decoded path that is signed). ``region`` or
        ``endpoint``: a bucket elsewhere than the client's (the source of a cross-region copy):
        ``<bucket>.<endpoint>``, or the regional domain of ``region``; ``service_host``: another
        COS service (the migration service), ``<service_host>/<bucket>/<key>``. A path-style
        ``endpoint_url`` (one server) ignores them (the caller sends the ``Host``)."""
        key_part = "/" + key if key is not None else "/"
        enc_key = "/" + encode_key(key) if key is not None else "/"
        if self._base is not None:  # path-style: endpoint_url
            prefix = self._prefix
            if bucket is None:
                return self._base, prefix + "/", prefix + "/"
            if key is None:
                return self._base, f"{prefix}/{bucket}/", f"{prefix}/{bucket}/"
            return self._base, f"{prefix}/{bucket}{enc_key}", f"{prefix}/{bucket}{key_part}"
        if service_host is not None:
            bucket_part = f"/{bucket}" if bucket is not None else ""
            return (
                f"{self.config.scheme}://{service_host}",
                bucket_part + enc_key,
                bucket_part + key_part,
            )
        if bucket is not None and (region is not None or endpoint is not None):
            suffix = endpoint if endpoint is not None else self.config.regional_suffix(region)
            return f"{self.config.scheme}://{bucket}.{suffix}", enc_key, key_part
        return f"{self.config.scheme}://{self.host(bucket)}", enc_key, key_part

    def url(
        self,
        bucket: str | None,
        key: str | None,
        params: Mapping[str, str | None] | None = None,
        *,
        service_host: str | None = None,
    ) -> str:
        """The full URL of a request (its query: sub-resources and options, never a signature)."""
        base, enc_path, _ = self.locate(bucket, key, service_host=service_host)
        query = encode_query(params) if params else ""
        return base + enc_path + (f"?{query}" if query else "")

    def switch_domain(self, bucket: str | None) -> None:
        """A failed answer did not come from COS (no ``x-cos-request-id``: a hijacking proxy or
        DNS): like the official SDKs, switch the default bucket domain
        (``<bucket>.cos.<region>.myqcloud.com``, never accelerate, custom or path-style
        endpoints) to ``*.tencentcos.cn`` for the retries."""
        cfg = self.config
        host = cfg.bucket_host(bucket) if bucket is not None else ""
        if (
            not self.switched
            and cfg.endpoint_url is None
            and cfg.domain is None
            and cfg.endpoint is None
            and not cfg.accelerate
            and _SWITCHABLE_HOST.match(host)
        ):
            self.switched = True
            log.info("no x-cos-request-id in a failed answer: retrying on *.tencentcos.cn")

    def copy_source(
        self,
        bucket: str,
        key: str,
        version_id: str | None,
        *,
        region: str | None = None,
        endpoint: str | None = None,
    ) -> str:
        """The ``x-cos-copy-source`` of an object: ``<bucket>.<endpoint>/<key>`` with
        ``endpoint``, else ``<bucket>.cos.<region>.<domain>/<key>`` with the source's
        ``region`` (default: the client's; never the accelerate domain, which COS does not take
        as a copy source), or ``<bucket>.<endpoint>`` of a client with a custom ``endpoint``;
        for a path-style ``endpoint_url`` without a region, ``/<bucket>/<key>``."""
        cfg = self.config
        path = encode_key(key)
        if endpoint is not None:
            source = f"{bucket}.{endpoint}/{path}"
        elif region is not None:
            source = f"{bucket}.{cfg.regional_suffix(region)}/{path}"
        elif cfg.endpoint is not None and not _accelerated(cfg):
            source = f"{bucket}.{cfg.endpoint}/{path}"
        elif cfg.region is not None:
            source = f"{bucket}.{cfg.regional_suffix(cfg.region)}/{path}"
        elif cfg.endpoint is not None or cfg.accelerate:  # no region to name: the best we have
            source = f"{bucket}.{cfg.endpoint_suffix()}/{path}"
        else:
            source = f"/{bucket}/{path}"
        if version_id is not None:
            source += f"?versionId={quote(version_id, safe='')}"
        return source


def _accelerated(cfg: CosConfig) -> bool:
    return cfg.accelerate or (cfg.endpoint or "").startswith("cos.accelerate.")
