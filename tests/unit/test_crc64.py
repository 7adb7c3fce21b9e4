"""Unit tests for cos_async._crc64 (CRC-64/XZ, COS's ``x-cos-hash-crc64ecma``)."""

from __future__ import annotations

import os
import random
import sys
from collections.abc import Callable

import crcmod
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cos_async._crc64 import (
    CRC64_MAX,
    Crc64,
    combine,
    combine_all,
    crc64,
    format_crc64,
    parse_crc64,
)

# The official SDK's definition of the checksum: the independent oracle for every test below.
_crcmod_crc64: Callable[..., int] = crcmod.mkCrcFun(
    0x142F0E1EBA9EA3693, initCrc=0, xorOut=0xFFFFFFFFFFFFFFFF, rev=True
)

CHECK_123456789 = 11051210869376104954  # 0x995DC9BBDF1939FA, the CRC-64/XZ check value

MIB = 1024 * 1024
BLOB_LEN = 5 * MIB + 3
BLOB_CRC = 17009629849611678351


@pytest.fixture(scope="module")
def blob() -> bytes:
    return bytes((i * 7 + (i >> 8)) & 0xFF for i in range(BLOB_LEN))


def oracle(data: bytes, crc: int = 0) -> int:
    return _crcmod_crc64(data, crc)


# --- the oracle itself -------------------------------------------------------------------------


def test_crcmod_uses_its_c_extension() -> None:
    # Without the extension crcmod silently falls back to pure Python (~8 MB/s), which makes the
    # oracle comparisons (and the official SDK's own uploads) crawl. Fail loudly, do not skip.
    module = sys.modules["crcmod.crcmod"]
    assert module._usingExtension is True, (
        "crcmod is running without its C extension (crcmod._crcfunext), i.e. the pure-Python "
        "fallback at ~8 MB/s. Install gcc and the Python headers, then rebuild it with: "
        "pip install --no-cache-dir --force-reinstall crcmod"
    )


# --- known vectors -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", 0),
        (b"a", 3675645893302102789),
        (b"123456789", CHECK_123456789),
        (b"Hello, COS!\n", 12412859443229974386),
    ],
)
def test_vectors(data: bytes, expected: int) -> None:
    assert crc64(data) == expected
    assert oracle(data) == expected


def test_check_value_hex() -> None:
    assert crc64(b"123456789") == 0x995DC9BBDF1939FA


def test_large_vector(blob: bytes) -> None:
    assert len(blob) == BLOB_LEN
    assert crc64(blob) == BLOB_CRC
    assert oracle(blob) == BLOB_CRC


def test_empty_keeps_previous_value() -> None:
    assert crc64(b"", 12345) == 12345
    assert crc64(memoryview(b""), CHECK_123456789) == CHECK_123456789


# --- against crcmod ----------------------------------------------------------------------------


@given(st.binary(max_size=4096))
def test_matches_crcmod(data: bytes) -> None:
    assert crc64(data) == oracle(data)


@given(st.binary(max_size=2048), st.binary(max_size=2048))
def test_continuation(a: bytes, b: bytes) -> None:
    assert crc64(b, crc64(a)) == crc64(a + b) == oracle(a + b)
    assert crc64(b, oracle(a)) == oracle(b, oracle(a))


@given(st.binary(max_size=1024), st.integers(min_value=0, max_value=64))
def test_bytearray_and_memoryview(data: bytes, skip: int) -> None:
    expected = oracle(data)
    assert crc64(bytearray(data)) == expected
    assert crc64(memoryview(data)) == expected
    # A memoryview slice that does not start at the beginning of its buffer.
    padded = os.urandom(skip) + data
    assert crc64(memoryview(padded)[skip:]) == expected
    assert crc64(memoryview(bytearray(padded))[skip:]) == expected


@pytest.mark.parametrize("size", [1, 7, 8, 9, 4095, 65537, 3 * MIB + 5])
def test_random_buffers_match_crcmod(size: int) -> None:
    data = os.urandom(size)
    assert crc64(data) == oracle(data)
    cut = size // 3
    assert crc64(data[cut:], crc64(data[:cut])) == oracle(data)
    assert crc64(memoryview(data)[cut:], crc64(bytearray(data[:cut]))) == oracle(data)


# --- combine -----------------------------------------------------------------------------------

_POLY_REFLECTED = 0xC96C5795D7870F42


def _gf2_times(mat: list[int], vec: int) -> int:
    out = 0
    i = 0
    while vec:
        if vec & 1:
            out ^= mat[i]
        vec >>= 1
        i += 1
    return out


def _gf2_square(mat: list[int]) -> list[int]:
    return [_gf2_times(mat, mat[n]) for n in range(64)]


def reference_combine(crc1: int, crc2: int, len2: int) -> int:
    """zlib 1.2.11 ``crc32_combine_`` transcribed to 64 bits: squares the operators on every call.

    Deliberately slow (tens of ms for 2**45 bytes) and independent of the module's caches.
    """
    if len2 <= 0:
        return crc1
    odd = [_POLY_REFLECTED] + [1 << n for n in range(63)]  # operator for one zero bit
    even = _gf2_square(odd)  # two zero bits
    odd = _gf2_square(even)  # four zero bits
    while True:
        even = _gf2_square(odd)  # first pass: one zero byte
        if len2 & 1:
            crc1 = _gf2_times(even, crc1)
        len2 >>= 1
        if not len2:
            break
        odd = _gf2_square(even)
        if len2 & 1:
            crc1 = _gf2_times(odd, crc1)
        len2 >>= 1
        if not len2:
            break
    return crc1 ^ crc2


@pytest.mark.parametrize(("a", "b"), [(b"x", b"y"), (b"12345", b"6789"), (b"", b"abc" * 100)])
def test_reference_combine_is_itself_right(a: bytes, b: bytes) -> None:
    assert reference_combine(oracle(a), oracle(b), len(b)) == oracle(a + b)


def test_combine_check_value() -> None:
    assert combine(crc64(b"12345"), crc64(b"6789"), 4) == CHECK_123456789


@settings(deadline=None)
@given(st.binary(max_size=2048), st.binary(max_size=2048))
def test_combine_property(a: bytes, b: bytes) -> None:
    assert combine(crc64(a), crc64(b), len(b)) == crc64(a + b)


def test_combine_all_mib_slices(blob: bytes) -> None:
    pieces = [
        (crc64(blob[off : off + MIB]), len(blob[off : off + MIB]))
        for off in range(0, BLOB_LEN, MIB)
    ]
    assert len(pieces) == 6
    assert pieces[-1][1] == 3
    assert combine_all(pieces) == BLOB_CRC
    assert combine_all(iter(pieces)) == BLOB_CRC


def test_combine_all_empty_and_single() -> None:
    assert combine_all([]) == 0
    assert combine_all([(CHECK_123456789, 9)]) == CHECK_123456789
    assert combine_all([(0, 0), (CHECK_123456789, 9), (0, 0)]) == CHECK_123456789


@pytest.mark.parametrize("crc_a", [0, 1, CHECK_123456789, CRC64_MAX])
def test_combine_empty_piece(crc_a: int) -> None:
    assert combine(crc_a, 0, 0) == crc_a


def test_combine_negative_length() -> None:
    with pytest.raises(ValueError, match="-1"):
        combine(1, 2, -1)


def test_combine_empty_piece_with_nonzero_crc() -> None:
    with pytest.raises(ValueError, match="12345"):
        combine(1, 12345, 0)


@settings(deadline=None, max_examples=5)
@given(
    st.integers(min_value=0, max_value=CRC64_MAX),
    st.integers(min_value=0, max_value=CRC64_MAX),
)
def test_combine_huge_length_matches_reference(crc_a: int, crc_b: int) -> None:
    # 48.82 TB (COS's maximum object size) and 5 GiB (the maximum part size).
    for len_b in (48_820_000_000_000, 5 * 1024**3):
        assert combine(crc_a, crc_b, len_b) == reference_combine(crc_a, crc_b, len_b)


def test_combine_huge_lengths_fixed() -> None:
    for len_b in (48_820_000_000_000, 5 * 1024**3, 2**63 + 12345):
        got = combine(CHECK_123456789, BLOB_CRC, len_b)
        assert 0 <= got <= CRC64_MAX
        assert got == reference_combine(CHECK_123456789, BLOB_CRC, len_b)


@settings(deadline=None)
@given(
    st.integers(min_value=0, max_value=CRC64_MAX),
    st.integers(min_value=0, max_value=CRC64_MAX),
    st.integers(min_value=0, max_value=CRC64_MAX),
    st.integers(min_value=1, max_value=50_000_000_000_000),
    st.integers(min_value=1, max_value=50_000_000_000_000),
)
def test_combine_is_associative(a: int, b: int, c: int, len_b: int, len_c: int) -> None:
    # Holds for any CRC values, so lengths far beyond what could be hashed here are exercised.
    left = combine(combine(a, b, len_b), c, len_c)
    right = combine(a, combine(b, c, len_c), len_b + len_c)
    assert left == right


def test_combine_ten_thousand_parts() -> None:
    rng = random.Random(20240101)
    parts = [rng.randbytes(rng.randrange(0, 48)) for _ in range(10_000)]
    pieces = [(crc64(p), len(p)) for p in parts]
    whole = b"".join(parts)
    assert len(pieces) == 10_000
    assert combine_all(pieces) == crc64(whole) == oracle(whole)


# --- Crc64 -------------------------------------------------------------------------------------


def test_crc64_class_initial_state() -> None:
    c = Crc64()
    assert c.value == 0
    assert c.length == 0
    c.update(b"")
    assert (c.value, c.length) == (0, 0)


@given(st.lists(st.binary(max_size=512), max_size=20))
def test_crc64_class_chunks(chunks: list[bytes]) -> None:
    c = Crc64()
    for i, chunk in enumerate(chunks):
        # Mix the accepted buffer types.
        c.update(chunk if i % 3 == 0 else bytearray(chunk) if i % 3 == 1 else memoryview(chunk))
    whole = b"".join(chunks)
    assert c.value == crc64(whole) == oracle(whole)
    assert c.length == len(whole)


def test_crc64_class_large_chunks(blob: bytes) -> None:
    c = Crc64()
    view = memoryview(blob)
    for off in range(0, len(blob), 1_000_003):
        c.update(view[off : off + 1_000_003])
    assert c.value == BLOB_CRC
    assert c.length == BLOB_LEN


def test_crc64_class_resume() -> None:
    c = Crc64(crc64(b"12345"), 5)
    c.update(b"6789")
    assert c.value == CHECK_123456789
    assert c.length == 9
    assert repr(c) == f"Crc64(value={CHECK_123456789}, length=9)"


# --- format / parse ----------------------------------------------------------------------------


@given(st.integers(min_value=0, max_value=CRC64_MAX))
def test_format_parse_round_trip(crc: int) -> None:
    text = format_crc64(crc)
    assert text == str(crc)
    assert text.isascii()
    assert text.isdigit()
    assert parse_crc64(text) == crc


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", 0),
        ("11051210869376104954", CHECK_123456789),
        ("18446744073709551615", CRC64_MAX),
        (" 12 ", 12),
        ("12\r\n", 12),
        ("007", 7),
    ],
)
def test_parse_accepts(text: str, expected: int) -> None:
    assert parse_crc64(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "-1",
        "+1",
        "abc",
        "0x1F",
        "1.0",
        "1 2",
        "1_000",
        "18446744073709551616",  # 2**64
        "99999999999999999999",
        "184467440737095516150",  # 21 digits
    ],
)
def test_parse_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="CRC64") as info:
        parse_crc64(text)
    assert repr(text) in str(info.value)


@pytest.mark.parametrize("text", ["١٢", "１２", "²"])
def test_parse_rejects_non_ascii_digits(text: str) -> None:
    with pytest.raises(ValueError, match="CRC64") as info:
        parse_crc64(text)
    assert repr(text) in str(info.value)
