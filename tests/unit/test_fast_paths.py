"""The fast paths of hot pure functions give exactly what their general forms give."""

from __future__ import annotations

import datetime as dt
import email.utils
from urllib.parse import quote

from hypothesis import given
from hypothesis import strategies as st

from cos_async._models import parse_http_date
from cos_async._signing import _encode
from cos_async._validate import encode_key

# mostly characters that need no encoding, plus the ones that do
_TEXT = st.text(alphabet=st.sampled_from("aZ09-_.~/ %+é中\x00"), max_size=12) | st.text(max_size=8)


def _encode_key_reference(key: str) -> str:
    segments = [quote(seg.encode("utf-8"), safe="-_.~") for seg in key.split("/")]
    segments = [s.replace(".", "%2E") if s in (".", "..") else s for s in segments]
    return "/".join(segments)


@given(_TEXT)
def test_encode_key_matches_the_general_form(key: str) -> None:
    assert encode_key(key) == _encode_key_reference(key)


def test_encode_key_dot_segments() -> None:
    assert encode_key("a/./b/../c") == "a/%2E/b/%2E%2E/c"
    assert encode_key("..") == "%2E%2E"
    assert encode_key("a.txt/.hidden") == "a.txt/.hidden"


@given(_TEXT)
def test_signing_encode_matches_quote(text: str) -> None:
    assert _encode(text) == quote(text.encode("utf-8"), safe="-_.~")


@given(st.datetimes(min_value=dt.datetime(1970, 1, 1), max_value=dt.datetime(9999, 12, 31)))
def test_http_dates_match_email_utils(when: dt.datetime) -> None:
    text = email.utils.format_datetime(
        when.replace(microsecond=0, tzinfo=dt.timezone.utc), usegmt=True
    )
    got = parse_http_date(text)
    assert got == email.utils.parsedate_to_datetime(text)
    assert got is not None
    assert got.utcoffset() == dt.timedelta(0)


def test_http_dates_other_forms_and_garbage() -> None:
    # not IMF-fixdate: the general parser still reads them
    assert parse_http_date("Fri, 4 Dec 2026 05:06:07 +0800") == dt.datetime(
        2026, 12, 4, 5, 6, 7, tzinfo=dt.timezone(dt.timedelta(hours=8))
    )
    assert parse_http_date("Fri, 31 Feb 2026 05:06:07 GMT") is None  # no such day
    assert parse_http_date("Fri, 04 Foo 2026 05:06:07 GMT") is None
    assert parse_http_date("") is None
    assert parse_http_date(None) is None
