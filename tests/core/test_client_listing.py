"""AsyncCosClient listings against the local COS server: objects (paging, markers, prefixes,
delimiters, key decoding) and object versions."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import gc
import hashlib

import pytest

from cos_async import AsyncCosClient, CommonPrefix, InvalidArgument, ObjectInfo
from cos_async.testing import LocalCosServer


async def put_many(cos: AsyncCosClient, bucket: str, keys: list[str]) -> None:
    sem = asyncio.Semaphore(32)

    async def one(key: str) -> None:
        async with sem:
            await cos.put_object(bucket, key, key.encode())

    await asyncio.gather(*(one(k) for k in keys))


async def test_list_objects_2500_keys_in_three_pages(
    cos: AsyncCosClient, bucket: str, server: LocalCosServer
) -> None:
    keys = [f"obj/{i:05d}" for i in range(2500)]
    await put_many(cos, bucket, keys)
    before = server.requests.count("GetBucket")
    listed = [o async for o in cos.list_objects(bucket, page_size=1000)]
    # each listing asked for its first page, and at most one page ahead (asked while the
    # first was parsed, then cancelled)
    assert 3 <= server.requests.count("GetBucket") - before <= 6
    assert [o.key for o in listed] == keys
    assert all(o.size == len(o.key) for o in listed)
    assert listed[7].etag == f'"{hashlib.md5(b"obj/00007").hexdigest()}"'


async def test_list_objects_entry_fields(
    cos: AsyncCosClient, bucket: str, server: LocalCosServer
) -> None:
    put = await cos.put_object(bucket, "one.txt", b"12345", storage_class="STANDARD_IA")
    [info] = [o async for o in cos.list_objects(bucket)]
    stored = server.store.buckets[bucket].objects["one.txt"][-1]
    assert info == ObjectInfo(
        key="one.txt",
        size=5,
        etag=put.etag,
        last_modified=info.last_modified,
        storage_class="STANDARD_IA",
        owner_id=server.app.owner_uin,
    )
    assert info.last_modified is not None
    assert info.last_modified.tzinfo is not None
    # listings carry milliseconds
    millis = int(stored.last_modified * 1000)
    expected = dt.datetime.fromtimestamp(millis // 1000, tz=dt.timezone.utc)
    assert info.last_modified == expected.replace(microsecond=(millis % 1000) * 1000)


SPECIAL_KEYS = [
    "a b",
    "a+b",
    "a%b",
    "a%2Fb",
    "a%20b",
    "x&y=z",
    "q?r#s",
    "<tag>\"'",
    " leading space",
    "trailing space ",
    "数据/文件 1.txt",
    "emoji 😀",
    "semi;colon,comma",
    "~tilde!*()",
]


async def test_list_objects_decodes_special_keys(cos: AsyncCosClient, bucket: str) -> None:
    for key in SPECIAL_KEYS:
        await cos.put_object(bucket, key, key.encode())
    listed = [o.key async for o in cos.list_objects(bucket)]
    assert listed == sorted(SPECIAL_KEYS)
    # every listed key can be fetched back as is
    for key in listed:
        body = await cos.get_object(bucket, key)
        assert await body.read() == key.encode()


async def test_list_objects_special_keys_across_pages(cos: AsyncCosClient, bucket: str) -> None:
    for key in SPECIAL_KEYS:
        await cos.put_object(bucket, key, b"x")
    listed = [o.key async for o in cos.list_objects(bucket, page_size=3)]
    assert listed == sorted(SPECIAL_KEYS)


async def test_list_objects_prefix_with_special_characters(
    cos: AsyncCosClient, bucket: str
) -> None:
    keys = ["a b/1", "a b/2", "a+b/1", "a%b/1", "数据/1", "数据/2"]
    await put_many(cos, bucket, keys)
    assert [o.key async for o in cos.list_objects(bucket, prefix="a b/")] == ["a b/1", "a b/2"]
    assert [o.key async for o in cos.list_objects(bucket, prefix="a+b/")] == ["a+b/1"]
    assert [o.key async for o in cos.list_objects(bucket, prefix="a%b")] == ["a%b/1"]
    assert [o.key async for o in cos.list_objects(bucket, prefix="数据/")] == ["数据/1", "数据/2"]


async def test_list_objects_prefix_filtering(cos: AsyncCosClient, bucket: str) -> None:
    keys = ["logs/2024/a", "logs/2024/b", "logs/2025/a", "logs-old", "photos/x", "zeta"]
    await put_many(cos, bucket, keys)
    assert [o.key async for o in cos.list_objects(bucket, prefix="logs/")] == keys[:3]
    assert [o.key async for o in cos.list_objects(bucket, prefix="logs")] == sorted(keys[:4])
    assert [o.key async for o in cos.list_objects(bucket, prefix="logs/2024/", page_size=1)] == [
        "logs/2024/a",
        "logs/2024/b",
    ]
    assert [o.key async for o in cos.list_objects(bucket, prefix="nothing")] == []
    assert [o.key async for o in cos.list_objects(bucket)] == sorted(keys)


async def test_list_objects_pages_with_delimiter(cos: AsyncCosClient, bucket: str) -> None:
    keys = ["a/1", "a/2", "a/b/3", "b/1", "c", "d/x/y", "e"]
    await put_many(cos, bucket, keys)
    pages = [p async for p in cos.list_objects_pages(bucket, delimiter="/")]
    assert len(pages) == 1
    assert pages[0].common_prefixes == ("a/", "b/", "d/")
    assert [o.key for o in pages[0].objects] == ["c", "e"]
    assert pages[0].is_truncated is False
    assert pages[0].delimiter == "/"

    # objects under a prefix, one level deep
    [page] = [p async for p in cos.list_objects_pages(bucket, prefix="a/", delimiter="/")]
    assert page.common_prefixes == ("a/b/",)
    assert [o.key for o in page.objects] == ["a/1", "a/2"]
    assert page.prefix == "a/"

    # list_objects with a delimiter yields only the objects, not the prefixes
    assert [o.key async for o in cos.list_objects(bucket, delimiter="/")] == ["c", "e"]


async def test_list_objects_pages_with_delimiter_across_pages(
    cos: AsyncCosClient, bucket: str, server: LocalCosServer
) -> None:
    keys = ["a/1", "a/2", "a/3", "b/1", "c", "d/x/y", "e", "f/1"]
    await put_many(cos, bucket, keys)
    before = server.requests.count("GetBucket")
    pages = [p async for p in cos.list_objects_pages(bucket, delimiter="/", page_size=2)]
    # each listing asked for its first page, and at most one page ahead (asked while the
    # first was parsed, then cancelled)
    assert 3 <= server.requests.count("GetBucket") - before <= 6
    prefixes = [cp for p in pages for cp in p.common_prefixes]
    objects = [o.key for p in pages for o in p.objects]
    assert prefixes == ["a/", "b/", "d/", "f/"]
    assert objects == ["c", "e"]
    assert [p.is_truncated for p in pages] == [True, True, False]
    assert pages[0].next_marker == "b/"
    assert pages[1].marker == "b/"


async def test_list_objects_page_with_explicit_marker(cos: AsyncCosClient, bucket: str) -> None:
    keys = [f"k{i}" for i in range(6)]
    await put_many(cos, bucket, keys)
    page = await cos.list_objects_page(bucket, marker="k2", max_keys=2)
    assert [o.key for o in page.objects] == ["k3", "k4"]
    assert page.is_truncated is True
    assert page.next_marker == "k4"
    assert page.marker == "k2"
    last = await cos.list_objects_page(bucket, marker=page.next_marker or "")
    assert [o.key for o in last.objects] == ["k5"]
    assert last.is_truncated is False
    assert last.next_marker is None
    # a marker between keys, and a marker after every key
    between = await cos.list_objects_page(bucket, marker="k1a")
    assert [o.key for o in between.objects] == ["k2", "k3", "k4", "k5"]
    after = await cos.list_objects_page(bucket, marker="z")
    assert after.objects == ()
    assert after.is_truncated is False
    # list_objects resumes after a marker too
    assert [o.key async for o in cos.list_objects(bucket, marker="k3", page_size=1)] == [
        "k4",
        "k5",
    ]


async def test_list_objects_page_marker_with_special_characters(
    cos: AsyncCosClient, bucket: str
) -> None:
    keys = ["a b", "a+b", "a%b", "数据"]
    await put_many(cos, bucket, keys)
    ordered = sorted(keys)
    first = await cos.list_objects_page(bucket, max_keys=1)
    assert [o.key for o in first.objects] == ordered[:1]
    assert first.next_marker == ordered[0]
    rest = await cos.list_objects_page(bucket, marker=first.next_marker or "")
    assert [o.key for o in rest.objects] == ordered[1:]


async def test_list_empty_bucket(cos: AsyncCosClient, bucket: str) -> None:
    page = await cos.list_objects_page(bucket)
    assert page.objects == ()
    assert page.common_prefixes == ()
    assert page.is_truncated is False
    assert page.request_id
    assert [o async for o in cos.list_objects(bucket)] == []


async def test_list_objects_max_keys_checked(
    cos: AsyncCosClient, bucket: str, server: LocalCosServer
) -> None:
    before = server.requests.count()
    for bad in (0, 1001):
        with pytest.raises(InvalidArgument) as info:
            await cos.list_objects_page(bucket, max_keys=bad)
        assert repr(bad) in str(info.value)
        with pytest.raises(InvalidArgument):
            await cos.list_object_versions_page(bucket, max_keys=bad)
    with pytest.raises(InvalidArgument, match="1001"):
        async for _ in cos.list_objects(bucket, page_size=1001):
            pass
    with pytest.raises(InvalidArgument, match="'Bad'"):
        await cos.list_objects_page("Bad")
    assert server.requests.count() == before


async def test_list_missing_bucket(cos: AsyncCosClient) -> None:
    from cos_async import NoSuchBucket

    with pytest.raises(NoSuchBucket):
        await cos.list_objects_page("missing-1250000000")


async def test_early_break_leaves_no_warning(
    cos: AsyncCosClient, bucket: str, server: LocalCosServer
) -> None:
    await put_many(cos, bucket, [f"k{i}" for i in range(7)])
    before = server.requests.count("GetBucket")
    async for obj in cos.list_objects(bucket, page_size=2):
        assert obj.key == "k0"
        break
    async for page in cos.list_objects_pages(bucket, page_size=2):
        assert len(page.objects) == 2
        break
    async with contextlib.aclosing(cos.list_objects(bucket, page_size=2)) as gen:
        async for obj in gen:
            assert obj.key == "k0"
            break
    # abandoned generators are finalised without warnings (filterwarnings=error)
    gc.collect()
    await asyncio.sleep(0)
    # each listing asked for its first page, and at most one page ahead (asked while the
    # first was parsed, then cancelled)
    assert 3 <= server.requests.count("GetBucket") - before <= 6
    # the client keeps working
    assert len([o async for o in cos.list_objects(bucket, page_size=2)]) == 7


# --- versions -----------------------------------------------------------------------------------


async def test_list_object_versions_with_delete_markers(
    cos: AsyncCosClient, bucket: str, server: LocalCosServer
) -> None:
    state = server.store.buckets[bucket]
    state.versioning = "Enabled"
    v1 = await cos.put_object(bucket, "doc", b"one")
    v2 = await cos.put_object(bucket, "doc", b"two!")
    marker = await cos.delete_object(bucket, "doc")
    keep = await cos.put_object(bucket, "keep", b"k")
    gone = await cos.put_object(bucket, "gone", b"g")
    gone_marker = await cos.delete_object(bucket, "gone")
    assert marker.delete_marker
    assert gone_marker.delete_marker
    # distinct modification times (versions written in the same millisecond would tie)
    base = 1_700_000_000.0
    for key, versions in state.objects.items():
        for i, v in enumerate(versions):
            v.last_modified = base + i + (100 if key == "keep" else 0)

    versions = [v async for v in cos.list_object_versions(bucket)]
    got = [(v.key, v.version_id, v.is_latest, v.is_delete_marker, v.size) for v in versions]
    assert got == [
        ("doc", marker.version_id, True, True, 0),
        ("doc", v2.version_id, False, False, 4),
        ("doc", v1.version_id, False, False, 3),
        ("gone", gone_marker.version_id, True, True, 0),
        ("gone", gone.version_id, False, False, 1),
        ("keep", keep.version_id, True, False, 1),
    ]
    by_id = {v.version_id: v for v in versions}
    assert by_id[v1.version_id or ""].etag == v1.etag
    assert by_id[v1.version_id or ""].storage_class == "STANDARD"
    assert by_id[marker.version_id or ""].etag is None
    assert all(v.last_modified is not None and v.last_modified.tzinfo for v in versions)
    # the current listing hides keys whose latest version is a delete marker
    assert [o.key async for o in cos.list_objects(bucket)] == ["keep"]
    # a prefix restricts the versions too
    assert [v.version_id async for v in cos.list_object_versions(bucket, prefix="k")] == [
        keep.version_id
    ]


async def test_list_object_versions_paging(
    cos: AsyncCosClient, bucket: str, server: LocalCosServer
) -> None:
    server.store.buckets[bucket].versioning = "Enabled"
    ids: list[tuple[str, str | None]] = []
    for key in ("a", "b", "c d"):
        for i in range(3):
            put = await cos.put_object(bucket, key, f"{key}{i}".encode())
            ids.append((key, put.version_id))
    before = server.requests.count("ListObjectVersions")
    versions = [v async for v in cos.list_object_versions(bucket, page_size=2)]
    assert server.requests.count("ListObjectVersions") - before == 5
    assert sorted((v.key, v.version_id) for v in versions) == sorted(ids)
    assert len(versions) == 9
    assert [v.key for v in versions if v.is_latest] == ["a", "b", "c d"]

    page = await cos.list_object_versions_page(bucket, max_keys=4)
    assert page.is_truncated is True
    assert page.next_key_marker == "b"
    # newest version first within a key: a2, a1, a0, then b2
    assert [(v.key, v.version_id) for v in page.versions] == [ids[2], ids[1], ids[0], ids[5]]
    assert page.next_version_id_marker == ids[5][1]
    rest = await cos.list_object_versions_page(
        bucket,
        key_marker=page.next_key_marker or "",
        version_id_marker=page.next_version_id_marker or "",
    )
    assert len(rest.versions) == 5
    assert rest.is_truncated is False


async def test_list_object_versions_delimiter(
    cos: AsyncCosClient, bucket: str, server: LocalCosServer
) -> None:
    server.store.buckets[bucket].versioning = "Enabled"
    for key in ("dir/a", "dir/b", "top"):
        await cos.put_object(bucket, key, b"x")
    page = await cos.list_object_versions_page(bucket, delimiter="/")
    assert page.common_prefixes == ("dir/",)
    assert [v.key for v in page.versions] == ["top"]


async def test_list_object_versions_unversioned_bucket(cos: AsyncCosClient, bucket: str) -> None:
    await cos.put_object(bucket, "k", b"x")
    [v] = [v async for v in cos.list_object_versions(bucket)]
    assert v.key == "k"
    assert v.version_id == "null"
    assert v.is_latest is True
    assert v.is_delete_marker is False


async def test_list_object_versions_special_keys(
    cos: AsyncCosClient, bucket: str, server: LocalCosServer
) -> None:
    server.store.buckets[bucket].versioning = "Enabled"
    for key in SPECIAL_KEYS:
        await cos.put_object(bucket, key, b"x")
    keys = [v.key async for v in cos.list_object_versions(bucket, page_size=4)]
    assert keys == sorted(SPECIAL_KEYS)


# --- list_dir: objects and "directories" from one iterator ------------------------------------


async def test_list_dir_yields_objects_and_prefixes_in_key_order(
    cos: AsyncCosClient, bucket: str
) -> None:
    for key in [
        "photos/a.jpg",
        "photos/2024/x.jpg",
        "photos/2024/y.jpg",
        "photos/b/",
        "photos/z.jpg",
        "other.txt",
    ]:
        await cos.put_object(bucket, key, b"x")
    entries = [e async for e in cos.list_dir(bucket, prefix="photos/", page_size=2)]
    assert entries[0] == CommonPrefix("photos/2024/")
    assert [e.prefix if isinstance(e, CommonPrefix) else e.key for e in entries] == [
        "photos/2024/",
        "photos/a.jpg",
        "photos/b/",
        "photos/z.jpg",
    ]
    # the plain iterator is unchanged: objects only, prefixes left out
    assert [o.key async for o in cos.list_objects(bucket, prefix="photos/", delimiter="/")] == [
        "photos/a.jpg",
        "photos/z.jpg",
    ]
    roots = [e async for e in cos.list_dir(bucket)]
    assert roots == [
        next(e for e in roots if isinstance(e, ObjectInfo)),
        CommonPrefix("photos/"),
    ]
    with pytest.raises(InvalidArgument, match="delimiter"):
        _ = [e async for e in cos.list_dir(bucket, delimiter="")]
