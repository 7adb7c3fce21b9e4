"""AsyncCosClient bucket operations against the local COS server."""

from __future__ import annotations

import datetime

import pytest

from cos_async import (
    AccessDenied,
    AsyncCosClient,
    BucketAlreadyExists,
    BucketNotEmpty,
    CosConfig,
    InvalidArgument,
    NoSuchBucket,
    Tag,
    Tagging,
)
from cos_async.testing import LocalCosServer

BAD_BUCKETS = [
    "Bad",
    "nobucketappid",
    "a_b-1",
    "Upper-1250000000",
    "-lead-1250000000",
    "trail--1250000000x",
    "",
    "x" * 50 + "-1250000000",
]


async def test_bucket_lifecycle(cos: AsyncCosClient, server: LocalCosServer) -> None:
    name = "photos-1250000000"
    assert await cos.bucket_exists(name) is False
    created = await cos.create_bucket(name)
    assert created.request_id
    assert created.headers["Location"] == f"/{name}"
    assert await cos.bucket_exists(name) is True

    head = await cos.head_bucket(name)
    assert head.region == server.region
    assert head.request_id

    listing = await cos.list_buckets_page()
    assert [b.name for b in listing.buckets] == [name]
    assert [b.name async for b in cos.list_buckets()] == [name]
    [info] = listing.buckets
    assert info.region == server.region
    assert info.created is not None
    assert info.created.tzinfo is not None
    assert int(info.created.timestamp()) == int(server.store.buckets[name].created)
    assert listing.owner_id == server.app.owner_id
    assert listing.request_id

    assert await cos.get_bucket_location(name) == server.region

    await cos.delete_bucket(name)
    assert await cos.bucket_exists(name) is False
    assert (await cos.list_buckets_page()).buckets == ()
    assert [b async for b in cos.list_buckets()] == []


async def test_list_buckets_sorted_and_complete(cos: AsyncCosClient) -> None:
    names = ["zeta-1250000000", "alpha-1250000000", "mid-dle-1250000000"]
    for name in names:
        await cos.create_bucket(name)
    assert [b.name async for b in cos.list_buckets()] == sorted(names)


async def test_list_buckets_single_bucket_is_a_tuple(
    cos: AsyncCosClient, server: LocalCosServer
) -> None:
    name = server.create_bucket()
    listing = await cos.list_buckets_page()
    assert isinstance(listing.buckets, tuple)
    assert [b.name for b in listing.buckets] == [name]


async def test_list_buckets_pages_and_filters(cos: AsyncCosClient, server: LocalCosServer) -> None:
    names = [f"b{i:02d}-1250000000" for i in range(7)]
    for name in names:
        await cos.create_bucket(name)
    page = await cos.list_buckets_page(max_keys=3)
    assert [b.name for b in page.buckets] == names[:3]
    assert page.is_truncated
    assert page.next_marker == names[2]
    rest = await cos.list_buckets_page(marker=page.next_marker, max_keys=3)
    assert [b.name for b in rest.buckets] == names[3:6]
    assert [b.name async for b in cos.list_buckets(page_size=2)] == names
    gets = server.requests.count("ListBuckets")
    assert gets >= 2 + 4  # the two pages above, then four pages of two
    await cos.put_bucket_tagging(names[4], Tagging(tags=(Tag(key="team", value="blue"),)))
    assert [b.name async for b in cos.list_buckets(tag=("team", "blue"))] == [names[4]]
    assert [b.name async for b in cos.list_buckets(region=server.region)] == names
    assert [b async for b in cos.list_buckets(region="ap-nowhere")] == []
    server.store.buckets[names[0]].created = 1_000_000_000.0
    old = [b.name async for b in cos.list_buckets(created=("lt", 1_500_000_000))]
    assert old == [names[0]]
    cut = datetime.datetime(2017, 7, 14, 2, 40, tzinfo=datetime.timezone.utc)  # 1,500,000,000
    assert [b.name async for b in cos.list_buckets(created=("gte", cut))] == names[1:]


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"max_keys": 0}, "max_keys"),
        ({"max_keys": 2001}, "max_keys"),
        ({"tag": ("k",)}, "tag must be"),
        ({"tag": ("k", "")}, "tag must be"),
        ({"created": ("before", 5)}, "created must be"),
        ({"created": ("lt", datetime.datetime(2020, 1, 1))}, "aware datetime"),
        ({"created": ("lt", -1)}, "Unix time"),
        ({"region": "a\nb"}, "line break"),
    ],
)
async def test_list_buckets_bad_input(
    cos: AsyncCosClient, server: LocalCosServer, kwargs: dict[str, object], named: str
) -> None:
    with pytest.raises(InvalidArgument, match=named):
        await cos.list_buckets_page(**kwargs)  # type: ignore[arg-type]
    assert server.requests.records() == []


async def test_create_existing_bucket(cos: AsyncCosClient, bucket: str) -> None:
    with pytest.raises(BucketAlreadyExists) as info:
        await cos.create_bucket(bucket)
    err = info.value
    assert isinstance(err, FileExistsError)
    assert err.status == 409
    assert err.code == "BucketAlreadyExists"
    assert err.bucket == bucket
    assert err.method == "PUT"
    assert err.request_id


async def test_delete_non_empty_bucket(cos: AsyncCosClient, bucket: str) -> None:
    await cos.put_object(bucket, "k", b"x")
    with pytest.raises(BucketNotEmpty) as info:
        await cos.delete_bucket(bucket)
    assert isinstance(info.value, OSError)
    assert info.value.status == 409
    assert info.value.code == "BucketNotEmpty"
    assert await cos.bucket_exists(bucket) is True
    await cos.delete_object(bucket, "k")
    await cos.delete_bucket(bucket)
    assert await cos.bucket_exists(bucket) is False


async def test_delete_bucket_with_only_old_versions_is_not_empty(
    cos: AsyncCosClient, bucket: str, server: LocalCosServer
) -> None:
    server.store.buckets[bucket].versioning = "Enabled"
    put = await cos.put_object(bucket, "k", b"x")
    marker = await cos.delete_object(bucket, "k")
    with pytest.raises(BucketNotEmpty):
        await cos.delete_bucket(bucket)
    await cos.delete_objects(bucket, [("k", put.version_id), ("k", marker.version_id)])
    await cos.delete_bucket(bucket)


async def test_missing_bucket_errors(cos: AsyncCosClient) -> None:
    missing = "missing-1250000000"
    with pytest.raises(NoSuchBucket) as info:
        await cos.head_bucket(missing)
    assert isinstance(info.value, FileNotFoundError)
    assert info.value.status == 404
    assert info.value.request_id  # from the header: a HEAD answer has no body
    with pytest.raises(NoSuchBucket) as info:
        await cos.delete_bucket(missing)
    assert info.value.message == "The specified bucket does not exist."
    with pytest.raises(NoSuchBucket):
        await cos.get_bucket_location(missing)
    with pytest.raises(NoSuchBucket):
        await cos.list_objects_page(missing)


async def test_create_bucket_acl(server: LocalCosServer, cos: AsyncCosClient) -> None:
    public = "public-1250000000"
    private = "private-1250000000"
    await cos.create_bucket(public, acl="public-read")
    await cos.create_bucket(private)
    await cos.put_object(public, "k", b"open")
    await cos.put_object(private, "k", b"closed")
    anonymous = CosConfig(region=server.region, endpoint_url=server.endpoint, anonymous=True)
    async with AsyncCosClient(anonymous) as anon:
        page = await anon.list_objects_page(public)
        assert [o.key for o in page.objects] == ["k"]
        body = await anon.get_object(public, "k")
        assert await body.read() == b"open"
        with pytest.raises(AccessDenied):
            await anon.list_objects_page(private)
        with pytest.raises(AccessDenied):
            await anon.get_object(private, "k")
        with pytest.raises(AccessDenied):
            await anon.head_bucket(private)


async def test_create_bucket_multi_az(cos: AsyncCosClient, server: LocalCosServer) -> None:
    await cos.create_bucket("maz-1250000000", multi_az=True)
    assert "maz-1250000000" in server.store.buckets


async def test_create_bucket_bad_acl_refused(cos: AsyncCosClient, server: LocalCosServer) -> None:
    before = server.requests.count()
    with pytest.raises(InvalidArgument, match="'default'"):
        await cos.create_bucket("b-1250000000", acl="default")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match="grant_read"):
        await cos.create_bucket("b-1250000000", grant_read="nobody")
    assert server.requests.count() == before


@pytest.mark.parametrize("name", BAD_BUCKETS)
async def test_invalid_bucket_names_refused_before_any_request(
    cos: AsyncCosClient, server: LocalCosServer, name: str
) -> None:
    before = server.requests.count()
    calls = [
        cos.create_bucket(name),
        cos.head_bucket(name),
        cos.bucket_exists(name),
        cos.delete_bucket(name),
        cos.get_bucket_location(name),
        cos.list_objects_page(name),
        cos.put_object(name, "k", b"x"),
        cos.get_object(name, "k"),
        cos.head_object(name, "k"),
        cos.delete_objects(name, ["k"]),
        cos.create_multipart_upload(name, "k"),
    ]
    for call in calls:
        with pytest.raises(InvalidArgument) as info:
            await call
        assert repr(name) in str(info.value)
    with pytest.raises(InvalidArgument) as info:
        cos.object_url(name, "k")
    assert repr(name) in str(info.value)
    with pytest.raises(InvalidArgument):
        await cos.copy_object("ok-1250000000", "k", source_bucket=name, source_key="k")
    assert server.requests.count() == before


@pytest.mark.parametrize(
    "name", ["a-1", "abc-1250000000", "a1-b2-c3-1250000000", "x" * 49 + "-1250000000"]
)
async def test_valid_bucket_names(cos: AsyncCosClient, name: str) -> None:
    await cos.create_bucket(name)
    assert await cos.bucket_exists(name)
    await cos.delete_bucket(name)


def test_client_needs_a_config() -> None:
    with pytest.raises(InvalidArgument, match="dict"):
        AsyncCosClient({"region": "ap-guangzhou"})  # type: ignore[arg-type]
