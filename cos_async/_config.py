"""Client configuration: frozen attrs classes validated at construction (errors name the value).

Endpoints (first match wins):

* ``endpoint_url="http://127.0.0.1:9000"`` — a local server or any custom endpoint, path-style:
  ``{endpoint_url}/{bucket}/{key}``.
* ``domain="files.example.com"`` — a custom domain bound to one bucket: ``{domain}/{key}``.
* ``endpoint="cos.accelerate.myqcloud.com"`` (or ``accelerate=True``) — ``{bucket}.{endpoint}``.
* otherwise ``{bucket}.cos.{region}.myqcloud.com``; ``domain_suffix="tencentcos.cn"`` selects the
  new domain, ``internal=True`` the internal one (``cos-internal.{region}.tencentcos.cn``).
"""

from __future__ import annotations

import inspect
import re
from typing import Literal
from urllib.parse import urlsplit

import attrs

from ._credentials import (
    Credentials,
    CredentialsProvider,
    DefaultCredentials,
    StaticCredentials,
)
from ._errors import InvalidArgument

__all__ = [
    "DEFAULT_COMPLETE_TIMEOUT",
    "DEFAULT_CONNECT_TIMEOUT",
    "DEFAULT_POOL_SIZE",
    "DEFAULT_POOL_TIMEOUT",
    "DEFAULT_READ_TIMEOUT",
    "DEFAULT_SIGN_EXPIRES",
    "CosConfig",
    "RetryConfig",
]

DEFAULT_CONNECT_TIMEOUT = 10.0
DEFAULT_READ_TIMEOUT = 60.0
#: CompleteMultipartUpload: COS answers at once, then may take minutes to assemble the object.
DEFAULT_COMPLETE_TIMEOUT = 1200.0
DEFAULT_POOL_SIZE = 64
#: How long a request waits for a free connection of the pool before PoolTimeout.
DEFAULT_POOL_TIMEOUT = 60.0
#: Validity of each request's signature, in seconds.
DEFAULT_SIGN_EXPIRES = 900
DEFAULT_USER_AGENT = "cos-async"

_REGION_RE = re.compile(r"^[a-z0-9][a-z0-9-]*[a-z0-9]$")
_HOST_RE = re.compile(r"^[A-Za-z0-9.-]+(:[0-9]{1,5})?$")


def _positive(_inst: object, attr: attrs.Attribute[float], value: float) -> None:
    if not isinstance(value, int | float) or isinstance(value, bool) or not value > 0:
        raise InvalidArgument(f"{attr.name} must be a positive number, got {value!r}")


def _non_negative(_inst: object, attr: attrs.Attribute[float], value: float) -> None:
    if not isinstance(value, int | float) or isinstance(value, bool) or not value >= 0:
        raise InvalidArgument(f"{attr.name} must be >= 0, got {value!r}")


@attrs.frozen(kw_only=True)
class RetryConfig:
    """Retries of failed requests: exponential backoff with full jitter.

    Retried: 5xx answers, 429 / SlowDown, connection errors and timeouts. Never retried: other 4xx,
    and requests whose body is a one-shot stream that has already been (partly) sent. Each attempt
    is signed anew. ``max_attempts`` counts the first try; ``max_elapsed`` caps the total time
    spent (no new attempt starts after it).
    """

    max_attempts: int = attrs.field(default=4)
    base_delay: float = attrs.field(default=0.2, validator=_non_negative)
    max_delay: float = attrs.field(default=10.0, validator=_non_negative)
    max_elapsed: float = attrs.field(default=120.0, validator=_positive)
    #: Switch ``*.myqcloud.com`` to ``*.tencentcos.cn`` for the retry when a failed answer has no
    #: ``x-cos-request-id`` (it did not come from COS: a hijacking proxy or DNS).
    switch_domain: bool = False

    @max_attempts.validator
    def _check_attempts(self, _attr: attrs.Attribute[int], value: int) -> None:
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise InvalidArgument(f"max_attempts must be an integer >= 1, got {value!r}")

    def backoff(self, attempt: int, rand: float) -> float:
        """Delay before attempt ``attempt + 1`` (``attempt`` >= 1), given ``rand`` in [0, 1)."""
        return rand * min(self.max_delay, self.base_delay * 2.0 ** min(attempt - 1, 64))


@attrs.frozen(kw_only=True)
class CosConfig:
    """Everything a client needs; immutable. See the module docstring for endpoint rules."""

    region: str | None = None
    secret_id: str | None = None
    secret_key: str | None = attrs.field(default=None, repr=False)
    token: str | None = attrs.field(default=None, repr=False)
    #: A provider instead of fixed keys (STS refresh, environment, ...).
    credentials: CredentialsProvider | None = None
    #: Send requests unsigned (public-read buckets).
    anonymous: bool = False
    scheme: Literal["http", "https"] = "https"
    endpoint_url: str | None = None
    domain: str | None = None
    endpoint: str | None = None
    accelerate: bool = False
    domain_suffix: Literal["myqcloud.com", "tencentcos.cn"] = "myqcloud.com"
    internal: bool = False
    verify_ssl: bool = True
    connect_timeout: float = attrs.field(default=DEFAULT_CONNECT_TIMEOUT, validator=_positive)
    read_timeout: float = attrs.field(default=DEFAULT_READ_TIMEOUT, validator=_positive)
    complete_timeout: float = attrs.field(default=DEFAULT_COMPLETE_TIMEOUT, validator=_positive)
    retry: RetryConfig = attrs.field(factory=RetryConfig)
    pool_size: int = DEFAULT_POOL_SIZE
    #: seconds a request waits for a free connection (all ``pool_size`` in use) before
    #: :class:`PoolTimeout`
    pool_timeout: float = attrs.field(default=DEFAULT_POOL_TIMEOUT, validator=_positive)
    proxy: str | None = None
    user_agent: str = DEFAULT_USER_AGENT
    sign_expires: int = DEFAULT_SIGN_EXPIRES

    def __attrs_post_init__(self) -> None:
        if self.region is not None and not _REGION_RE.match(self.region):
            raise InvalidArgument(f"region is not a COS region name: {self.region!r}")
        if self.scheme not in ("http", "https"):
            raise InvalidArgument(f"scheme must be 'http' or 'https', got {self.scheme!r}")
        if self.domain_suffix not in ("myqcloud.com", "tencentcos.cn"):
            raise InvalidArgument(
                f"domain_suffix must be 'myqcloud.com' or 'tencentcos.cn', got {self.domain_suffix!r}"
            )
        if self.endpoint_url is not None:
            parts = urlsplit(self.endpoint_url)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise InvalidArgument(
                    f"endpoint_url must look like http://host:port, got {self.endpoint_url!r}"
                )
            if parts.query or parts.fragment:
                raise InvalidArgument(f"endpoint_url must not have a query: {self.endpoint_url!r}")
        for name in ("domain", "endpoint"):
            value = getattr(self, name)
            if value is not None and not _HOST_RE.match(value):
                raise InvalidArgument(f"{name} must be a host name, got {value!r}")
        if (
            self.endpoint_url is None
            and self.domain is None
            and self.endpoint is None
            and not self.accelerate
            and self.region is None
        ):
            raise InvalidArgument("region is required (or endpoint_url, domain or endpoint)")
        if (
            not isinstance(self.pool_size, int)
            or isinstance(self.pool_size, bool)
            or self.pool_size < 1
        ):
            raise InvalidArgument(f"pool_size must be an integer >= 1, got {self.pool_size!r}")
        if (
            not isinstance(self.sign_expires, int)
            or isinstance(self.sign_expires, bool)
            or not 1 <= self.sign_expires <= 7 * 86400
        ):
            raise InvalidArgument(
                f"sign_expires must be 1..604800 seconds, got {self.sign_expires!r}"
            )
        keys_given = self.secret_id is not None or self.secret_key is not None
        if keys_given and (self.secret_id is None or self.secret_key is None):
            raise InvalidArgument("secret_id and secret_key must be given together")
        if self.token is not None and not keys_given:
            raise InvalidArgument("token needs secret_id and secret_key")
        if keys_given and self.credentials is not None:
            raise InvalidArgument("give either secret_id/secret_key or credentials, not both")
        if self.credentials is not None and (
            not isinstance(self.credentials, CredentialsProvider)
            or not inspect.iscoroutinefunction(self.credentials.get_credentials)
        ):
            raise InvalidArgument(
                f"credentials must have an async get_credentials(), got {type(self.credentials).__name__}"
            )
        if keys_given:
            # Validates the keys (non-empty, no surrounding whitespace) now, not at first use.
            assert self.secret_id is not None
            assert self.secret_key is not None
            Credentials(secret_id=self.secret_id, secret_key=self.secret_key, token=self.token)

    # --- derived ---

    def credentials_provider(self) -> CredentialsProvider | None:
        """The provider to sign with: ``None`` (unsigned) only when ``anonymous``; else the
        given keys or provider, or the default chain (the environment, see
        :class:`DefaultCredentials`)."""
        if self.anonymous:
            return None
        if self.credentials is not None:
            return self.credentials
        if self.secret_id is not None and self.secret_key is not None:
            return StaticCredentials.of(self.secret_id, self.secret_key, self.token)
        return DefaultCredentials()

    @property
    def path_style(self) -> bool:
        return self.endpoint_url is not None

    def bucket_host(self, bucket: str) -> str:
        """The Host of requests to ``bucket`` (virtual-hosted unless ``endpoint_url``)."""
        if self.endpoint_url is not None:
            return urlsplit(self.endpoint_url).netloc
        if self.domain is not None:
            return self.domain
        return f"{bucket}.{self.endpoint_suffix()}"

    def endpoint_suffix(self) -> str:
        if self.endpoint is not None:
            return self.endpoint
        if self.accelerate:
            return f"cos.accelerate.{self.domain_suffix}"
        return self.regional_suffix(self.region)

    def regional_suffix(self, region: str | None) -> str:
        """``cos.<region>.<domain suffix>`` (``cos-internal.<region>.tencentcos.cn`` with
        ``internal``): the regional domain of ``region``, which copy sources always name."""
        if self.internal:  # internal domains exist only under tencentcos.cn (official SDK too)
            return f"cos-internal.{region}.tencentcos.cn"
        return f"cos.{region}.{self.domain_suffix}"

    def service_host(self) -> str:
        if self.endpoint_url is not None:
            return urlsplit(self.endpoint_url).netloc
        return f"service.cos.{self.domain_suffix}"

    def base_url(self, bucket: str | None) -> str:
        """Scheme and host (and for path-style the ``/bucket`` prefix) of a request."""
        if self.endpoint_url is not None:
            base = self.endpoint_url.rstrip("/")
            return f"{base}/{bucket}" if bucket is not None else base
        host = self.bucket_host(bucket) if bucket is not None else self.service_host()
        return f"{self.scheme}://{host}"
