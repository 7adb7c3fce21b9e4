"""presign_post (browser form uploads, verified with a plain multipart form and no SDK) and
options_object (CORS preflight)."""

from __future__ import annotations

import base64
import json
import time

import aiohttp
import pytest

from cos_async import (
    AccessDenied,
    AsyncCosClient,
    CorsConfiguration,
    CorsRule,
    CosConfig,
    InvalidArgument,
    PresignedPost,
)
from cos_async.testing import LocalCosServer, ServerCredential


async def _post(
    post: PresignedPost, data: bytes, filename: str = "photo.jpg", **override: str
) -> tuple[int, str]:
    """Upload the way a browser does: the form fields, then the file, no signing of our own."""
    form = aiohttp.FormData()
    for name, value in {**post.fields, **override}.items():
        form.add_field(name, value)
    form.add_field("file", data, filename=filename, content_type="application/octet-stream")
    async with aiohttp.ClientSession() as http, http.post(post.url, data=form) as resp:
        return resp.status, await resp.text()


async def test_form_upload_with_a_key_prefix_and_fields(cos: AsyncCosClient, bucket: str) -> None:
    post = await cos.presign_post(
        bucket,
        "uploads/${filename}",
        content_length_range=(1, 1024),
        fields={"Content-Type": "image/jpeg", "x-cos-meta-owner": "alice"},
    )
    status, text = await _post(post, b"\xff\xd8 jpeg bytes")
    assert status == 204, text
    meta = await cos.head_object(bucket, "uploads/photo.jpg")
    assert meta.size == len(b"\xff\xd8 jpeg bytes")
    assert meta.content_type == "image/jpeg"
    assert meta.metadata == {"owner": "alice"}
    body = await cos.get_object(bucket, "uploads/photo.jpg")
    assert await body.read() == b"\xff\xd8 jpeg bytes"


async def test_the_policy_binds_size_fields_and_key(cos: AsyncCosClient, bucket: str) -> None:
    post = await cos.presign_post(
        bucket,
        "avatars/${filename}",
        content_length_range=(1, 10),
        fields={"Content-Type": "image/png"},
    )
    status, text = await _post(post, b"x" * 11)
    assert status == 400
    assert "EntityTooLarge" in text
    status, text = await _post(post, b"x", **{"Content-Type": "text/html"})  # tampered field
    assert status == 403
    assert "Content-Type" in text or "content-type" in text
    status, text = await _post(post, b"x", key="elsewhere/${filename}")  # outside the prefix
    assert status == 403
    status, text = await _post(post, b"x", **{"q-signature": "0" * 40})
    assert status == 403
    assert "SignatureDoesNotMatch" in text
    assert not [o async for o in cos.list_objects(bucket)]


async def test_exact_key_and_expiry(cos: AsyncCosClient, bucket: str) -> None:
    post = await cos.presign_post(bucket, "exact.txt", expires=60)
    status, _ = await _post(post, b"data", filename="ignored.txt")
    assert status == 204
    assert (await cos.head_object(bucket, "exact.txt")).size == 4
    policy = json.loads(base64.b64decode(post.fields["policy"]))
    assert {"key": "exact.txt"} in policy["conditions"]
    assert {"bucket": bucket} in policy["conditions"]
    assert policy == post.policy
    assert abs(post.expires.timestamp() - (time.time() + 60)) < 30

    expired = await cos.presign_post(bucket, "late.txt", expires=60, now=int(time.time()) - 3600)
    status, _ = await _post(expired, b"data")
    assert status == 403
    assert not await cos.object_exists(bucket, "late.txt")


async def test_custom_conditions(cos: AsyncCosClient, bucket: str) -> None:
    post = await cos.presign_post(
        bucket,
        "c/${filename}",
        fields={"success_action_status": "201"},
        conditions=[["starts-with", "$Content-Type", "text/"]],
    )
    status, _ = await _post(post, b"ok", filename="a.txt", **{"Content-Type": "text/plain"})
    assert status == 201
    status, _ = await _post(post, b"no", filename="b.txt", **{"Content-Type": "image/gif"})
    assert status == 403
    assert await cos.object_exists(bucket, "c/a.txt")
    assert not await cos.object_exists(bucket, "c/b.txt")


async def test_temporary_credentials_put_the_token_in_the_form() -> None:
    creds = [ServerCredential("AKIDtemp", "temp-secret-key", token="temp-token")]
    async with LocalCosServer(credentials=creds) as srv:
        bucket = srv.create_bucket()
        config = CosConfig(
            region=srv.region,
            secret_id="AKIDtemp",
            secret_key="temp-secret-key",
            token="temp-token",
            endpoint_url=srv.endpoint,
        )
        async with AsyncCosClient(config) as cos:
            post = await cos.presign_post(bucket, "t.bin")
            assert post.fields["x-cos-security-token"] == "temp-token"
            assert "temp-token" not in repr(post)
            assert post.fields["q-signature"] not in repr(post)
            status, text = await _post(post, b"tok")
            assert status == 204, text
            assert await cos.object_exists(bucket, "t.bin")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"expires": 0}, "expires must be 1..604800 seconds, got 0"),
        ({"content_length_range": (10, 1)}, r"content_length_range must be .* got \(10, 1\)"),
        ({"content_length_range": (-1, 5)}, r"got \(-1, 5\)"),
        ({"fields": {"policy": "x"}}, "form field 'policy' is set by presign_post itself"),
        ({"fields": {"q-ak": "x"}}, "form field 'q-ak' is set by presign_post itself"),
        ({"fields": {"Content-Type": 3}}, "form fields must be strings"),
        ({"conditions": [["lt", "$key", "x"]]}, "a condition is"),
    ],
)
async def test_presign_post_bad_input(
    cos: AsyncCosClient, bucket: str, kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(InvalidArgument, match=message):
        await cos.presign_post(bucket, "k", **kwargs)  # type: ignore[arg-type]


async def test_preflight_allowed_and_refused(cos: AsyncCosClient, bucket: str) -> None:
    await cos.put_bucket_cors(
        bucket,
        CorsConfiguration(
            rules=[
                CorsRule(
                    allowed_origins=["https://*.example.com"],
                    allowed_methods=["GET", "PUT"],
                    allowed_headers=["content-type", "x-cos-meta-*"],
                    expose_headers=["ETag", "x-cos-request-id"],
                    max_age_seconds=600,
                )
            ]
        ),
    )
    answer = await cos.options_object(
        bucket,
        "any/key",
        origin="https://app.example.com",
        method="put",
        request_headers=["Content-Type", "x-cos-meta-a"],
    )
    assert answer.allowed_origin == "https://app.example.com"
    assert answer.allowed_methods == ("GET", "PUT")
    assert answer.allowed_headers == ("Content-Type", "x-cos-meta-a")
    assert answer.expose_headers == ("ETag", "x-cos-request-id")
    assert answer.max_age == 600
    assert answer.request_id
    with pytest.raises(AccessDenied) as refused:
        await cos.options_object(bucket, "k", origin="https://evil.test", method="GET")
    assert refused.value.code == "AccessForbidden"
    with pytest.raises(AccessDenied):
        await cos.options_object(bucket, "k", origin="https://app.example.com", method="DELETE")
    with pytest.raises(AccessDenied):
        await cos.options_object(
            bucket, "k", origin="https://app.example.com", method="GET", request_headers=["Range"]
        )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"origin": "", "method": "GET"}, "origin must be a non-empty string"),
        (
            {"origin": "https://a", "method": "PATCH"},
            "method must be GET, PUT, POST, DELETE or HEAD",
        ),
        ({"origin": "https://a", "method": "GET", "request_headers": "Range"}, "not a str"),
        ({"origin": "https://a", "method": "GET", "request_headers": [" "]}, "non-empty names"),
    ],
)
async def test_options_bad_input_sends_nothing(
    cos: AsyncCosClient,
    server: LocalCosServer,
    bucket: str,
    kwargs: dict[str, object],
    message: str,
) -> None:
    server.requests.clear()
    with pytest.raises(InvalidArgument, match=message):
        await cos.options_object(bucket, "k", **kwargs)  # type: ignore[arg-type]
    assert server.requests.count() == 0
