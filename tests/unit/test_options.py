"""The option bundles (``cos_async._options``): checked when built, the only builders of their
headers, and the signature template that keeps every writing method's options the same; and
the one pagination loop (``_ops.listing.paginate``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Literal

import pytest

from cos_async import CosClientError, InvalidArgument, StorageClass
from cos_async._ops.listing import paginate
from cos_async._options import (
    Grants,
    PartOptions,
    ReadConditions,
    WriteOptions,
    takes_read_conditions,
    takes_write_options,
)
from cos_async._validate import DateLike


def test_write_options_headers() -> None:
    write = WriteOptions(
        content_type="text/csv",
        expires=dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc),
        metadata={"Origin": "lab", "x-cos-meta-n": "1"},
        storage_class="standard_ia",
        acl="private",
        grant_full_control='id="100000000001"',
        tagging={"a b": "c/d"},
        sse="cos/kms",
        sse_kms_key_id="k1",
        sse_kms_context="e30=",
    )
    assert write.storage_class is StorageClass.STANDARD_IA
    assert write.headers("x.json") == {
        "Content-Type": "text/csv",
        "Expires": "Wed, 02 Jan 2030 03:04:05 GMT",
        "x-cos-meta-origin": "lab",
        "x-cos-meta-n": "1",
        "x-cos-storage-class": "STANDARD_IA",
        "x-cos-acl": "private",
        "x-cos-grant-full-control": 'id="100000000001"',
        "x-cos-tagging": "a%20b=c%2Fd",
        "x-cos-server-side-encryption": "cos/kms",
        "x-cos-server-side-encryption-cos-kms-key-id": "k1",
        "x-cos-server-side-encryption-context": "e30=",
    }


def test_the_content_type_is_guessed_only_from_a_key() -> None:
    assert WriteOptions().headers("a/b.html") == {"Content-Type": "text/html"}
    assert WriteOptions().headers("noext") == {"Content-Type": "application/octet-stream"}
    assert WriteOptions().headers(None) == {}  # a copy that keeps the source's


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"content_type": "a\nb"}, "Content-Type"),
        ({"cache_control": "x\r"}, "Cache-Control"),
        ({"expires": dt.datetime(2030, 1, 1)}, "timezone-aware"),
        ({"expires": 5}, "expires"),
        ({"metadata": {"bad name": "v"}}, "not a valid header token"),
        ({"metadata": {"k": " v"}}, "whitespace"),
        ({"metadata": {"k": "v" * 3000}}, "at most 2048"),
        ({"storage_class": "GLACIER"}, "unknown storage_class 'GLACIER'"),
        ({"acl": "public-read-write"}, "acl must be one of default, private, public-read"),
        ({"grant_read": "uin=1"}, "grant_read must look like"),
        ({"tagging": {f"k{i}": "v" for i in range(11)}}, "at most 10 tags"),
        ({"tagging": {"k": "v!"}}, r"Tag\.value"),
        ({"sse": "AES128"}, "sse must be 'AES256'"),
        ({"sse_kms_key_id": "k"}, "need sse='cos/kms'"),
    ],
)
def test_write_options_refuse_bad_values(kwargs: dict[str, Any], named: str) -> None:
    with pytest.raises(InvalidArgument, match=named):
        WriteOptions(**kwargs)


def test_other_bundles() -> None:
    key = bytes(range(32))
    part = PartOptions(traffic_limit=819200, sse_customer_key=key)
    assert part.headers()["x-cos-traffic-limit"] == "819200"
    assert part.headers()["x-cos-server-side-encryption-customer-algorithm"] == "AES256"
    assert key.hex() not in repr(part)
    assert part.digest() is not None
    assert key.hex() not in str(part.digest())
    with pytest.raises(InvalidArgument, match="traffic_limit"):
        PartOptions(traffic_limit=10)
    with pytest.raises(InvalidArgument, match="32 bytes"):
        PartOptions(sse_customer_key=b"short")
    cond = ReadConditions(if_match='"e"', if_unmodified_since="Wed, 21 Oct 2015 07:28:00 GMT")
    assert cond.headers() == {
        "If-Match": '"e"',
        "If-Unmodified-Since": "Wed, 21 Oct 2015 07:28:00 GMT",
    }
    assert set(cond.copy_source_headers()) == {
        "x-cos-copy-source-If-Match",
        "x-cos-copy-source-If-Unmodified-Since",
    }
    assert Grants(acl="public-read", read='id="1"').headers() == {
        "x-cos-acl": "public-read",
        "x-cos-grant-read": 'id="1"',
    }
    with pytest.raises(InvalidArgument, match="acl must be one of private"):
        Grants(allowed=("private",), acl="public-read")


def test_a_method_that_drifts_from_the_template_does_not_import() -> None:
    with pytest.raises(TypeError, match="must take the object option sse_kms_context"):

        @takes_write_options
        async def put_something(  # the template's options, but one
            *,
            content_type: str | None = None,
            content_disposition: str | None = None,
            content_encoding: str | None = None,
            content_language: str | None = None,
            cache_control: str | None = None,
            expires: DateLike | None = None,
            metadata: Mapping[str, str] | None = None,
            storage_class: StorageClass | str | None = None,
            acl: Literal["default", "private", "public-read"] | None = None,
            grant_read: str | None = None,
            grant_read_acp: str | None = None,
            grant_write_acp: str | None = None,
            grant_full_control: str | None = None,
            tagging: Mapping[str, str] | None = None,
            sse: Literal["AES256", "cos/kms"] | None = None,
            sse_kms_key_id: str | None = None,
        ) -> None: ...

    with pytest.raises(TypeError, match="read condition if_match"):

        @takes_read_conditions
        async def get_something(*, if_match: int = 0) -> None: ...


async def test_paginate_follows_markers_and_refuses_one_that_does_not_advance() -> None:
    pages = {"": ("a", "b"), "b": ("c", None)}

    async def fetch(marker: str) -> tuple[str, str | None]:
        return pages[marker]

    seen = [p async for p in paginate(fetch, "", lambda p: p[1], "listing")]
    assert seen == [("a", "b"), ("c", None)]

    async def stuck(marker: str) -> tuple[str, str | None]:
        return ("x", "m")  # the same marker, page after page

    with pytest.raises(CosClientError, match=r"listing did not advance: next marker 'm'"):
        _ = [p async for p in paginate(stuck, "m", lambda p: p[1], "listing")]

    async def backwards(marker: str) -> tuple[str, str | None]:
        return ("x", "a")

    with pytest.raises(CosClientError, match="did not advance"):
        _ = [
            p
            async for p in paginate(
                backwards, "b", lambda p: p[1], "listing", advanced=lambda old, new: new > old
            )
        ]
