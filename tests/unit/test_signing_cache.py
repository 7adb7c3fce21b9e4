"""Encodings are cached for speed, but never those of secrets (the security token, SSE-C keys):
no secret outlives its request in a module-level cache."""

from __future__ import annotations

from cos_async import _signing


def test_secret_values_never_enter_the_encoding_cache() -> None:
    token = "TOKEN+secret/value=="
    customer_key = "c2VjcmV0IGtleSBieXRlcyAxMjM0NTY3ODkwMTI="
    headers = {
        "Host": "b-1250000000.cos.ap-guangzhou.myqcloud.com",
        "x-cos-security-token": token,
        "x-cos-server-side-encryption-customer-key": customer_key,
        "x-cos-copy-source-server-side-encryption-customer-key": customer_key,
        "Content-Type": "text/plain; charset=utf-8",
    }
    _signing._encode_cached.cache_clear()
    plain = _signing.sign(
        secret_id="AKID",
        secret_key="sk",
        method="put",
        path="/k",
        params={"x-cos-security-token": token, "prefix": "a b"},
        headers=headers,
        start=1,
        end=2,
    )
    # a signature made without the cache at all is the same
    cached = _signing._encode_cached
    try:
        _signing._encode_cached = _signing._encode  # type: ignore[assignment]
        again = _signing.sign(
            secret_id="AKID",
            secret_key="sk",
            method="put",
            path="/k",
            params={"x-cos-security-token": token, "prefix": "a b"},
            headers=headers,
            start=1,
            end=2,
        )
    finally:
        _signing._encode_cached = cached
    assert plain == again
    assert cached.cache_info().currsize > 0  # the cache is used
    # probe what the cache holds: a text it holds is a hit, any other a miss
    _signing._encode_cached.cache_clear()
    _signing.sign(
        secret_id="AKID",
        secret_key="sk",
        method="put",
        path="/k",
        params={"x-cos-security-token": token, "prefix": "a b"},
        headers=headers,
        start=1,
        end=2,
    )
    held = _signing._encode_cached.cache_info().currsize
    assert held > 0  # the cache is used
    for public in ("text/plain; charset=utf-8", "a b", "x-cos-security-token"):
        before = cached.cache_info().hits
        cached(public)
        assert cached.cache_info().hits == before + 1, public
    for secret in (token, customer_key):
        before = cached.cache_info().hits
        cached(secret)
        assert cached.cache_info().hits == before, "a secret was cached"
    cached.cache_clear()
