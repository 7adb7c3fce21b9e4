"""The exception tree: classes, pickling, service_error mapping, messages, and no secrets."""

from __future__ import annotations

import copy
import inspect
import pickle
from typing import Any

import pytest

import cos_async
from cos_async import (
    AccessDenied,
    AsyncCosClient,
    BucketAlreadyExists,
    BucketNotEmpty,
    CosClientError,
    CosConfig,
    CosError,
    CosServiceError,
    CosTimeoutError,
    CosTransportError,
    CredentialsError,
    IntegrityError,
    InvalidAccessKeyId,
    InvalidArgument,
    InvalidRange,
    NoSuchBucket,
    NoSuchKey,
    NoSuchUpload,
    NoSuchVersion,
    NotModified,
    PreconditionFailed,
    RequestExpired,
    RetryExhausted,
    SignatureDoesNotMatch,
    SlowDown,
)
from cos_async._errors import _BY_CODE, service_error
from cos_async.testing import LocalCosServer
from tests.seams import record

ALL_ERRORS: list[type[BaseException]] = sorted(
    (
        obj
        for name in cos_async.__all__
        if isinstance(obj := getattr(cos_async, name), type) and issubclass(obj, BaseException)
    ),
    key=lambda c: c.__name__,
)
SERVICE_ERRORS = [c for c in ALL_ERRORS if issubclass(c, CosServiceError)]
CLIENT_ERRORS = [c for c in ALL_ERRORS if issubclass(c, CosClientError) and c is not RetryExhausted]

FIELDS: dict[str, Any] = {
    "status": 404,
    "code": "NoSuchKey",
    "request_id": "NjE2YTBlNjlfMjQ=",
    "trace_id": "OGVmYzZiMmQzYjA2OWNhODk0NTRkMTBiOWVmMDAxODc=",
    "resource": "/photos-1250000000/a/b.txt",
    "method": "GET",
    "bucket": "photos-1250000000",
    "key": "a/b.txt",
}


def service_fields(exc: CosServiceError) -> dict[str, Any]:
    return {name: getattr(exc, name) for name in [*FIELDS, "message"]}


def test_the_tree_is_complete() -> None:
    assert len(ALL_ERRORS) >= 30
    for cls in ALL_ERRORS:
        assert issubclass(cls, CosError), cls
        assert cls.__module__ == "cos_async"
        assert getattr(cos_async, cls.__name__) is cls


# --- pickling -------------------------------------------------------------------------------


@pytest.mark.parametrize("cls", SERVICE_ERRORS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("protocol", [0, 2, pickle.HIGHEST_PROTOCOL])
def test_service_errors_pickle(cls: type[CosServiceError], protocol: int) -> None:
    exc = cls("The specified key does not exist.", **FIELDS)
    back = pickle.loads(pickle.dumps(exc, protocol=protocol))
    assert type(back) is cls
    assert service_fields(back) == service_fields(exc)
    assert str(back) == str(exc)
    assert repr(back) == repr(exc)
    assert back.args == exc.args


@pytest.mark.parametrize("cls", SERVICE_ERRORS, ids=lambda c: c.__name__)
def test_service_errors_copy(cls: type[CosServiceError]) -> None:
    exc = cls("m", **FIELDS)
    for other in (copy.copy(exc), copy.deepcopy(exc)):
        assert type(other) is cls
        assert service_fields(other) == service_fields(exc)


def test_service_error_minimal_fields_pickle() -> None:
    exc = CosServiceError(status=500, code="InternalError")
    back = pickle.loads(pickle.dumps(exc))
    assert service_fields(back) == service_fields(exc)
    assert back.message == ""
    assert back.request_id is None


@pytest.mark.parametrize("cls", CLIENT_ERRORS, ids=lambda c: c.__name__)
def test_client_errors_pickle(cls: type[CosClientError]) -> None:
    exc = cls("something went wrong: 'x'")
    back = pickle.loads(pickle.dumps(exc))
    assert type(back) is cls
    assert back.message == exc.message == "something went wrong: 'x'"
    assert str(back) == str(exc)


def test_base_error_pickles() -> None:
    back = pickle.loads(pickle.dumps(CosError("base")))
    assert type(back) is CosError
    assert str(back) == "base"


def test_retry_exhausted_pickles() -> None:
    last = SlowDown(
        "Please reduce your request rate.", **{**FIELDS, "status": 503, "code": "SlowDown"}
    )
    exc = RetryExhausted("PUT b/k failed after 4 attempt(s)", attempts=4, last_error=last)
    back = pickle.loads(pickle.dumps(exc))
    assert type(back) is RetryExhausted
    assert back.attempts == 4
    assert back.message == exc.message
    assert str(back) == str(exc)
    assert type(back.last_error) is SlowDown
    assert isinstance(back.last_error, SlowDown)
    assert service_fields(back.last_error) == service_fields(last)


def test_retry_exhausted_with_transport_error_pickles() -> None:
    exc = RetryExhausted("x", attempts=2, last_error=CosTimeoutError("GET 127.0.0.1: timed out"))
    back = pickle.loads(pickle.dumps(exc))
    assert back.attempts == 2
    assert type(back.last_error) is CosTimeoutError
    assert str(back.last_error) == "GET 127.0.0.1: timed out"


def test_retry_exhausted_defaults() -> None:
    exc = RetryExhausted("x")
    assert exc.attempts == 0
    assert exc.last_error is None
    back = pickle.loads(pickle.dumps(exc))
    assert (back.attempts, back.last_error) == (0, None)


# --- isinstance relations -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cls", "bases"),
    [
        (NoSuchKey, (FileNotFoundError, OSError, CosServiceError, CosError)),
        (NoSuchBucket, (FileNotFoundError, CosServiceError)),
        (NoSuchUpload, (FileNotFoundError, CosServiceError)),
        (NoSuchVersion, (FileNotFoundError, CosServiceError)),
        (AccessDenied, (PermissionError, OSError, CosServiceError, CosError)),
        (SignatureDoesNotMatch, (AccessDenied, PermissionError)),
        (InvalidAccessKeyId, (AccessDenied, PermissionError)),
        (RequestExpired, (AccessDenied, PermissionError)),
        (BucketAlreadyExists, (FileExistsError, CosServiceError)),
        (BucketNotEmpty, (OSError, CosServiceError)),
        (SlowDown, (CosServiceError,)),
        (InvalidArgument, (ValueError, CosClientError, CosError)),
        (CredentialsError, (CosClientError, CosError)),
        (CosTransportError, (OSError, CosClientError, CosError)),
        (CosTimeoutError, (TimeoutError, OSError, CosTransportError, CosClientError, CosError)),
        (RetryExhausted, (CosClientError, CosError)),
        (IntegrityError, (CosClientError, CosError)),
    ],
)
def test_isinstance_relations(cls: type[BaseException], bases: tuple[type, ...]) -> None:
    for base in bases:
        assert issubclass(cls, base), (cls, base)


@pytest.mark.parametrize(
    ("cls", "not_base"),
    [
        (CosServiceError, CosClientError),
        (CosClientError, CosServiceError),
        (SlowDown, OSError),
        (InvalidArgument, OSError),
        (RetryExhausted, OSError),
        (PreconditionFailed, OSError),
        (NoSuchKey, PermissionError),
    ],
)
def test_not_isinstance(cls: type[BaseException], not_base: type[BaseException]) -> None:
    assert not issubclass(cls, not_base)


def test_oserror_subclasses_keep_the_message() -> None:
    exc = NoSuchKey("The specified key does not exist.", **FIELDS)
    assert exc.errno is None
    assert str(exc).startswith("404 NoSuchKey")
    with pytest.raises(FileNotFoundError) as info:
        raise exc
    assert info.value is exc
    t = CosTimeoutError("GET host: timed out")
    assert str(t) == "GET host: timed out"
    assert t.message == "GET host: timed out"


# --- service_error ------------------------------------------------------------------------


@pytest.mark.parametrize(("code", "cls"), sorted(_BY_CODE.items()))
def test_service_error_maps_codes(code: str, cls: type[CosServiceError]) -> None:
    exc = service_error(status=400, code=code, message="m")
    assert type(exc) is cls
    assert exc.code == code
    assert exc.status == 400


@pytest.mark.parametrize(
    ("status", "code", "message", "cls"),
    [
        (403, "AccessDenied", "Request has expired", RequestExpired),
        (403, "AccessDenied", "request has EXPIRED", RequestExpired),
        (403, "AccessDenied", "Access Denied.", AccessDenied),
        (403, "SignatureDoesNotMatch", "expired", SignatureDoesNotMatch),
        (500, "InternalError", "", CosServiceError),
        (400, "SomethingNew", "", CosServiceError),
        (429, "SomethingNew", "", SlowDown),
        (503, "SlowDown", "", SlowDown),
        (503, "TooManyRequests", "", SlowDown),
        (304, "SomethingNew", "", NotModified),
        (412, "SomethingNew", "", PreconditionFailed),
        (416, "SomethingNew", "", InvalidRange),
        (409, "BucketAlreadyOwnedByYou", "", BucketAlreadyExists),
        (404, "NoSuchKey", "", NoSuchKey),
    ],
)
def test_service_error_classes(
    status: int, code: str, message: str, cls: type[CosServiceError]
) -> None:
    exc = service_error(status=status, code=code, message=message)
    assert type(exc) is cls
    assert (exc.status, exc.code, exc.message) == (status, code, message)


def test_service_error_keeps_every_field() -> None:
    exc = service_error(message="The specified key does not exist.", **FIELDS)
    assert type(exc) is NoSuchKey
    assert service_fields(exc) == {**FIELDS, "message": "The specified key does not exist."}


def test_service_error_is_keyword_only() -> None:
    params = inspect.signature(service_error).parameters.values()
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params)


# --- messages -------------------------------------------------------------------------------


def test_str_of_a_service_error() -> None:
    exc = service_error(message="The specified key does not exist.", **FIELDS)
    text = str(exc)
    assert text == (
        "404 NoSuchKey: The specified key does not exist. "
        "(GET photos-1250000000/a/b.txt) [request id NjE2YTBlNjlfMjQ=]"
    )
    for part in ("404", "NoSuchKey", "does not exist", "GET", "photos-1250000000/a/b.txt"):
        assert part in text
    r = repr(exc)
    assert r.startswith("NoSuchKey(")
    assert "status=404" in r
    assert "'NoSuchKey'" in r
    assert "NjE2YTBlNjlfMjQ=" in r


@pytest.mark.parametrize(
    ("kwargs", "text"),
    [
        ({"status": 500, "code": "InternalError"}, "500 InternalError"),
        ({"status": 500, "code": "InternalError", "method": "GET"}, "500 InternalError (GET)"),
        (
            {"status": 404, "code": "NoSuchBucket", "method": "HEAD", "bucket": "b-1"},
            "404 NoSuchBucket (HEAD b-1)",
        ),
        (
            {"status": 503, "code": "SlowDown", "message": "slow", "request_id": "rid"},
            "503 SlowDown: slow [request id rid]",
        ),
    ],
)
def test_str_of_partial_service_errors(kwargs: dict[str, Any], text: str) -> None:
    assert str(service_error(**kwargs)) == text


async def test_error_from_a_real_request(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str
) -> None:
    with pytest.raises(NoSuchKey) as info:
        await cos.get_object(bucket, "dir/missing.txt")
    exc = info.value
    assert exc.status == 404
    assert exc.code == "NoSuchKey"
    assert exc.message
    assert exc.request_id
    assert exc.trace_id
    assert (exc.method, exc.bucket, exc.key) == ("GET", bucket, "dir/missing.txt")
    text = str(exc)
    for part in (
        "404",
        "NoSuchKey",
        exc.message,
        "GET",
        f"{bucket}/dir/missing.txt",
        exc.request_id,
    ):
        assert part in text
    back = pickle.loads(pickle.dumps(exc))
    assert service_fields(back) == service_fields(exc)


async def test_head_404_maps_from_the_request(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str
) -> None:
    with pytest.raises(NoSuchKey) as info:
        await cos.head_object(bucket, "missing")
    assert info.value.request_id
    with pytest.raises(NoSuchBucket):
        await cos.head_bucket("missing-1250000000")


# --- no secrets in exceptions -----------------------------------------------------------------

WRONG_KEY = "WrongSecretKeyThatMustNeverLeak0"


def assert_no_secrets(exc: BaseException, secrets: list[str]) -> None:
    texts = [str(exc), repr(exc), str(exc.args)]
    blob = pickle.dumps(exc)
    for secret in secrets:
        assert secret
        for text in texts:
            assert secret not in text
        assert secret.encode() not in blob


async def test_signature_mismatch_leaks_no_secret(server: LocalCosServer, bucket: str) -> None:
    cfg = CosConfig(
        region=server.region,
        secret_id=server.secret_id,
        secret_key=WRONG_KEY,
        endpoint_url=server.endpoint,
    )
    async with AsyncCosClient(cfg) as cos:
        sent = record(cos)
        with pytest.raises(SignatureDoesNotMatch) as info:
            await cos.put_object(bucket, "k", b"x")
    exc = info.value
    assert exc.status == 403
    authorization = sent.sent[0].headers["Authorization"]
    signature = dict(p.split("=", 1) for p in authorization.split("&"))["q-signature"]
    assert len(signature) == 40
    assert_no_secrets(exc, [WRONG_KEY, authorization, signature])


async def test_token_and_key_never_leak_from_errors(server: LocalCosServer, bucket: str) -> None:
    token = "SecretSessionToken-MustNeverLeak"
    cfg = CosConfig(
        region=server.region,
        secret_id=server.secret_id,
        secret_key=WRONG_KEY,
        token=token,
        endpoint_url=server.endpoint,
    )
    async with AsyncCosClient(cfg) as cos:
        sent = record(cos)
        with pytest.raises(AccessDenied) as info:
            await cos.get_object(bucket, "k")
    assert_no_secrets(info.value, [WRONG_KEY, token, sent.sent[0].headers["Authorization"]])


async def test_retry_exhausted_leaks_no_secret(server: LocalCosServer, bucket: str) -> None:
    cfg = CosConfig(
        region=server.region,
        secret_id=server.secret_id,
        secret_key=server.secret_key,
        endpoint_url=server.endpoint,
    )
    server.faults.add(action="error", operation="PutObject", status=503, times=None)
    async with AsyncCosClient(cfg) as cos:
        sent = record(cos)
        with pytest.raises(RetryExhausted) as info:
            await cos.put_object(bucket, "k", b"x")
    secrets = [server.secret_key, *(r.headers["Authorization"] for r in sent.sent)]
    assert_no_secrets(info.value, secrets)
    assert info.value.last_error is not None
    assert_no_secrets(info.value.last_error, secrets)


async def test_transport_error_leaks_no_secret(
    server: LocalCosServer, bucket: str, cos: AsyncCosClient
) -> None:
    await cos.put_object(bucket, "k", b"x" * 300_000)
    server.faults.add(action="reset", operation="GetObject", after_bytes=100)
    sent = record(cos)
    body = await cos.get_object(bucket, "k")
    with pytest.raises(CosTransportError) as info:
        await body.read()
    assert_no_secrets(info.value, [server.secret_key, sent.sent[0].headers["Authorization"]])
