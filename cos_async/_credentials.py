"""Credentials and credentials providers.

A provider has one coroutine, ``get_credentials()``, called before every request is signed, so
keys can rotate. A configuration without keys, credentials or ``anonymous=True`` uses
:class:`DefaultCredentials` (the environment, else a clear error before any request). Three
providers are provided:

* :class:`StaticCredentials` — fixed ``secret_id`` / ``secret_key`` / ``token``.
* :class:`EnvironmentCredentials` — ``COS_SECRET_ID``, ``COS_SECRET_KEY`` and optional
  ``COS_TOKEN``, read at each call.
* :class:`RefreshingCredentials` — temporary (STS) keys from a user function (sync or async)
  returning :class:`Credentials` with an ``expiration``; refreshed ``refresh_margin`` seconds
  before expiry, once for all concurrent requests.

Secrets never appear in a ``repr``.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import time
from collections.abc import Awaitable, Callable
from typing import Protocol, runtime_checkable

import attrs

from ._errors import CredentialsError

__all__ = [
    "Credentials",
    "CredentialsProvider",
    "DefaultCredentials",
    "EnvironmentCredentials",
    "RefreshingCredentials",
    "StaticCredentials",
]


def _check_key(name: str) -> Callable[[object, attrs.Attribute[str], str], None]:
    def check(_inst: object, _attr: attrs.Attribute[str], value: str) -> None:
        if not isinstance(value, str) or not value:
            raise CredentialsError(f"{name} must be a non-empty string")
        if value != value.strip():
            raise CredentialsError(f"{name} has leading or trailing whitespace")

    return check


def _check_token(_inst: object, _attr: attrs.Attribute[str | None], value: str | None) -> None:
    # A stray newline (a token read from a file) would otherwise fail deep in aiohttp.
    if value is None:
        return
    if not isinstance(value, str) or any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise CredentialsError("token must be a string without control characters")
    if value != value.strip():
        raise CredentialsError("token has leading or trailing whitespace")


@attrs.frozen(kw_only=True, repr=False)
class Credentials:
    """One set of keys. ``expiration`` (epoch seconds) is set for temporary keys."""

    secret_id: str = attrs.field(validator=_check_key("secret_id"))
    secret_key: str = attrs.field(repr=False, validator=_check_key("secret_key"))
    token: str | None = attrs.field(default=None, repr=False, validator=_check_token)
    expiration: float | None = None

    def __repr__(self) -> str:
        token = ", token=<set>" if self.token else ""
        return f"Credentials(secret_id={self.secret_id!r}, secret_key=<hidden>{token})"


@runtime_checkable
class CredentialsProvider(Protocol):
    """Anything with ``async def get_credentials() -> Credentials``."""

    async def get_credentials(self) -> Credentials: ...


@attrs.frozen(repr=False)
class StaticCredentials:
    """Fixed keys."""

    credentials: Credentials

    @classmethod
    def of(cls, secret_id: str, secret_key: str, token: str | None = None) -> StaticCredentials:
        return cls(Credentials(secret_id=secret_id, secret_key=secret_key, token=token))

    async def get_credentials(self) -> Credentials:
        return self.credentials

    def __repr__(self) -> str:
        return f"StaticCredentials({self.credentials!r})"


class EnvironmentCredentials:
    """Keys from ``COS_SECRET_ID`` / ``COS_SECRET_KEY`` / ``COS_TOKEN`` (read at each call)."""

    def __init__(
        self,
        *,
        secret_id_var: str = "COS_SECRET_ID",
        secret_key_var: str = "COS_SECRET_KEY",
        token_var: str = "COS_TOKEN",
    ) -> None:
        self.secret_id_var = secret_id_var
        self.secret_key_var = secret_key_var
        self.token_var = token_var

    async def get_credentials(self) -> Credentials:
        secret_id = os.environ.get(self.secret_id_var)
        secret_key = os.environ.get(self.secret_key_var)
        missing = [
            name
            for name, value in ((self.secret_id_var, secret_id), (self.secret_key_var, secret_key))
            if not value
        ]
        if missing:
            raise CredentialsError(f"environment variable(s) not set: {', '.join(missing)}")
        assert secret_id is not None
        assert secret_key is not None
        return Credentials(
            secret_id=secret_id.strip(),
            secret_key=secret_key.strip(),
            token=os.environ.get(self.token_var, "").strip() or None,
        )

    def __repr__(self) -> str:
        return (
            f"EnvironmentCredentials({self.secret_id_var}, {self.secret_key_var}, {self.token_var})"
        )


class DefaultCredentials:
    """The default chain of a configuration that names no credentials: the environment
    (``COS_SECRET_ID``, ``COS_SECRET_KEY`` and optional ``COS_TOKEN``, the names COS's Python
    documentation uses), read at each request. Without them a request fails before it is sent,
    with a :class:`CredentialsError` that says what to give (unsigned requests only with
    ``CosConfig(anonymous=True)``)."""

    def __init__(self) -> None:
        self._environment = EnvironmentCredentials()

    async def get_credentials(self) -> Credentials:
        env = self._environment
        if not os.environ.get(env.secret_id_var) and not os.environ.get(env.secret_key_var):
            raise CredentialsError(
                "no credentials: the CosConfig has no secret_id/secret_key or credentials, and "
                f"{env.secret_id_var} / {env.secret_key_var} are not set; give keys, or "
                "anonymous=True for unsigned requests (public-read buckets)"
            )
        return await env.get_credentials()

    def __repr__(self) -> str:
        return "DefaultCredentials(environment)"


FetchCredentials = Callable[[], "Credentials | Awaitable[Credentials]"]


class RefreshingCredentials:
    """Temporary keys from ``fetch`` (a sync or async function), refreshed before they expire.

    Concurrent requests share one refresh. A sync ``fetch`` runs in a worker thread so it never
    blocks the event loop. If a refresh fails while the current keys are still valid, those are
    used; once they have expired the failure is raised as :class:`CredentialsError`.
    """

    def __init__(
        self,
        fetch: FetchCredentials,
        *,
        refresh_margin: float = 300.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not refresh_margin >= 0:  # also refuses NaN (which would refresh on every call)
            raise CredentialsError(f"refresh_margin must be >= 0, got {refresh_margin}")
        self._fetch = fetch
        self.refresh_margin = refresh_margin
        self._clock = clock
        self._current: Credentials | None = None
        self._refreshing: asyncio.Future[Credentials] | None = None
        self.refresh_count = 0

    def _fresh(self, creds: Credentials | None) -> bool:
        if creds is None:
            return False
        if creds.expiration is None:
            return True
        return self._clock() < creds.expiration - self.refresh_margin

    def _valid(self, creds: Credentials | None) -> bool:
        if creds is None:
            return False
        return creds.expiration is None or self._clock() < creds.expiration

    async def _do_fetch(self) -> Credentials:
        if inspect.iscoroutinefunction(self._fetch):
            result = await self._fetch()
        else:
            result = await asyncio.to_thread(self._fetch)
            if inspect.isawaitable(result):
                result = await result
        if not isinstance(result, Credentials):
            raise CredentialsError(
                f"the credentials function returned {type(result).__name__}, not Credentials"
            )
        return result

    async def get_credentials(self) -> Credentials:
        if self._fresh(self._current):
            assert self._current is not None
            return self._current
        if self._refreshing is None or self._refreshing.done():
            self._refreshing = asyncio.ensure_future(self._refresh())
        try:
            return await asyncio.shield(self._refreshing)
        except CredentialsError:
            raise
        except Exception as exc:
            raise CredentialsError(f"refreshing credentials failed: {exc!r}") from exc

    async def _refresh(self) -> Credentials:
        try:
            creds = await self._do_fetch()
        except Exception:
            if self._valid(self._current):
                assert self._current is not None
                return self._current
            raise
        self.refresh_count += 1
        self._current = creds
        return creds

    def __repr__(self) -> str:
        return f"RefreshingCredentials(refresh_margin={self.refresh_margin})"
