"""The object format of COS client-side encryption, as the official Python SDK
(``qcloud_cos.crypto``, ``CosEncryptionClient``) writes it, and its data cipher.

* The data is enciphered with **AES-256-CTR** under a random 32-byte *data key*, the 128-bit
  counter starting at a random 16-byte *IV* read as a big-endian integer and incremented by one
  per 16-byte block (wrapping modulo 2**128). The ciphertext is exactly as long as the plaintext:
  the object's size *is* the plaintext length, and nothing else records it.
* The data key and the IV are wrapped, each on its own, by the master key's provider (see
  ``_providers``) and stored base64-encoded in the object's metadata, set on the PUT or on
  Initiate Multipart Upload: ``x-cos-meta-client-side-encryption-key`` and
  ``x-cos-meta-client-side-encryption-iv``.
* The object is one CTR stream, whatever its parts: byte ``n`` is enciphered with block
  ``n // 16`` of the keystream, so any range is deciphered on its own.
* cos-async adds ``x-cos-meta-client-side-encryption-cos-async-check``: the first 16 bytes of
  HMAC-SHA256(data key, a label and the IV), base64, which tells a wrong master key or damaged
  key metadata from the right one (the format has no such check of its own: with the symmetric
  provider a wrong key "unwraps" to random bytes). The official SDK ignores it.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import re
import secrets

import attrs
from cryptography.hazmat.primitives.ciphers import Cipher, CipherContext, algorithms, modes

from cos_async._errors import CosTransportError, DecryptionError
from cos_async._models import Headers

__all__ = [
    "CHECK_HEADER",
    "DATA_KEY_BYTES",
    "IV_BYTES",
    "IV_HEADER",
    "KEY_HEADER",
    "RESERVED_META_PREFIX",
    "CtrCipher",
    "DataKey",
    "WrappedKey",
    "first_byte",
    "key_metadata",
    "read_key_metadata",
]

DATA_KEY_BYTES = 32
IV_BYTES = 16
_BLOCK = 16
_COUNTER_SPACE = 1 << 128
#: the metadata names (without ``x-cos-meta-``) that client-side encryption owns
RESERVED_META_PREFIX = "client-side-encryption-"
KEY_HEADER = "x-cos-meta-client-side-encryption-key"
IV_HEADER = "x-cos-meta-client-side-encryption-iv"
CHECK_HEADER = "x-cos-meta-client-side-encryption-cos-async-check"
_CHECK_LABEL = b"cos-async client-side encryption key check v1\x00"
_CHECK_BYTES = 16
#: longest base64 value read from the metadata (an RSA-8192 wrap is 1,368 characters)
_MAX_ENCODED = 2048
_CONTENT_RANGE = re.compile(r"bytes (\d{1,19})-(\d{1,19})/(\d{1,19}|\*)")


@attrs.frozen(repr=False)
class WrappedKey:
    """An object's data key and IV as its key provider wrapped them: what the object's metadata
    holds (base64-encoded). Not the keys themselves, but still not printed."""

    key: bytes = attrs.field(validator=attrs.validators.instance_of(bytes))
    iv: bytes = attrs.field(validator=attrs.validators.instance_of(bytes))

    def __repr__(self) -> str:
        return f"WrappedKey(<{len(self.key)} + {len(self.iv)} bytes>)"


class DataKey:
    """The secret of one object: its data key and IV. Never printed, never pickled."""

    __slots__ = ("_iv", "_key")

    def __init__(self, key: bytes, iv: bytes) -> None:
        if not isinstance(key, bytes) or len(key) not in (16, 24, 32):
            raise DecryptionError(
                "the unwrapped data key is not an AES key (16, 24 or 32 bytes): "
                "a wrong master key or damaged encryption metadata"
            )
        if not isinstance(iv, bytes) or len(iv) != IV_BYTES:
            raise DecryptionError(
                f"the unwrapped IV is not {IV_BYTES} bytes: a wrong master key or damaged "
                "encryption metadata"
            )
        self._key = key
        self._iv = iv

    @classmethod
    def generate(cls) -> DataKey:
        """A fresh random data key (AES-256) and IV, as the official SDK makes them."""
        return cls(secrets.token_bytes(DATA_KEY_BYTES), secrets.token_bytes(IV_BYTES))

    @property
    def key(self) -> bytes:
        return self._key

    @property
    def iv(self) -> bytes:
        return self._iv

    def check_value(self) -> bytes:
        """What ``CHECK_HEADER`` holds (decoded): a MAC of the IV under the data key."""
        return hmac.digest(self._key, _CHECK_LABEL + self._iv, "sha256")[:_CHECK_BYTES]

    def cipher(self) -> CtrCipher:
        return CtrCipher(self)

    def __repr__(self) -> str:
        return "DataKey(<secret>)"

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("a DataKey is secret and is not pickled")


class CtrCipher:
    """AES-CTR over a whole object (the ``ObjectCipher`` of ``cos_async._body``): ``at(n)`` is
    the cipher from byte ``n`` on; encrypting and decrypting are the same operation."""

    __slots__ = ("_algorithm", "_counter")

    def __init__(self, data_key: DataKey) -> None:
        self._algorithm = algorithms.AES(data_key.key)
        self._counter = int.from_bytes(data_key.iv, "big")

    def at(self, offset: int) -> CipherContext:
        if offset < 0:
            raise ValueError(f"offset must be >= 0, got {offset}")
        block, skip = divmod(offset, _BLOCK)
        nonce = ((self._counter + block) % _COUNTER_SPACE).to_bytes(_BLOCK, "big")
        context = Cipher(self._algorithm, modes.CTR(nonce)).encryptor()
        if skip:
            context.update(bytes(skip))  # into the block: its first bytes are not ours
        return context

    def __repr__(self) -> str:
        return "CtrCipher(<secret>)"

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("a CtrCipher holds a secret key and is not pickled")


def key_metadata(wrapped: WrappedKey, data_key: DataKey) -> dict[str, str]:
    """The metadata of an encrypted object (names without the ``x-cos-meta-`` prefix)."""
    prefix = len("x-cos-meta-")
    return {
        KEY_HEADER[prefix:]: base64.b64encode(wrapped.key).decode("ascii"),
        IV_HEADER[prefix:]: base64.b64encode(wrapped.iv).decode("ascii"),
        CHECK_HEADER[prefix:]: base64.b64encode(data_key.check_value()).decode("ascii"),
    }


def _one(headers: Headers, name: str, what: str) -> bytes | None:
    # answers' headers are a case-insensitive multidict: a name sent twice is seen twice
    getall = getattr(headers, "getall", None)
    if callable(getall):
        values = [str(v) for v in getall(name, [])]
    else:
        values = [headers[name]] if name in headers else []
    if not values:
        return None
    if len(values) > 1:
        raise DecryptionError(f"{what}: the metadata {name} appears {len(values)} times")
    text = values[0].strip()
    if len(text) > _MAX_ENCODED:
        raise DecryptionError(f"{what}: the metadata {name} is {len(text)} characters long")
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise DecryptionError(f"{what}: the metadata {name} is not base64") from None


def read_key_metadata(headers: Headers, what: str) -> tuple[WrappedKey, bytes | None] | None:
    """The wrapped key and the key check an object's headers hold (``None``: the object is
    not client-side encrypted); :class:`DecryptionError` when they are incomplete or
    malformed."""
    key = _one(headers, KEY_HEADER, what)
    iv = _one(headers, IV_HEADER, what)
    check = _one(headers, CHECK_HEADER, what)
    if key is None and iv is None and check is None:
        return None
    if key is None or iv is None:
        missing = KEY_HEADER if key is None else IV_HEADER
        raise DecryptionError(f"{what}: incomplete encryption metadata (no {missing})")
    if not key or not iv:
        raise DecryptionError(f"{what}: empty encryption metadata")
    return WrappedKey(key=key, iv=iv), check


def first_byte(headers: Headers, what: str) -> int:
    """Where the body of a GET answer starts in the object (its ``Content-Range``; 0 without)."""
    value = headers.get("Content-Range")
    if value is None:
        return 0
    m = _CONTENT_RANGE.fullmatch(value.strip())
    if m is None:
        raise CosTransportError(f"{what}: malformed Content-Range {value[:80]!r}")
    return int(m.group(1))
