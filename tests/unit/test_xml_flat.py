"""``parse_flat``: listing pages read straight into flat records, with the guards of
``parse`` (no DOCTYPE, bounded size and depth), and the same answers as ``parse``."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cos_async._errors import CosClientError
from cos_async._ops.listing import listed_size
from cos_async._xml import MAX_XML_DEPTH, XMLError, build, parse, parse_flat, text_of

PAGE = b"""<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult>
  <Name>b-1250000000</Name>
  <IsTruncated>true</IsTruncated>
  <NextMarker>b%20c</NextMarker>
  <Contents><Key> lead</Key><Size>12</Size><Owner><ID>1250000000</ID></Owner></Contents>
  <Contents><Key>a&amp;b</Key><Size></Size></Contents>
  <CommonPrefixes><Prefix>dir/</Prefix></CommonPrefixes>
</ListBucketResult>"""


def test_a_page() -> None:
    page = parse_flat(PAGE, "ListBucketResult", ("Contents", "CommonPrefixes"))
    assert page.fields["IsTruncated"] == "true"
    assert page.fields["NextMarker"] == "b%20c"
    assert page.records["Contents"] == [
        {"Key": " lead", "Size": "12", "Owner/ID": "1250000000", "Owner": ""},
        {"Key": "a&b", "Size": ""},
    ]
    assert page.records["CommonPrefixes"] == [{"Prefix": "dir/"}]


def test_an_empty_page() -> None:
    page = parse_flat(b"<ListBucketResult/>", "ListBucketResult", ("Contents",))
    assert page.fields == {}
    assert page.records == {"Contents": []}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'<!DOCTYPE x [<!ENTITY a "b">]><ListBucketResult/>', "DOCTYPE"),
        (b"<Error><Code>x</Code></Error>", "expected a <ListBucketResult>"),
        (b"<ListBucketResult><Contents>", "malformed"),
        (b"", "malformed"),
        (b"<ListBucketResult>" + b"<a>" * (MAX_XML_DEPTH + 1), "deeper than"),
    ],
)
def test_hostile_documents(data: bytes, message: str) -> None:
    with pytest.raises(XMLError, match=message):
        parse_flat(data, "ListBucketResult", ("Contents",))


def test_size_is_bounded() -> None:
    with pytest.raises(XMLError, match="larger than 100 bytes"):
        parse_flat(
            b"<ListBucketResult>" + b" " * 200 + b"</ListBucketResult>",
            "ListBucketResult",
            (),
            max_bytes=100,
        )


def test_deep_nesting_costs_linear_time() -> None:
    # 60,000 levels are refused at the 65th: nothing quadratic happens before
    data = b"<ListBucketResult>" + b"<a>" * 60_000
    started = time.process_time()
    with pytest.raises(XMLError):
        parse_flat(data, "ListBucketResult", ("Contents",))
    assert time.process_time() - started < 5  # a bound on runaway cost, not a benchmark


keys = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r"),
    max_size=20,
).filter(lambda k: all(c >= " " or c in "\t\n" for c in k))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(keys, st.integers(0, 10**12)), max_size=8))
def test_the_same_answers_as_parse(rows: list[tuple[str, int]]) -> None:
    doc = build(
        "ListBucketResult",
        {
            "IsTruncated": "false",
            "Contents": [{"Key": k, "Size": str(n)} for k, n in rows],
        },
    )
    flat = parse_flat(doc, "ListBucketResult", ("Contents",))
    tree = parse(doc)["ListBucketResult"]
    expected = [
        {"Key": text_of(c.get("Key")), "Size": text_of(c.get("Size"))}
        for c in tree.get("Contents", [])
    ]
    assert flat.records["Contents"] == expected
    assert flat.fields["IsTruncated"] == "false"


@pytest.mark.parametrize("text", ["12a", "²", "-1", " 1"])
def test_a_malformed_listed_size_is_a_client_error(text: str) -> None:
    with pytest.raises(CosClientError, match="malformed object size"):
        listed_size(text)
    assert listed_size("") == 0
    assert listed_size("42") == 42
