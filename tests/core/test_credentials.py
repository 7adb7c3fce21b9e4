"""Credentials, the providers, and temporary keys end to end against the local server."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from cos_async import (
    AccessDenied,
    AsyncCosClient,
    CosConfig,
    Credentials,
    CredentialsError,
    CredentialsProvider,
    EnvironmentCredentials,
    InvalidAccessKeyId,
    RefreshingCredentials,
    SignatureDoesNotMatch,
    StaticCredentials,
)
from cos_async.testing import LocalCosServer, ServerCredential
from tests.seams import record

SECRET_KEY = "SuperSecretKeyValue0123456789abc"
TOKEN = "SessionTokenValue-0123456789"


class FakeClock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def creds(n: int = 1, *, expiration: float | None = None, token: str | None = None) -> Credentials:
    return Credentials(
        secret_id=f"AKID{n}", secret_key=f"key-{n}", token=token, expiration=expiration
    )


# --- Credentials ------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["secret_id", "secret_key"])
@pytest.mark.parametrize("bad", ["", " AKID", "AKID ", "AKID\n", "\t", None, 42])
def test_credentials_validation(field: str, bad: object) -> None:
    kwargs: dict[str, Any] = {"secret_id": "AKID", "secret_key": SECRET_KEY, field: bad}
    with pytest.raises(CredentialsError, match=field):
        Credentials(**kwargs)


@pytest.mark.parametrize(
    "bad", ["Zq9\n", "Zq9\r\nX-Injected: 1", " Zq9", "Zq9 ", "Z\x00q9", "Z\x7fq9", 42]
)
def test_token_validation(bad: object) -> None:
    # A token with a newline used to reach aiohttp and fail there with a bare ValueError.
    with pytest.raises(CredentialsError, match="token") as info:
        Credentials(secret_id="AKID", secret_key=SECRET_KEY, token=bad)  # type: ignore[arg-type]
    assert "Zq9" not in str(info.value)


@pytest.mark.parametrize("token", [None, "", TOKEN, "tok+en/x=="])
def test_token_accepted(token: str | None) -> None:
    assert Credentials(secret_id="AKID", secret_key=SECRET_KEY, token=token).token == token


def test_credentials_errors_do_not_echo_the_secret() -> None:
    with pytest.raises(CredentialsError) as info:
        Credentials(secret_id="AKID", secret_key=f" {SECRET_KEY}")
    assert SECRET_KEY not in str(info.value)


def test_credentials_repr_hides_secret_key_and_token() -> None:
    c = Credentials(secret_id="AKIDvisible", secret_key=SECRET_KEY, token=TOKEN, expiration=5.0)
    for text in (repr(c), str(c), f"{c}", f"{c!r}"):
        assert "AKIDvisible" in text
        assert SECRET_KEY not in text
        assert TOKEN not in text
    assert "token=<set>" in repr(c)
    assert "token" not in repr(Credentials(secret_id="AKID", secret_key=SECRET_KEY))


def test_credentials_are_frozen_values() -> None:
    c = Credentials(secret_id="AKID", secret_key=SECRET_KEY)
    assert c == Credentials(secret_id="AKID", secret_key=SECRET_KEY)
    assert c.token is None
    assert c.expiration is None
    with pytest.raises(AttributeError):
        c.secret_key = "x"  # type: ignore[misc]


# --- StaticCredentials ------------------------------------------------------------------------


async def test_static_credentials() -> None:
    provider = StaticCredentials.of("AKID", SECRET_KEY, TOKEN)
    assert isinstance(provider, CredentialsProvider)
    got = await provider.get_credentials()
    assert (got.secret_id, got.secret_key, got.token) == ("AKID", SECRET_KEY, TOKEN)
    assert await provider.get_credentials() is got
    assert SECRET_KEY not in repr(provider)
    assert TOKEN not in repr(provider)


def test_static_credentials_validate() -> None:
    with pytest.raises(CredentialsError):
        StaticCredentials.of("", SECRET_KEY)


# --- EnvironmentCredentials -------------------------------------------------------------------


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("COS_SECRET_ID", "COS_SECRET_KEY", "COS_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


async def test_environment_credentials(env: pytest.MonkeyPatch) -> None:
    env.setenv("COS_SECRET_ID", "AKIDenv")
    env.setenv("COS_SECRET_KEY", SECRET_KEY)
    provider = EnvironmentCredentials()
    assert isinstance(provider, CredentialsProvider)
    got = await provider.get_credentials()
    assert (got.secret_id, got.secret_key, got.token) == ("AKIDenv", SECRET_KEY, None)
    env.setenv("COS_TOKEN", TOKEN)
    assert (await provider.get_credentials()).token == TOKEN
    # read at each call: a rotation in the environment is seen at once
    env.setenv("COS_SECRET_ID", "AKIDrotated")
    assert (await provider.get_credentials()).secret_id == "AKIDrotated"
    assert SECRET_KEY not in repr(provider)


async def test_environment_credentials_strip_whitespace(env: pytest.MonkeyPatch) -> None:
    env.setenv("COS_SECRET_ID", " AKIDenv\n")
    env.setenv("COS_SECRET_KEY", f"{SECRET_KEY}\n")
    env.setenv("COS_TOKEN", f"{TOKEN}\n")  # e.g. read from a file with its final newline
    got = await EnvironmentCredentials().get_credentials()
    assert (got.secret_id, got.secret_key, got.token) == ("AKIDenv", SECRET_KEY, TOKEN)


async def test_environment_credentials_blank_token_is_none(env: pytest.MonkeyPatch) -> None:
    env.setenv("COS_SECRET_ID", "AKIDenv")
    env.setenv("COS_SECRET_KEY", SECRET_KEY)
    env.setenv("COS_TOKEN", "  ")
    assert (await EnvironmentCredentials().get_credentials()).token is None


async def test_environment_credentials_missing_id(env: pytest.MonkeyPatch) -> None:
    env.setenv("COS_SECRET_KEY", SECRET_KEY)
    with pytest.raises(CredentialsError, match="COS_SECRET_ID") as info:
        await EnvironmentCredentials().get_credentials()
    assert "COS_SECRET_KEY" not in str(info.value)
    assert SECRET_KEY not in str(info.value)


async def test_environment_credentials_missing_both(env: pytest.MonkeyPatch) -> None:
    with pytest.raises(CredentialsError, match=r"COS_SECRET_ID.*COS_SECRET_KEY"):
        await EnvironmentCredentials().get_credentials()


async def test_environment_credentials_empty_is_missing(env: pytest.MonkeyPatch) -> None:
    env.setenv("COS_SECRET_ID", "AKIDenv")
    env.setenv("COS_SECRET_KEY", "")
    with pytest.raises(CredentialsError, match="COS_SECRET_KEY"):
        await EnvironmentCredentials().get_credentials()


async def test_environment_credentials_whitespace_only(env: pytest.MonkeyPatch) -> None:
    env.setenv("COS_SECRET_ID", "   ")
    env.setenv("COS_SECRET_KEY", SECRET_KEY)
    with pytest.raises(CredentialsError, match="secret_id"):
        await EnvironmentCredentials().get_credentials()


async def test_environment_credentials_custom_names(env: pytest.MonkeyPatch) -> None:
    env.setenv("MY_ID", "AKIDmine")
    env.setenv("MY_KEY", SECRET_KEY)
    provider = EnvironmentCredentials(
        secret_id_var="MY_ID", secret_key_var="MY_KEY", token_var="MY_TOKEN"
    )
    assert (await provider.get_credentials()).secret_id == "AKIDmine"
    env.delenv("MY_ID")
    with pytest.raises(CredentialsError, match="MY_ID"):
        await provider.get_credentials()


# --- RefreshingCredentials --------------------------------------------------------------------


class Fetcher:
    """A credentials function that counts its calls; ``result`` is what it returns next."""

    def __init__(self, result: object) -> None:
        self.result = result
        self.calls = 0
        self.threads: set[int] = set()

    def __call__(self) -> Any:
        self.calls += 1
        self.threads.add(threading.get_ident())
        if isinstance(self.result, BaseException):
            raise self.result
        return self.result


class AsyncFetcher(Fetcher):
    def __init__(self, result: object) -> None:
        super().__init__(result)
        self.gate: asyncio.Event | None = None

    async def fetch(self) -> Any:
        self.calls += 1
        if self.gate is not None:
            await self.gate.wait()
        if isinstance(self.result, BaseException):
            raise self.result
        return self.result


@pytest.mark.parametrize("margin", [-1, -0.5, float("nan")])
async def test_refreshing_rejects_a_bad_margin(margin: float) -> None:
    with pytest.raises(CredentialsError, match="refresh_margin"):
        RefreshingCredentials(lambda: creds(), refresh_margin=margin)


async def test_refreshing_sync_fetch_runs_off_the_loop() -> None:
    clock = FakeClock()
    fetch = Fetcher(creds(1, expiration=clock.now + 3600))
    provider = RefreshingCredentials(fetch, clock=clock)
    assert isinstance(provider, CredentialsProvider)
    got = await provider.get_credentials()
    assert got.secret_id == "AKID1"
    assert fetch.calls == 1
    assert threading.get_ident() not in fetch.threads
    assert "key-1" not in repr(provider)


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_refreshing_one_fetch_for_concurrent_callers(kind: str) -> None:
    clock = FakeClock()
    result = creds(1, expiration=clock.now + 3600)
    if kind == "sync":
        fetcher: Fetcher = Fetcher(result)
        provider = RefreshingCredentials(fetcher, clock=clock)
    else:
        afetcher = AsyncFetcher(result)
        afetcher.gate = asyncio.Event()
        fetcher = afetcher
        provider = RefreshingCredentials(afetcher.fetch, clock=clock)
    tasks = [asyncio.ensure_future(provider.get_credentials()) for _ in range(50)]
    await asyncio.sleep(0)
    if kind == "async":
        assert afetcher.gate is not None
        afetcher.gate.set()
    results = await asyncio.gather(*tasks)
    assert fetcher.calls == 1
    assert provider.refresh_count == 1
    assert all(r is result for r in results)


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_refreshing_refreshes_within_the_margin(kind: str) -> None:
    clock = FakeClock(1000.0)
    first = creds(1, expiration=2000.0)
    fetcher: Fetcher = Fetcher(first) if kind == "sync" else AsyncFetcher(first)
    fn = fetcher if kind == "sync" else fetcher.fetch  # type: ignore[attr-defined]
    provider = RefreshingCredentials(fn, refresh_margin=300, clock=clock)

    assert await provider.get_credentials() is first
    clock.now = 1699.0  # 301 s before expiry: still fresh
    assert await provider.get_credentials() is first
    assert fetcher.calls == 1

    second = creds(2, expiration=5000.0)
    fetcher.result = second
    clock.now = 1700.0  # exactly refresh_margin before expiry: refresh
    assert await provider.get_credentials() is second
    assert fetcher.calls == 2
    clock.now = 4699.0
    assert await provider.get_credentials() is second
    assert fetcher.calls == 2
    assert provider.refresh_count == 2


async def test_refreshing_without_expiration_never_refreshes() -> None:
    clock = FakeClock()
    fetch = Fetcher(creds(1))
    provider = RefreshingCredentials(fetch, clock=clock)
    await provider.get_credentials()
    clock.now += 10**9
    await provider.get_credentials()
    assert fetch.calls == 1


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_refreshing_failure_while_valid_keeps_the_current_keys(kind: str) -> None:
    clock = FakeClock(1000.0)
    first = creds(1, expiration=2000.0)
    fetcher: Fetcher = Fetcher(first) if kind == "sync" else AsyncFetcher(first)
    fn = fetcher if kind == "sync" else fetcher.fetch  # type: ignore[attr-defined]
    provider = RefreshingCredentials(fn, refresh_margin=300, clock=clock)
    assert await provider.get_credentials() is first

    fetcher.result = RuntimeError("STS is down")
    clock.now = 1800.0  # within the margin, not expired
    assert await provider.get_credentials() is first
    assert fetcher.calls == 2  # it did try
    assert await provider.get_credentials() is first
    assert fetcher.calls == 3  # and tries again next time

    clock.now = 2000.0  # expired
    with pytest.raises(CredentialsError, match="STS is down") as info:
        await provider.get_credentials()
    assert isinstance(info.value.__cause__, RuntimeError)

    # recovers once the function works again
    fresh = creds(3, expiration=9000.0)
    fetcher.result = fresh
    assert await provider.get_credentials() is fresh


async def test_refreshing_first_fetch_failure_raises() -> None:
    provider = RefreshingCredentials(Fetcher(OSError("no network")), clock=FakeClock())
    with pytest.raises(CredentialsError, match="no network"):
        await provider.get_credentials()


async def test_refreshing_credentials_error_passes_through() -> None:
    provider = RefreshingCredentials(Fetcher(CredentialsError("denied by STS")), clock=FakeClock())
    with pytest.raises(CredentialsError, match=r"^denied by STS$"):
        await provider.get_credentials()


async def test_refreshing_failure_is_shared_by_concurrent_callers() -> None:
    fetcher = AsyncFetcher(RuntimeError("boom"))
    fetcher.gate = asyncio.Event()
    provider = RefreshingCredentials(fetcher.fetch, clock=FakeClock())
    tasks = [asyncio.ensure_future(provider.get_credentials()) for _ in range(10)]
    await asyncio.sleep(0)
    fetcher.gate.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert fetcher.calls == 1
    assert all(isinstance(r, CredentialsError) for r in results)


@pytest.mark.parametrize("bad", [None, "AKID:key", {"secret_id": "a", "secret_key": "b"}])
@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_refreshing_fetch_must_return_credentials(kind: str, bad: object) -> None:
    fetcher: Fetcher = Fetcher(bad) if kind == "sync" else AsyncFetcher(bad)
    fn = fetcher if kind == "sync" else fetcher.fetch  # type: ignore[attr-defined]
    provider = RefreshingCredentials(fn, clock=FakeClock())
    with pytest.raises(CredentialsError, match=type(bad).__name__):
        await provider.get_credentials()


async def test_refreshing_sync_function_returning_an_awaitable() -> None:
    result = creds(7)

    async def make() -> Credentials:
        return result

    provider = RefreshingCredentials(lambda: make(), clock=FakeClock())
    assert await provider.get_credentials() is result


async def test_refreshing_cancelled_caller_does_not_break_the_refresh() -> None:
    fetcher = AsyncFetcher(creds(1))
    fetcher.gate = asyncio.Event()
    provider = RefreshingCredentials(fetcher.fetch, clock=FakeClock())
    first = asyncio.ensure_future(provider.get_credentials())
    await asyncio.sleep(0)
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    second = asyncio.ensure_future(provider.get_credentials())
    await asyncio.sleep(0)
    fetcher.gate.set()
    assert (await second).secret_id == "AKID1"
    assert fetcher.calls == 1


# --- end to end: temporary keys against the local server --------------------------------------

ID_A, KEY_A, TOKEN_A = (
    "AKIDTemporaryA000000000000000000000",
    "TemporaryKeyA0000000000000000000",
    "tokA+/=",
)
ID_B, KEY_B, TOKEN_B = (
    "AKIDTemporaryB000000000000000000000",
    "TemporaryKeyB0000000000000000000",
    "tokB==",
)


class Sent:
    """Records the headers of every request the client sends."""

    def __init__(self, client: AsyncCosClient) -> None:
        self._recorded = record(client)

    @property
    def headers(self) -> list[dict[str, str]]:
        return [dict(r.headers) for r in self._recorded.sent]

    def auth_fields(self, i: int) -> dict[str, str]:
        auth = self.headers[i]["Authorization"]
        return dict(part.split("=", 1) for part in auth.split("&"))


@pytest.fixture
async def sts_server() -> Any:
    async with LocalCosServer(
        credentials=[
            ServerCredential(ID_A, KEY_A, token=TOKEN_A),
            ServerCredential(ID_B, KEY_B, token=TOKEN_B),
        ]
    ) as srv:
        yield srv


def sts_config(srv: LocalCosServer, provider: CredentialsProvider) -> CosConfig:
    return CosConfig(region=srv.region, endpoint_url=srv.endpoint, credentials=provider)


async def test_refreshing_credentials_end_to_end(sts_server: LocalCosServer) -> None:
    bucket = sts_server.create_bucket()
    clock = FakeClock(1000.0)
    fetch = Fetcher(Credentials(secret_id=ID_A, secret_key=KEY_A, token=TOKEN_A, expiration=2000.0))
    provider = RefreshingCredentials(fetch, refresh_margin=300, clock=clock)
    async with AsyncCosClient(sts_config(sts_server, provider)) as cos:
        sent = Sent(cos)
        await cos.put_object(bucket, "a", b"one")
        assert await (await cos.get_object(bucket, "a")).read() == b"one"
        await cos.head_object(bucket, "a")
        assert fetch.calls == 1
        assert len(sent.headers) == 3
        for i, h in enumerate(sent.headers):
            assert h["x-cos-security-token"] == TOKEN_A
            fields = sent.auth_fields(i)
            assert fields["q-ak"] == ID_A
            assert "x-cos-security-token" in fields["q-header-list"].split(";")

        # rotation: the provider hands out new keys, the next request uses them
        fetch.result = Credentials(
            secret_id=ID_B, secret_key=KEY_B, token=TOKEN_B, expiration=9000.0
        )
        clock.now = 1800.0
        await cos.put_object(bucket, "b", b"two")
        assert fetch.calls == 2
        assert sent.headers[-1]["x-cos-security-token"] == TOKEN_B
        assert sent.auth_fields(len(sent.headers) - 1)["q-ak"] == ID_B

        # the server no longer accepts the old pair: requests still work with the new one
        del sts_server.app.credentials[ID_A]
        assert await (await cos.get_object(bucket, "b")).read() == b"two"
        assert fetch.calls == 2
    assert sts_server.requests.count("PutObject") == 2


async def test_wrong_token_is_rejected(sts_server: LocalCosServer) -> None:
    bucket = sts_server.create_bucket()
    provider = RefreshingCredentials(
        lambda: Credentials(secret_id=ID_A, secret_key=KEY_A, token="not-the-token")
    )
    async with AsyncCosClient(sts_config(sts_server, provider)) as cos:
        with pytest.raises(InvalidAccessKeyId) as info:
            await cos.put_object(bucket, "k", b"x")
    assert info.value.status == 403
    assert info.value.code == "InvalidAccessKeyId"
    assert sts_server.requests.count("PutObject") == 1  # a 403 is not retried


async def test_token_of_another_pair_is_rejected(sts_server: LocalCosServer) -> None:
    bucket = sts_server.create_bucket()
    provider = StaticCredentials.of(ID_A, KEY_A, TOKEN_B)
    async with AsyncCosClient(sts_config(sts_server, provider)) as cos:
        with pytest.raises(InvalidAccessKeyId):
            await cos.put_object(bucket, "k", b"x")


async def test_missing_token_is_rejected(sts_server: LocalCosServer) -> None:
    bucket = sts_server.create_bucket()
    provider = StaticCredentials.of(ID_A, KEY_A)
    async with AsyncCosClient(sts_config(sts_server, provider)) as cos:
        with pytest.raises(AccessDenied) as info:
            await cos.put_object(bucket, "k", b"x")
    assert info.value.status == 403


async def test_expired_provider_fails_the_request(sts_server: LocalCosServer) -> None:
    bucket = sts_server.create_bucket()
    clock = FakeClock(1000.0)
    fetch = Fetcher(Credentials(secret_id=ID_A, secret_key=KEY_A, token=TOKEN_A, expiration=2000.0))
    provider = RefreshingCredentials(fetch, refresh_margin=300, clock=clock)
    async with AsyncCosClient(sts_config(sts_server, provider)) as cos:
        await cos.put_object(bucket, "k", b"x")
        fetch.result = RuntimeError("STS unavailable")
        clock.now = 1900.0  # failing refresh, keys still valid: the request goes through
        await cos.put_object(bucket, "k", b"y")
        clock.now = 2100.0  # expired: no request is sent
        before = sts_server.requests.count("PutObject")
        with pytest.raises(CredentialsError, match="STS unavailable"):
            await cos.put_object(bucket, "k", b"z")
        assert sts_server.requests.count("PutObject") == before


async def test_environment_credentials_end_to_end(
    env: pytest.MonkeyPatch, sts_server: LocalCosServer
) -> None:
    bucket = sts_server.create_bucket()
    env.setenv("COS_SECRET_ID", ID_A)
    env.setenv("COS_SECRET_KEY", KEY_A)
    env.setenv("COS_TOKEN", TOKEN_A)
    async with AsyncCosClient(sts_config(sts_server, EnvironmentCredentials())) as cos:
        await cos.put_object(bucket, "k", b"x")
        env.setenv("COS_SECRET_ID", ID_B)
        env.setenv("COS_SECRET_KEY", KEY_B)
        env.setenv("COS_TOKEN", TOKEN_B)
        del sts_server.app.credentials[ID_A]
        assert await (await cos.get_object(bucket, "k")).read() == b"x"


# --- the default chain: keys, then the environment, then a clear error ---------------------


async def test_no_credentials_is_an_error_before_any_request(
    server: LocalCosServer, bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("COS_SECRET_ID", raising=False)
    monkeypatch.delenv("COS_SECRET_KEY", raising=False)
    config = CosConfig(region=server.region, endpoint_url=server.endpoint)
    async with AsyncCosClient(config) as cos:
        with pytest.raises(
            CredentialsError, match=r"no credentials.*COS_SECRET_ID.*anonymous=True"
        ):
            await cos.head_bucket(bucket)
    assert server.requests.records() == []  # nothing was sent unsigned


async def test_the_environment_is_the_default(
    server: LocalCosServer, bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COS_SECRET_ID", server.secret_id)
    monkeypatch.setenv("COS_SECRET_KEY", server.secret_key)
    config = CosConfig(region=server.region, endpoint_url=server.endpoint)
    async with AsyncCosClient(config) as cos:
        await cos.put_object(bucket, "k", b"signed from the environment")
    monkeypatch.setenv("COS_SECRET_KEY", "WrongKeyFromTheEnvironment000000")
    async with AsyncCosClient(config) as cos:
        with pytest.raises(SignatureDoesNotMatch):
            await cos.get_object(bucket, "k")


async def test_unsigned_only_when_asked(server: LocalCosServer, bucket: str) -> None:
    config = CosConfig(region=server.region, endpoint_url=server.endpoint, anonymous=True)
    async with AsyncCosClient(config) as cos:
        with pytest.raises(AccessDenied):  # a private bucket, asked unsigned
            await cos.head_object(bucket, "k")
    assert server.requests.count("HeadObject") == 1  # sent, unsigned, and refused
