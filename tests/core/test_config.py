"""CosConfig / RetryConfig validation, endpoint resolution, object URLs and domain switching.

Nothing here touches the network: clients are built but never send a request.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from cos_async import (
    AsyncCosClient,
    CosConfig,
    Credentials,
    DefaultCredentials,
    InvalidArgument,
    RetryConfig,
    StaticCredentials,
)
from cos_async._endpoint import Endpoint
from tests.seams import engine

REGION = "ap-guangzhou"
BUCKET = "photos-1250000000"
SECRET_KEY = "SuperSecretKeyValue0123456789abc"
TOKEN = "SessionTokenValue-0123456789"


def make(**kwargs: Any) -> CosConfig:
    kwargs.setdefault("region", REGION)
    return CosConfig(**kwargs)


# --- validation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"region": "Guangzhou!"}, "Guangzhou!"),
        ({"region": "ap-guangzhou-"}, "ap-guangzhou-"),
        ({"scheme": "ftp"}, "ftp"),
        ({"domain_suffix": "example.com"}, "example.com"),
        ({"endpoint_url": "localhost:9000"}, "localhost:9000"),
        ({"endpoint_url": "http://"}, "http://"),
        ({"endpoint_url": "http://127.0.0.1:9000/?a=b"}, "http://127.0.0.1:9000/?a=b"),
        ({"endpoint_url": "http://127.0.0.1:9000/#frag"}, "http://127.0.0.1:9000/#frag"),
        ({"domain": "files.example.com/path"}, "files.example.com/path"),
        ({"endpoint": "https://cdn.example.com"}, "https://cdn.example.com"),
        ({"pool_size": 0}, "pool_size"),
        ({"pool_size": True}, "pool_size"),
        ({"pool_size": 1.5}, "1.5"),
        ({"connect_timeout": -1}, "connect_timeout"),
        ({"connect_timeout": 0}, "connect_timeout"),
        ({"read_timeout": "10"}, "read_timeout"),
        ({"complete_timeout": False}, "complete_timeout"),
        ({"sign_expires": 0}, "sign_expires"),
        ({"sign_expires": 7 * 86400 + 1}, "604801"),
        ({"sign_expires": 1.5}, "sign_expires"),
    ],
)
def test_invalid_values_are_named(kwargs: dict[str, Any], named: str) -> None:
    with pytest.raises(InvalidArgument) as info:
        make(**kwargs)
    assert named in str(info.value)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("name", ["connect_timeout", "read_timeout", "complete_timeout"])
def test_nan_timeout_is_rejected(name: str) -> None:
    # nan <= 0 is False: a plain "value <= 0" check lets NaN through.
    with pytest.raises(InvalidArgument, match=name):
        make(**{name: math.nan})


def test_bool_sign_expires_is_rejected() -> None:
    # bool is an int subclass; sign_expires=True must not mean "1 second".
    with pytest.raises(InvalidArgument, match="sign_expires"):
        make(sign_expires=True)


def test_sign_expires_bounds_are_inclusive() -> None:
    assert make(sign_expires=1).sign_expires == 1
    assert make(sign_expires=7 * 86400).sign_expires == 7 * 86400


def test_secret_id_without_secret_key() -> None:
    with pytest.raises(InvalidArgument, match="secret_key"):
        make(secret_id="AKIDxxxx")


def test_secret_key_without_secret_id() -> None:
    with pytest.raises(InvalidArgument, match="secret_id"):
        make(secret_key=SECRET_KEY)


def test_token_without_keys() -> None:
    with pytest.raises(InvalidArgument, match="token") as info:
        make(token=TOKEN)
    assert TOKEN not in str(info.value)


def test_keys_and_credentials_together() -> None:
    provider = StaticCredentials.of("AKIDxxxx", SECRET_KEY)
    with pytest.raises(InvalidArgument, match="credentials"):
        make(secret_id="AKIDxxxx", secret_key=SECRET_KEY, credentials=provider)


@pytest.mark.parametrize("bad", ["AKIDxxxx", 42, Credentials(secret_id="a", secret_key="b")])
def test_credentials_must_be_a_provider(bad: object) -> None:
    with pytest.raises(InvalidArgument, match=type(bad).__name__):
        make(credentials=bad)


def test_region_or_endpoint_is_required() -> None:
    with pytest.raises(InvalidArgument, match="region"):
        CosConfig()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"endpoint_url": "http://127.0.0.1:9000"},
        {"domain": "files.example.com"},
        {"endpoint": "cdn.example.com"},
        {"accelerate": True},
    ],
)
def test_region_is_optional_with_an_explicit_endpoint(kwargs: dict[str, Any]) -> None:
    assert CosConfig(**kwargs).region is None


def test_secret_values_are_never_in_validation_errors() -> None:
    with pytest.raises(InvalidArgument) as info:
        make(secret_id="AKIDxxxx", secret_key=SECRET_KEY, token=TOKEN, pool_size=0)
    assert SECRET_KEY not in str(info.value)
    assert TOKEN not in str(info.value)


def test_config_is_frozen() -> None:
    cfg = make()
    with pytest.raises(AttributeError):
        cfg.region = "ap-beijing"  # type: ignore[misc]


# --- repr ---------------------------------------------------------------------------------------


def test_repr_hides_secret_key_and_token() -> None:
    cfg = make(secret_id="AKIDvisible", secret_key=SECRET_KEY, token=TOKEN)
    for text in (repr(cfg), str(cfg)):
        assert "AKIDvisible" in text
        assert SECRET_KEY not in text
        assert TOKEN not in text


def test_repr_hides_secrets_of_a_provider() -> None:
    provider = StaticCredentials.of("AKIDvisible", SECRET_KEY, TOKEN)
    cfg = make(credentials=provider)
    assert SECRET_KEY not in repr(cfg)
    assert TOKEN not in repr(cfg)
    client = AsyncCosClient(cfg)
    assert SECRET_KEY not in repr(client)
    assert TOKEN not in repr(client)


# --- credentials provider -----------------------------------------------------------------------


async def test_credentials_provider_from_keys() -> None:
    provider = make(secret_id="AKIDxxxx", secret_key=SECRET_KEY, token=TOKEN).credentials_provider()
    assert provider is not None
    creds = await provider.get_credentials()
    assert (creds.secret_id, creds.secret_key, creds.token) == ("AKIDxxxx", SECRET_KEY, TOKEN)


def test_credentials_provider_none_only_when_anonymous() -> None:
    assert isinstance(make().credentials_provider(), DefaultCredentials)
    cfg = make(secret_id="AKIDxxxx", secret_key=SECRET_KEY, anonymous=True)
    assert cfg.credentials_provider() is None
    assert make(anonymous=True).credentials_provider() is None


def test_credentials_provider_given() -> None:
    provider = StaticCredentials.of("AKIDxxxx", SECRET_KEY)
    assert make(credentials=provider).credentials_provider() is provider


# --- endpoint resolution ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "host"),
    [
        ({}, f"{BUCKET}.cos.{REGION}.myqcloud.com"),
        ({"domain_suffix": "tencentcos.cn"}, f"{BUCKET}.cos.{REGION}.tencentcos.cn"),
        # Internal domains exist only under tencentcos.cn (as in the official SDK).
        ({"internal": True}, f"{BUCKET}.cos-internal.{REGION}.tencentcos.cn"),
        (
            {"internal": True, "domain_suffix": "tencentcos.cn"},
            f"{BUCKET}.cos-internal.{REGION}.tencentcos.cn",
        ),
        ({"accelerate": True}, f"{BUCKET}.cos.accelerate.myqcloud.com"),
        (
            {"accelerate": True, "domain_suffix": "tencentcos.cn"},
            f"{BUCKET}.cos.accelerate.tencentcos.cn",
        ),
        ({"endpoint": "cdn.example.com"}, f"{BUCKET}.cdn.example.com"),
        ({"endpoint": "cdn.example.com", "accelerate": True}, f"{BUCKET}.cdn.example.com"),
        ({"domain": "files.example.com"}, "files.example.com"),
        ({"domain": "files.example.com", "endpoint": "cdn.example.com"}, "files.example.com"),
        ({"endpoint_url": "http://127.0.0.1:9000"}, "127.0.0.1:9000"),
        (
            {"endpoint_url": "http://127.0.0.1:9000", "domain": "files.example.com"},
            "127.0.0.1:9000",
        ),
    ],
)
def test_bucket_host(kwargs: dict[str, Any], host: str) -> None:
    cfg = make(**kwargs)
    assert cfg.bucket_host(BUCKET) == host
    assert Endpoint(cfg).host(BUCKET) == host


def test_path_style_only_with_endpoint_url() -> None:
    assert make(endpoint_url="http://127.0.0.1:9000").path_style
    assert not make().path_style
    assert not make(domain="files.example.com").path_style


@pytest.mark.parametrize(
    ("kwargs", "host"),
    [
        ({}, "service.cos.myqcloud.com"),
        ({"domain_suffix": "tencentcos.cn"}, "service.cos.tencentcos.cn"),
        ({"endpoint_url": "http://127.0.0.1:9000"}, "127.0.0.1:9000"),
    ],
)
def test_service_host(kwargs: dict[str, Any], host: str) -> None:
    cfg = make(**kwargs)
    assert cfg.service_host() == host
    assert Endpoint(cfg).host(None) == host


@pytest.mark.parametrize(
    ("kwargs", "bucket", "url"),
    [
        ({}, BUCKET, f"https://{BUCKET}.cos.{REGION}.myqcloud.com"),
        ({}, None, "https://service.cos.myqcloud.com"),
        ({"scheme": "http"}, BUCKET, f"http://{BUCKET}.cos.{REGION}.myqcloud.com"),
        ({"endpoint_url": "http://127.0.0.1:9000"}, BUCKET, f"http://127.0.0.1:9000/{BUCKET}"),
        ({"endpoint_url": "http://127.0.0.1:9000/"}, None, "http://127.0.0.1:9000"),
    ],
)
def test_base_url(kwargs: dict[str, Any], bucket: str | None, url: str) -> None:
    assert make(**kwargs).base_url(bucket) == url


# --- object_url -----------------------------------------------------------------------------


KEY = "dir/a b+c/ü.txt"
ENC_KEY = "dir/a%20b%2Bc/%C3%BC.txt"


@pytest.mark.parametrize(
    ("kwargs", "url"),
    [
        ({}, f"https://{BUCKET}.cos.{REGION}.myqcloud.com/{ENC_KEY}"),
        ({"scheme": "http"}, f"http://{BUCKET}.cos.{REGION}.myqcloud.com/{ENC_KEY}"),
        (
            {"domain_suffix": "tencentcos.cn"},
            f"https://{BUCKET}.cos.{REGION}.tencentcos.cn/{ENC_KEY}",
        ),
        ({"internal": True}, f"https://{BUCKET}.cos-internal.{REGION}.tencentcos.cn/{ENC_KEY}"),
        ({"accelerate": True}, f"https://{BUCKET}.cos.accelerate.myqcloud.com/{ENC_KEY}"),
        ({"endpoint": "cdn.example.com"}, f"https://{BUCKET}.cdn.example.com/{ENC_KEY}"),
        ({"domain": "files.example.com"}, f"https://files.example.com/{ENC_KEY}"),
        ({"endpoint_url": "http://127.0.0.1:9000"}, f"http://127.0.0.1:9000/{BUCKET}/{ENC_KEY}"),
        (
            {"endpoint_url": "https://gw.example.com:8443/cos/"},
            f"https://gw.example.com:8443/cos/{BUCKET}/{ENC_KEY}",
        ),
    ],
)
def test_object_url(kwargs: dict[str, Any], url: str) -> None:
    assert AsyncCosClient(make(**kwargs)).object_url(BUCKET, KEY) == url


def test_object_url_encodes_dot_segments() -> None:
    client = AsyncCosClient(make())
    url = client.object_url(BUCKET, "a/./b/../c")
    assert url == f"https://{BUCKET}.cos.{REGION}.myqcloud.com/a/%2E/b/%2E%2E/c"


@pytest.mark.parametrize(
    ("bucket", "key", "named"),
    [
        ("Photos-1250000000", "k", "Photos-1250000000"),
        ("photos", "k", "'photos'"),
        (BUCKET, "", "''"),
        (BUCKET, "../x", "../x"),
        (BUCKET, "/", "'/'"),
    ],
)
def test_object_url_validates(bucket: str, key: str, named: str) -> None:
    with pytest.raises(InvalidArgument) as info:
        AsyncCosClient(make()).object_url(bucket, key)
    assert named in str(info.value)


def test_client_needs_a_cos_config() -> None:
    with pytest.raises(InvalidArgument, match="dict"):
        AsyncCosClient({"region": REGION})  # type: ignore[arg-type]


# --- RetryConfig ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"max_attempts": 0}, "max_attempts"),
        ({"max_attempts": -1}, "max_attempts"),
        ({"max_attempts": True}, "max_attempts"),
        ({"max_attempts": 2.0}, "max_attempts"),
        ({"base_delay": -0.1}, "base_delay"),
        ({"max_delay": -1}, "max_delay"),
        ({"max_elapsed": 0}, "max_elapsed"),
        ({"max_elapsed": math.nan}, "max_elapsed"),
        ({"base_delay": math.nan}, "base_delay"),
    ],
)
def test_retry_config_validation(kwargs: dict[str, Any], named: str) -> None:
    with pytest.raises(InvalidArgument, match=named):
        RetryConfig(**kwargs)


def test_retry_config_defaults() -> None:
    retry = RetryConfig()
    assert retry.max_attempts >= 1
    assert not retry.switch_domain
    assert make().retry == retry


@pytest.mark.parametrize("rand", [0.0, 0.25, 0.5, 0.999])
def test_backoff_is_monotone_and_capped(rand: float) -> None:
    retry = RetryConfig(base_delay=0.2, max_delay=3.0, max_attempts=50)
    delays = [retry.backoff(attempt, rand) for attempt in range(1, 50)]
    assert delays == sorted(delays)
    assert all(0.0 <= d <= 3.0 for d in delays)
    assert delays[-1] == pytest.approx(rand * 3.0)
    assert delays[0] == pytest.approx(rand * 0.2)
    assert retry.backoff(2, rand) == pytest.approx(rand * 0.4)


def test_backoff_scales_with_rand() -> None:
    retry = RetryConfig(base_delay=1.0, max_delay=100.0)
    assert retry.backoff(3, 0.0) == 0.0
    assert retry.backoff(3, 0.5) == pytest.approx(2.0)
    assert retry.backoff(3, 0.5) < retry.backoff(3, 0.9)


def test_backoff_of_a_huge_attempt_number_stays_capped() -> None:
    # 2.0 ** 1999 overflows a float: a large max_attempts must not crash the retry loop.
    retry = RetryConfig(base_delay=0.2, max_delay=5.0, max_attempts=5000)
    assert retry.backoff(2000, 0.5) == pytest.approx(2.5)
    assert retry.backoff(4999, 1.0) == pytest.approx(5.0)


def test_backoff_with_zero_base_delay() -> None:
    retry = RetryConfig(base_delay=0.0)
    assert all(retry.backoff(a, 0.9) == 0.0 for a in range(1, 20))


# --- switching to *.tencentcos.cn on retry ----------------------------------------------------


def switching_client(**kwargs: Any) -> AsyncCosClient:
    kwargs.setdefault("retry", RetryConfig(switch_domain=True))
    return AsyncCosClient(make(**kwargs))


def _endpoint(client: AsyncCosClient) -> Endpoint:
    return engine(client).endpoint


def test_switch_domain_myqcloud_to_tencentcos() -> None:
    client = switching_client()
    assert _endpoint(client).host(BUCKET) == f"{BUCKET}.cos.{REGION}.myqcloud.com"
    _endpoint(client).switch_domain(BUCKET)
    assert _endpoint(client).host(BUCKET) == f"{BUCKET}.cos.{REGION}.tencentcos.cn"
    assert (
        _endpoint(client).host("other-1250000000") == f"other-1250000000.cos.{REGION}.tencentcos.cn"
    )
    assert _endpoint(client).host(None) == "service.cos.tencentcos.cn"
    assert client.object_url(BUCKET, "k") == f"https://{BUCKET}.cos.{REGION}.tencentcos.cn/k"
    # idempotent
    _endpoint(client).switch_domain(BUCKET)
    assert _endpoint(client).host(BUCKET) == f"{BUCKET}.cos.{REGION}.tencentcos.cn"


def test_switch_domain_needs_a_bucket_host() -> None:
    client = switching_client()
    _endpoint(client).switch_domain(None)
    assert _endpoint(client).host(BUCKET) == f"{BUCKET}.cos.{REGION}.myqcloud.com"


@pytest.mark.parametrize(
    ("kwargs", "host"),
    [
        ({"endpoint_url": "http://127.0.0.1:9000"}, "127.0.0.1:9000"),
        ({"domain": "files.example.com"}, "files.example.com"),
        # a custom domain that happens to end in .myqcloud.com is still a custom domain
        ({"domain": "files.myqcloud.com"}, "files.myqcloud.com"),
        ({"endpoint": "cdn.example.com"}, f"{BUCKET}.cdn.example.com"),
        ({"domain_suffix": "tencentcos.cn"}, f"{BUCKET}.cos.{REGION}.tencentcos.cn"),
        ({"internal": True}, f"{BUCKET}.cos-internal.{REGION}.tencentcos.cn"),
    ],
)
def test_switch_domain_leaves_other_hosts_alone(kwargs: dict[str, Any], host: str) -> None:
    client = switching_client(**kwargs)
    _endpoint(client).switch_domain(BUCKET)
    assert _endpoint(client).host(BUCKET) == host


def test_no_switch_before_a_failure() -> None:
    client = switching_client()
    assert not _endpoint(client).switched
    assert _endpoint(client).host(BUCKET).endswith(".myqcloud.com")
