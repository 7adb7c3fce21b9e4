"""``guess_content_type`` caches by a key's last two suffixes: the same answers as
``mimetypes.guess_type`` for any key."""

from __future__ import annotations

import mimetypes

from hypothesis import given, settings
from hypothesis import strategies as st

from cos_async._validate import guess_content_type

SUFFIXES = ["txt", "gz", "tar", "json", "png", "JPG", "pdf", "html", "svgz", "tgz", "bz2", "", "Z"]
names = st.builds(
    lambda stem, dots, parts: stem + dots + ".".join(parts),
    st.text(alphabet="ab._-/ü:", max_size=8),
    st.sampled_from(["", ".", "..", "DATA:", "data:text/plain,", "ab:."]),
    st.lists(st.sampled_from(SUFFIXES), max_size=3),
)


@settings(max_examples=500, deadline=None)
@given(names)
def test_the_same_answer_as_mimetypes(key: str) -> None:
    assert guess_content_type(key) == (mimetypes.guess_type(key)[0] or "application/octet-stream")


def test_examples() -> None:
    assert guess_content_type("dir/a.tar.gz") == "application/x-tar"
    assert guess_content_type(".bashrc") == "application/octet-stream"
    assert guess_content_type("x/photo.JPG") == "image/jpeg"
    assert guess_content_type("ab:.tar.gz") == "application/octet-stream"  # as mimetypes reads it
