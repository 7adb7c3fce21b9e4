"""The retry loop of AsyncCosClient against the local server's fault injection.

``set_testing(True)`` (the autouse fixture of conftest) removes the sleeps between attempts.
"""

from __future__ import annotations

import os
import pathlib
import pickle
import socket
import time
from collections.abc import AsyncIterator, Iterator

import attrs
import pytest

from cos_async import (
    AccessDenied,
    AsyncCosClient,
    CosConfig,
    CosServiceError,
    CosTimeoutError,
    CosTransportError,
    IntegrityError,
    InvalidAccessKeyId,
    NoSuchKey,
    RetryConfig,
    RetryExhausted,
    SignatureDoesNotMatch,
    SlowDown,
    _retry,
)
from cos_async._crc64 import crc64
from cos_async.testing import LocalCosServer
from tests.seams import engine, record

DATA = os.urandom(256 * 1024 + 17)


def with_retry(config: CosConfig, **retry: object) -> CosConfig:
    return attrs.evolve(config, retry=RetryConfig(**retry))  # type: ignore[arg-type]


async def one_shot(*chunks: bytes) -> AsyncIterator[bytes]:
    for chunk in chunks:
        yield chunk


def test_testing_mode_means_no_jitter() -> None:
    assert _retry.is_testing()
    assert _retry.jitter() == 0.0


@pytest.mark.parametrize(
    ("exc", "retryable"),
    [
        (SlowDown(status=503, code="SlowDown"), True),
        (SlowDown(status=429, code="TooManyRequests"), True),
        (CosServiceError(status=500, code="InternalError"), True),
        (CosServiceError(status=502, code="HTTP502"), True),
        (CosServiceError(status=400, code="ServiceUnavailable"), True),
        (CosServiceError(status=429, code="Whatever"), True),
        (AccessDenied(status=403, code="AccessDenied"), False),
        (NoSuchKey(status=404, code="NoSuchKey"), False),
        (CosServiceError(status=400, code="InvalidArgument"), False),
        (CosTransportError("reset"), True),
        (IntegrityError("crc"), False),  # retried by _request only for a request body
        (ValueError("x"), False),
    ],
)
def test_is_retryable(exc: BaseException, retryable: bool) -> None:
    assert _retry.is_retryable(exc) is retryable


# --- 5xx / SlowDown -------------------------------------------------------------------------


async def test_slowdown_twice_then_success(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str
) -> None:
    server.faults.add(action="error", operation="PutObject", status=503, code="SlowDown", times=2)
    result = await cos.put_object(bucket, "k", DATA)
    assert result.crc64 == crc64(DATA)
    assert server.requests.count("PutObject", key="k") == 3
    assert await (await cos.get_object(bucket, "k")).read() == DATA


async def test_internal_error_on_get_then_success(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str
) -> None:
    await cos.put_object(bucket, "k", DATA)
    server.faults.add(
        action="error", operation="GetObject", status=500, code="InternalError", times=1
    )
    body = await cos.get_object(bucket, "k")
    assert await body.read() == DATA
    assert server.requests.count("GetObject", key="k") == 2


async def test_429_is_retried(cos: AsyncCosClient, server: LocalCosServer, bucket: str) -> None:
    server.faults.add(action="error", operation="HeadObject", status=429, code="TooManyRequests")
    await cos.put_object(bucket, "k", b"x")
    meta = await cos.head_object(bucket, "k")
    assert meta.size == 1
    assert server.requests.count("HeadObject") == 2


async def test_retry_of_an_xml_call(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str
) -> None:
    await cos.put_object(bucket, "k", b"x")
    server.faults.add(action="error", operation="GetBucket", status=503, times=3)
    keys = [o.key async for o in cos.list_objects(bucket)]
    assert keys == ["k"]
    assert server.requests.count("GetBucket") == 4


async def test_every_attempt_is_signed_anew(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str
) -> None:
    # the signing clock moves a second per reading: a signature reused from an earlier attempt
    # would show as a repeated Authorization header
    now = int(time.time())
    seconds = iter(range(now, now + 1000))
    engine(cos).wall_clock = lambda: float(next(seconds))
    sent = record(cos)
    server.faults.add(action="error", operation="PutObject", times=2)
    await cos.put_object(bucket, "k", b"x")
    signatures = [r.headers["Authorization"] for r in sent.sent]
    assert len(signatures) == 3
    assert len(set(signatures)) == 3


# --- exhaustion -------------------------------------------------------------------------------


async def test_always_503_exhausts(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str, config: CosConfig
) -> None:
    server.faults.add(
        action="error", operation="PutObject", status=503, code="SlowDown", times=None
    )
    with pytest.raises(RetryExhausted) as info:
        await cos.put_object(bucket, "k", DATA)
    exc = info.value
    attempts = config.retry.max_attempts
    assert exc.attempts == attempts
    assert f"after {attempts} attempt(s)" in str(exc)
    assert f"PUT {bucket}/k" in str(exc)
    assert isinstance(exc.last_error, SlowDown)
    assert exc.last_error.status == 503
    assert exc.last_error.code == "SlowDown"
    assert exc.__cause__ is exc.last_error
    assert server.requests.count("PutObject") == attempts
    assert not await cos.object_exists(bucket, "k")


async def test_max_attempts_is_honoured(
    server: LocalCosServer, bucket: str, config: CosConfig
) -> None:
    server.faults.add(
        action="error", operation="PutObject", status=500, code="InternalError", times=None
    )
    async with AsyncCosClient(with_retry(config, max_attempts=7)) as cos:
        with pytest.raises(RetryExhausted) as info:
            await cos.put_object(bucket, "k", b"x")
    assert info.value.attempts == 7
    assert type(info.value.last_error) is CosServiceError
    assert server.requests.count("PutObject") == 7


async def test_max_attempts_one_does_not_retry(
    server: LocalCosServer, bucket: str, config: CosConfig
) -> None:
    # What the code does: the single failed attempt is still reported as RetryExhausted
    # (attempts=1), with the SlowDown as last_error / __cause__. It is not retried.
    server.faults.add(
        action="error", operation="PutObject", status=503, code="SlowDown", times=None
    )
    async with AsyncCosClient(with_retry(config, max_attempts=1)) as cos:
        with pytest.raises(RetryExhausted) as info:
            await cos.put_object(bucket, "k", b"x")
    assert info.value.attempts == 1
    assert isinstance(info.value.last_error, SlowDown)
    assert info.value.__cause__ is info.value.last_error
    assert server.requests.count("PutObject") == 1


async def test_max_elapsed_bounds_the_attempts(
    server: LocalCosServer, bucket: str, config: CosConfig
) -> None:
    # A fake monotonic clock for the retry loop only: each reading is 1 s later.
    ticks = iter(range(10**6))
    server.faults.add(action="error", operation="PutObject", status=503, times=None)
    async with AsyncCosClient(with_retry(config, max_attempts=1000, max_elapsed=3.0)) as cos:
        engine(cos).clock = lambda: float(next(ticks))
        with pytest.raises(RetryExhausted) as info:
            await cos.put_object(bucket, "k", b"x")
    attempts = info.value.attempts
    assert 1 < attempts < 1000
    assert server.requests.count("PutObject") == attempts
    assert isinstance(info.value.last_error, SlowDown)


async def test_sleeps_between_attempts_are_capped_by_max_elapsed(
    server: LocalCosServer, bucket: str, config: CosConfig
) -> None:
    # The delays the engine would sleep, recorded instead (the jitter at its largest).
    delays: list[float] = []

    async def fake_sleep(delay: float) -> None:
        delays.append(delay)

    server.faults.add(action="error", operation="PutObject", status=503, times=None)
    retry = {"max_attempts": 4, "base_delay": 100.0, "max_delay": 1000.0, "max_elapsed": 50.0}
    async with AsyncCosClient(with_retry(config, **retry)) as cos:
        engine(cos).sleep = fake_sleep
        engine(cos).jitter = lambda: 0.999
        with pytest.raises(RetryExhausted):
            await cos.put_object(bucket, "k", b"x")
    assert len(delays) == 3
    assert all(0 < d <= 50.0 for d in delays)


# --- transport errors ---------------------------------------------------------------------------


async def test_reset_during_upload_is_retried(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str
) -> None:
    server.faults.add(action="reset", operation="PutObject", after_bytes=1000, times=1)
    result = await cos.put_object(bucket, "k", DATA)
    assert result.crc64 == crc64(DATA)
    # the client's retry (or aiohttp's own transparent one) sent it again
    assert server.requests.count("PutObject", key="k") >= 2
    assert await (await cos.get_object(bucket, "k")).read() == DATA


@pytest.fixture
def data_file(tmp_path: pathlib.Path) -> pathlib.Path:
    path = tmp_path / "data.bin"
    path.write_bytes(DATA)
    return path


async def test_reset_during_upload_of_a_file_is_retried(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str, data_file: pathlib.Path
) -> None:
    path = str(data_file)
    server.faults.add(action="reset", operation="PutObject", after_bytes=5000, times=1)
    await cos.put_object(bucket, "k", path)
    assert server.requests.count("PutObject", key="k") >= 2
    assert await (await cos.get_object(bucket, "k")).read() == DATA


async def test_reset_of_a_one_shot_upload_is_not_replayed(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str
) -> None:
    server.faults.add(action="reset", operation="PutObject", after_bytes=1000, times=1)
    with pytest.raises(CosTransportError):
        await cos.put_object(bucket, "k", one_shot(DATA[:100_000], DATA[100_000:]))
    assert server.requests.count("PutObject", key="k") == 1
    assert not await cos.object_exists(bucket, "k")


async def test_reset_during_download_is_not_retried(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str
) -> None:
    await cos.put_object(bucket, "k", DATA)
    server.faults.add(action="reset", operation="GetObject", after_bytes=10_000, times=1)
    body = await cos.get_object(bucket, "k")  # the headers arrived: get_object succeeded
    with pytest.raises(CosTransportError):
        await body.read()
    assert server.requests.count("GetObject", key="k") == 1
    # the next GET works (the rule fired once)
    assert await (await cos.get_object(bucket, "k")).read() == DATA


async def test_truncated_download_raises(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str
) -> None:
    await cos.put_object(bucket, "k", DATA)
    server.faults.add(action="truncate", operation="GetObject", after_bytes=10_000, times=1)
    body = await cos.get_object(bucket, "k")
    with pytest.raises(CosTransportError):
        await body.read()
    assert server.requests.count("GetObject", key="k") == 1


async def test_connection_refused_exhausts(bucket: str, config: CosConfig) -> None:
    # a port that was just free: nothing listens there
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cfg = CosConfig(
        region=config.region,
        secret_id=config.secret_id,
        secret_key=config.secret_key,
        endpoint_url=f"http://127.0.0.1:{port}",
        retry=RetryConfig(max_attempts=3),
    )
    async with AsyncCosClient(cfg) as cos:
        with pytest.raises(RetryExhausted) as info:
            await cos.put_object(bucket, "k", b"x")
    assert info.value.attempts == 3
    assert isinstance(info.value.last_error, CosTransportError)


# --- not retried --------------------------------------------------------------------------------


async def test_one_shot_body_is_not_replayed_after_500(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str
) -> None:
    server.faults.add(action="error", operation="PutObject", status=500, code="InternalError")
    with pytest.raises(CosServiceError) as info:
        await cos.put_object(bucket, "k", one_shot(b"a", b"b"))
    assert not isinstance(info.value, RetryExhausted)
    assert info.value.status == 500
    assert info.value.code == "InternalError"
    assert server.requests.count("PutObject", key="k") == 1


async def test_one_shot_sync_iterator_is_not_replayed(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str
) -> None:
    def gen() -> Iterator[bytes]:
        yield b"abc"

    server.faults.add(action="error", operation="PutObject", status=503, code="SlowDown")
    with pytest.raises(SlowDown):
        await cos.put_object(bucket, "k", gen())
    assert server.requests.count("PutObject", key="k") == 1


async def test_one_shot_body_without_faults_works(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str
) -> None:
    await cos.put_object(bucket, "k", one_shot(b"a", b"", b"bc"))
    assert await (await cos.get_object(bucket, "k")).read() == b"abc"


async def test_wrong_key_is_not_retried(server: LocalCosServer, bucket: str) -> None:
    cfg = CosConfig(
        region=server.region,
        secret_id=server.secret_id,
        secret_key="WrongSecretKey000000000000000000",
        endpoint_url=server.endpoint,
    )
    async with AsyncCosClient(cfg) as cos:
        with pytest.raises(SignatureDoesNotMatch) as info:
            await cos.put_object(bucket, "k", b"x")
    assert isinstance(info.value, AccessDenied)
    assert info.value.status == 403
    assert server.requests.count("PutObject") == 1


async def test_unknown_key_id_is_not_retried(server: LocalCosServer, bucket: str) -> None:
    cfg = CosConfig(
        region=server.region,
        secret_id="AKIDUnknown",
        secret_key=server.secret_key,
        endpoint_url=server.endpoint,
    )
    async with AsyncCosClient(cfg) as cos:
        with pytest.raises(InvalidAccessKeyId):
            await cos.put_object(bucket, "k", b"x")
    assert server.requests.count("PutObject") == 1


async def test_404_is_not_retried(cos: AsyncCosClient, server: LocalCosServer, bucket: str) -> None:
    with pytest.raises(NoSuchKey):
        await cos.get_object(bucket, "missing")
    assert server.requests.count("GetObject") == 1


async def test_injected_4xx_is_not_retried(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str
) -> None:
    server.faults.add(action="error", operation="PutObject", status=400, code="InvalidRequest")
    with pytest.raises(CosServiceError) as info:
        await cos.put_object(bucket, "k", b"x")
    assert info.value.code == "InvalidRequest"
    assert server.requests.count("PutObject") == 1


# --- integrity ---------------------------------------------------------------------------------


async def test_corrupt_upload_is_detected_and_resent(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str
) -> None:
    server.faults.add(action="corrupt", operation="PutObject", after_bytes=100, times=1)
    result = await cos.put_object(bucket, "k", DATA)
    assert result.crc64 == crc64(DATA)
    assert server.requests.count("PutObject", key="k") == 2
    assert await (await cos.get_object(bucket, "k")).read() == DATA


async def test_corrupt_upload_part_is_resent(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str
) -> None:
    up = await cos.create_multipart_upload(bucket, "mp")
    server.faults.add(action="corrupt", operation="UploadPart", after_bytes=0, times=1)
    part = await cos.upload_part(bucket, "mp", up.upload_id, 1, DATA)
    assert part.crc64 == crc64(DATA)
    assert server.requests.count("UploadPart") == 2
    await cos.complete_multipart_upload(bucket, "mp", up.upload_id, [part])
    assert await (await cos.get_object(bucket, "mp")).read() == DATA


async def test_always_corrupt_upload_exhausts(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str, config: CosConfig
) -> None:
    server.faults.add(action="corrupt", operation="PutObject", after_bytes=1, times=None)
    with pytest.raises(RetryExhausted) as info:
        await cos.put_object(bucket, "k", DATA)
    assert isinstance(info.value.last_error, IntegrityError)
    assert server.requests.count("PutObject", key="k") == config.retry.max_attempts


async def test_corrupt_one_shot_upload_is_not_resent(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str
) -> None:
    server.faults.add(action="corrupt", operation="PutObject", after_bytes=1, times=1)
    with pytest.raises(IntegrityError, match="CRC64"):
        await cos.put_object(bucket, "k", one_shot(b"abcdef"))
    assert server.requests.count("PutObject", key="k") == 1


async def test_corrupt_download_raises_integrity_error(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str
) -> None:
    await cos.put_object(bucket, "k", DATA)
    server.faults.add(action="corrupt", operation="GetObject", after_bytes=5, times=1)
    body = await cos.get_object(bucket, "k")
    with pytest.raises(IntegrityError):
        await body.read()
    assert server.requests.count("GetObject", key="k") == 1


# --- answers without x-cos-request-id -------------------------------------------------------


async def test_error_without_request_id_is_retried_without_switching(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str
) -> None:
    server.faults.add(action="error", operation="PutObject", status=503, request_id=False, times=1)
    await cos.put_object(bucket, "k", b"x")
    assert server.requests.count("PutObject", key="k") == 2
    assert not engine(cos).endpoint.switched


async def test_switch_domain_never_applies_to_endpoint_url(
    server: LocalCosServer, bucket: str, config: CosConfig
) -> None:
    server.faults.add(action="error", operation="PutObject", status=502, request_id=False, times=2)
    async with AsyncCosClient(with_retry(config, switch_domain=True)) as cos:
        await cos.put_object(bucket, "k", b"x")
        assert not engine(cos).endpoint.switched
        assert engine(cos).endpoint.host(bucket) == config.bucket_host(bucket)
    assert server.requests.count("PutObject", key="k") == 3


async def test_error_without_request_id_keeps_its_fields(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str
) -> None:
    server.faults.add(
        action="error", operation="HeadObject", status=403, code="AccessDenied", request_id=False
    )
    await cos.put_object(bucket, "k", b"x")
    with pytest.raises(AccessDenied) as info:
        await cos.head_object(bucket, "k")
    assert info.value.request_id is None
    assert "request id" not in str(info.value)


# --- late errors (200, then an Error document) -----------------------------------------------


async def test_late_internal_error_of_a_copy_is_retried(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str
) -> None:
    await cos.put_object(bucket, "src", b"copy me")
    server.faults.add(
        action="error_after_200", operation="PutObjectCopy", code="InternalError", times=1
    )
    await cos.copy_object(bucket, "dst", source_bucket=bucket, source_key="src")
    assert server.requests.count("PutObjectCopy") == 2
    assert await (await cos.get_object(bucket, "dst")).read() == b"copy me"


async def test_late_error_of_complete_is_retried(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str
) -> None:
    up = await cos.create_multipart_upload(bucket, "mp")
    part = await cos.upload_part(bucket, "mp", up.upload_id, 1, b"abc")
    server.faults.add(
        action="error_after_200", operation="CompleteMultipartUpload", code="SlowDown", times=1
    )
    await cos.complete_multipart_upload(bucket, "mp", up.upload_id, [part])
    assert server.requests.count("CompleteMultipartUpload") == 2
    assert await (await cos.get_object(bucket, "mp")).read() == b"abc"


async def test_late_access_denied_is_not_retried(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str
) -> None:
    await cos.put_object(bucket, "src", b"copy me")
    server.faults.add(
        action="error_after_200", operation="PutObjectCopy", code="AccessDenied", times=1
    )
    with pytest.raises(AccessDenied) as info:
        await cos.copy_object(bucket, "dst", source_bucket=bucket, source_key="src")
    assert info.value.code == "AccessDenied"
    assert info.value.request_id
    assert server.requests.count("PutObjectCopy") == 1


# --- timeouts ------------------------------------------------------------------------------------


async def test_read_timeout_is_retried(
    server: LocalCosServer, bucket: str, config: CosConfig
) -> None:
    async with AsyncCosClient(attrs.evolve(config, read_timeout=0.2)) as cos:
        await cos.put_object(bucket, "k", b"x")
        server.faults.add(action="delay", operation="HeadObject", delay=1.0, times=1)
        meta = await cos.head_object(bucket, "k")
    assert meta.size == 1
    assert server.requests.count("HeadObject") == 2


async def test_read_timeouts_exhaust_as_timeout_errors(
    server: LocalCosServer, bucket: str, config: CosConfig
) -> None:
    cfg = attrs.evolve(config, read_timeout=0.2, retry=RetryConfig(max_attempts=2))
    server.faults.add(action="delay", operation="HeadObject", delay=1.0, times=2)
    async with AsyncCosClient(cfg) as cos:
        with pytest.raises(RetryExhausted) as info:
            await cos.head_object(bucket, "k")
    assert isinstance(info.value.last_error, CosTimeoutError)
    assert isinstance(info.value.last_error, TimeoutError)
    assert server.requests.count("HeadObject") == 2


# --- the error after the last attempt keeps the class of the last failure ---------------------


async def test_exhausted_timeouts_are_timeout_errors(
    server: LocalCosServer, bucket: str, config: CosConfig
) -> None:
    server.faults.add(action="delay", operation="HeadObject", delay=2, times=None)
    async with AsyncCosClient(
        attrs.evolve(with_retry(config, max_attempts=2), read_timeout=0.2)
    ) as cos:
        with pytest.raises(TimeoutError) as info:  # what a user writes first
            await cos.head_object(bucket, "k")
    exc = info.value
    assert isinstance(exc, CosTimeoutError)
    assert isinstance(exc, RetryExhausted)
    assert exc.attempts == 2
    assert exc.elapsed >= 0.0
    assert isinstance(exc.last_error, CosTimeoutError)
    assert len(exc.earlier_errors) == 1
    assert isinstance(exc.earlier_errors[0], CosTimeoutError)
    assert getattr(exc, "__notes__", [""])[0].startswith("attempt 1: CosTimeoutError")
    assert "failed after 2 attempt(s)" in str(exc)


async def test_an_exhausted_refused_connection_is_an_oserror(bucket: str) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = CosConfig(
        region="ap-guangzhou",
        secret_id="AKIDx",
        secret_key="k",
        endpoint_url=f"http://127.0.0.1:{port}",
        retry=RetryConfig(max_attempts=2),
    )
    async with AsyncCosClient(config) as cos:
        with pytest.raises(OSError, match="failed after 2 attempt") as info:
            await cos.head_object(bucket, "k")
    assert isinstance(info.value, RetryExhausted)
    assert isinstance(info.value, CosTransportError)


async def test_an_exhausted_service_error_keeps_its_class_and_fields(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str
) -> None:
    server.faults.add(
        action="error", operation="PutObject", status=503, code="SlowDown", times=None
    )
    with pytest.raises(SlowDown) as info:
        await cos.put_object(bucket, "k", b"x")
    exc = info.value
    assert isinstance(exc, RetryExhausted)
    assert (exc.status, exc.code) == (503, "SlowDown")
    assert exc.request_id == exc.last_error.request_id  # type: ignore[union-attr]
    again = pickle.loads(pickle.dumps(exc))
    assert type(again) is type(exc)
    assert (again.status, again.code, again.attempts) == (503, "SlowDown", exc.attempts)
