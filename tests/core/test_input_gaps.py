"""Input gaps found by the adversarial campaign (issue 16, item 16): each is an
``InvalidArgument`` (a ``ValueError`` too) naming the bad value, before any request is sent."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from cos_async import AsyncCosClient, InvalidArgument
from cos_async.testing import LocalCosServer

MiB = 1024 * 1024
Call = Callable[[AsyncCosClient, str, Path], Awaitable[Any]]

NUL_PATHS: dict[str, tuple[Call, str]] = {
    "upload_file": (lambda c, b, t: c.upload_file(b, "k", t / "a\x00b"), "path"),
    "download_file": (lambda c, b, t: c.download_file(b, "k", t / "a\x00b"), "path"),
    "upload_file checkpoint": (
        lambda c, b, t: c.upload_file(b, "k", t / "src", checkpoint=t / "c\x00"),
        "checkpoint",
    ),
    "download_file checkpoint": (
        lambda c, b, t: c.download_file(b, "k", t / "out", checkpoint=t / "c\x00"),
        "checkpoint",
    ),
    "upload_dir": (lambda c, b, t: c.upload_dir(t / "d\x00", b), "local_dir"),
    "download_prefix": (lambda c, b, t: c.download_prefix(b, "", t / "d\x00"), "local_dir"),
    "bytes path": (lambda c, b, t: c.upload_file(b, "k", b"/tmp/a\x00b"), "path"),  # type: ignore[arg-type]
}


@pytest.mark.parametrize("case", sorted(NUL_PATHS))
async def test_a_nul_in_a_local_path(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str, tmp_path: Path, case: str
) -> None:
    (tmp_path / "src").write_bytes(b"data")
    call, name = NUL_PATHS[case]
    with pytest.raises(InvalidArgument, match=f"{name} contains a NUL character"):
        await call(cos, bucket, tmp_path)
    assert server.requests.records() == []


HEADERS: dict[str, tuple[Call, str]] = {
    "content_type": (
        lambda c, b, t: c.put_object(b, "k", b"x", content_type="text/plain\x00"),
        "header 'Content-Type' contains a control character: 'text/plain\\\\x00'",
    ),
    "metadata": (
        lambda c, b, t: c.put_object(b, "k", b"x", metadata={"m": "v\x00"}),
        "header 'x-cos-meta-m' contains a control character",
    ),
    "metadata line break": (
        lambda c, b, t: c.put_object(b, "k", b"x", metadata={"m": "v\r\nx-cos-acl: public-read"}),
        "metadata value for 'm' contains a line break",
    ),
    "extra_headers": (
        lambda c, b, t: c.head_object(b, "k", extra_headers={"x-cos-a": "\x7f"}),
        "header 'x-cos-a' contains a control character",
    ),
    "upload_file content_type": (
        lambda c, b, t: c.upload_file(b, "k", t / "src", content_type="a\x01b"),
        "header 'Content-Type'",
    ),
    "a secret is never shown": (
        lambda c, b, t: c.head_object(b, "k", extra_headers={"x-cos-security-token": "s3cr3t\x00"}),
        r"header 'x-cos-security-token' contains a control character: \(value hidden\)$",
    ),
}


@pytest.mark.parametrize("case", sorted(HEADERS))
async def test_a_control_character_in_a_header(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str, tmp_path: Path, case: str
) -> None:
    (tmp_path / "src").write_bytes(b"data")
    call, message = HEADERS[case]
    with pytest.raises(InvalidArgument, match=message) as info:
        await call(cos, bucket, tmp_path)
    assert "s3cr3t" not in str(info.value)
    assert server.requests.records() == []


async def test_a_tab_in_a_header_is_fine(cos: AsyncCosClient, bucket: str) -> None:
    await cos.put_object(bucket, "k", b"x", metadata={"m": "a\tb"})
    assert (await cos.head_object(bucket, "k")).metadata == {"m": "a\tb"}


@pytest.mark.parametrize("part_size", [5, 0, -1, 6 * 1024**3, 1.5, True, "8MiB"])
async def test_download_file_checks_part_size_before_any_request(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str, tmp_path: Path, part_size: object
) -> None:
    with pytest.raises(InvalidArgument, match="part_size must be"):
        await cos.download_file(bucket, "absent", tmp_path / "out", part_size=part_size)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match="part_size must be"):
        await cos.copy(bucket, "absent", bucket, "b", part_size=part_size)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match="part_size must be"):
        await cos.download_prefix(bucket, "", tmp_path, part_size=part_size)  # type: ignore[arg-type]
    assert server.requests.records() == []


UPLOAD_ID_CALLS: dict[str, Call] = {
    "abort_multipart_upload": lambda c, b, t: c.abort_multipart_upload(b, "k", ""),
    "list_parts_page": lambda c, b, t: c.list_parts_page(b, "k", ""),
    "upload_part": lambda c, b, t: c.upload_part(b, "k", "", 1, b"x"),
    "complete_multipart_upload": lambda c, b, t: c.complete_multipart_upload(
        b, "k", "", [(1, "e")]
    ),
}


@pytest.mark.parametrize("call", sorted(UPLOAD_ID_CALLS))
async def test_an_empty_upload_id(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str, tmp_path: Path, call: str
) -> None:
    with pytest.raises(InvalidArgument, match="upload_id"):
        await UPLOAD_ID_CALLS[call](cos, bucket, tmp_path)
    assert server.requests.records() == []
