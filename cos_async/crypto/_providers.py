"""Key providers: what wraps an object's data key and IV under a master key, and unwraps them.

Both built-in providers write what the official SDK's providers (``qcloud_cos.crypto``) write:

* :class:`AesKeyProvider` (the official ``AESProvider``): the data key and then the IV are
  enciphered by **one AES-CTR stream under the master key with the counter starting at 0** (the
  IV takes the keystream's bytes 32..47). Every object's wrap uses the same keystream: anyone who
  reads the metadata of two objects learns the XOR of their data keys, and whoever learns one
  data key learns them all. That is the format; it is kept for interoperability.
* :class:`RsaKeyProvider` (the official ``RSAProvider``): the data key and the IV each
  encrypted with the RSA public key. The official SDK uses **OAEP** (SHA-1, MGF1-SHA-1) when its
  keys come from files (``get_rsa_key_pair_path``, or generated) and **PKCS #1 v1.5** when they
  are given as strings (``get_rsa_key_pair``); its readers only read what the same kind of
  provider wrote. We write OAEP by default (``padding="pkcs1v15"`` for readers built from key
  strings) and read both.

:class:`KeyProvider` is the protocol a custom provider (a KMS, a hardware module) implements;
its methods may be coroutine functions.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Awaitable
from typing import Literal, Protocol, runtime_checkable

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding as rsa_padding
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from cos_async._errors import DecryptionError, InvalidArgument

from ._format import WrappedKey

__all__ = ["AesKeyProvider", "KeyProvider", "RsaKeyProvider"]

#: the smallest RSA modulus accepted (the official SDK generates 2048-bit keys)
MIN_RSA_BITS = 2048
#: OAEP with SHA-1 (and MGF1-SHA-1): PyCryptodome's ``PKCS1_OAEP`` default, which the official
#: SDK uses (SHA-1 in OAEP needs no collision resistance)
_OAEP = rsa_padding.OAEP(
    mgf=rsa_padding.MGF1(algorithm=hashes.SHA1()),  # noqa: S303
    algorithm=hashes.SHA1(),  # noqa: S303
    label=None,
)
_PKCS1V15 = rsa_padding.PKCS1v15()


@runtime_checkable
class KeyProvider(Protocol):
    """What wraps the data key and IV of each object under a master key, and unwraps them.

    ``wrap`` is called once per object written (or multipart upload), ``unwrap`` once per read,
    with what the object's metadata holds. Either may be a coroutine function (a KMS call).
    ``unwrap`` raises :class:`~cos_async.DecryptionError` when it cannot unwrap (another
    provider's key); it must never put key material in an exception, a log line or a repr."""

    def wrap(self, data_key: bytes, iv: bytes) -> WrappedKey | Awaitable[WrappedKey]:
        """The data key and IV of a new object, wrapped (each may be up to 1 KiB)."""
        ...

    def unwrap(self, wrapped: WrappedKey) -> tuple[bytes, bytes] | Awaitable[tuple[bytes, bytes]]:
        """``(data_key, iv)`` of an object, from what its metadata holds."""
        ...


class AesKeyProvider:
    """A symmetric master key (16, 24 or 32 bytes), as the official ``AESProvider``.

    ``AesKeyProvider.from_base64(text)`` takes the key as the official SDK does (``aes_key``, or
    the content of the file ``aes_key_path``). The key never appears in a repr or an error."""

    __slots__ = ("_algorithm", "_bits")

    def __init__(self, key: bytes) -> None:
        if not isinstance(key, bytes | bytearray | memoryview):
            raise InvalidArgument(f"an AES master key is bytes, got {type(key).__name__}")
        key = bytes(key)
        if len(key) not in (16, 24, 32):
            raise InvalidArgument(
                f"an AES master key is 16, 24 or 32 bytes, got {len(key)} bytes "
                "(a base64 key, as the official SDK takes it: AesKeyProvider.from_base64)"
            )
        self._algorithm = algorithms.AES(key)
        self._bits = len(key) * 8

    @classmethod
    def from_base64(cls, text: str | bytes) -> AesKeyProvider:
        """The provider of a base64-encoded key (the official SDK's ``aes_key``)."""
        if not isinstance(text, str | bytes):
            raise InvalidArgument(f"a base64 AES key is str or bytes, got {type(text).__name__}")
        try:
            raw = text.encode("ascii") if isinstance(text, str) else text
            key = base64.b64decode(raw.strip(), validate=True)
        except (binascii.Error, UnicodeEncodeError):
            raise InvalidArgument("the AES master key is not valid base64") from None
        return cls(key)

    @classmethod
    def generate(cls) -> AesKeyProvider:
        """A provider with a fresh random AES-256 key (keep it: see :meth:`key_base64`)."""
        return cls(os.urandom(32))

    def key_base64(self) -> str:
        """The master key, base64-encoded (as the official SDK stores it). Handle with care."""
        return base64.b64encode(self._algorithm.key).decode("ascii")

    def _keystream(self, data: bytes) -> bytes:
        context = Cipher(self._algorithm, modes.CTR(bytes(16))).encryptor()
        return context.update(data) + context.finalize()

    def wrap(self, data_key: bytes, iv: bytes) -> WrappedKey:
        """Encipher ``data_key`` then ``iv`` with one AES-CTR stream (counter 0)."""
        out = self._keystream(data_key + iv)
        return WrappedKey(key=out[: len(data_key)], iv=out[len(data_key) :])

    def unwrap(self, wrapped: WrappedKey) -> tuple[bytes, bytes]:
        """Decipher the key then the IV with one AES-CTR stream (counter 0). A wrong key gives
        random bytes, not an error: the key check of our objects tells (official ones have
        none)."""
        out = self._keystream(wrapped.key + wrapped.iv)
        return out[: len(wrapped.key)], out[len(wrapped.key) :]

    def __repr__(self) -> str:
        return f"AesKeyProvider(bits={self._bits})"

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("a key provider holds a secret key and is not pickled")


def _load_public(data: bytes | str) -> rsa.RSAPublicKey:
    raw = data.encode("ascii") if isinstance(data, str) else bytes(data)
    try:
        key = (
            serialization.load_pem_public_key(raw)
            if raw.lstrip().startswith(b"-----")
            else serialization.load_der_public_key(raw)
        )
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise InvalidArgument("public_key is not a PEM or DER RSA public key") from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise InvalidArgument(f"public_key is not an RSA key but {type(key).__name__}")
    return key


def _load_private(data: bytes | str, password: bytes | None) -> rsa.RSAPrivateKey:
    raw = data.encode("ascii") if isinstance(data, str) else bytes(data)
    try:
        key = (
            serialization.load_pem_private_key(raw, password)
            if raw.lstrip().startswith(b"-----")
            else serialization.load_der_private_key(raw, password)
        )
    except (ValueError, TypeError, UnsupportedAlgorithm):
        # cryptography's messages name no key material, but say nothing we can add to
        raise InvalidArgument(
            "private_key is not a PEM or DER RSA private key, or its password is wrong (or missing)"
        ) from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise InvalidArgument(f"private_key is not an RSA key but {type(key).__name__}")
    return key


class RsaKeyProvider:
    """An RSA key pair, as the official ``RSAProvider``.

    ``public_key`` and ``private_key`` are PEM (or DER) bytes or text, or ``cryptography`` key
    objects; ``password`` opens an encrypted private key. With the private key alone the public
    key is derived from it; with the public key alone the provider can encrypt but not decrypt
    (reads fail with :class:`~cos_async.DecryptionError`). ``padding`` is what new objects are
    written with: ``"oaep"`` (what the official SDK's file-based provider reads) or
    ``"pkcs1v15"`` (what its key-string provider, ``get_rsa_key_pair``, reads); both are read."""

    __slots__ = ("_padding", "_private", "_public")

    def __init__(
        self,
        *,
        public_key: bytes | str | rsa.RSAPublicKey | None = None,
        private_key: bytes | str | rsa.RSAPrivateKey | None = None,
        password: bytes | None = None,
        padding: Literal["oaep", "pkcs1v15"] = "oaep",
    ) -> None:
        if padding not in ("oaep", "pkcs1v15"):
            raise InvalidArgument(f"padding must be 'oaep' or 'pkcs1v15', got {padding!r}")
        if password is not None and not isinstance(password, bytes):
            raise InvalidArgument(f"password is bytes, got {type(password).__name__}")
        private: rsa.RSAPrivateKey | None = None
        if isinstance(private_key, rsa.RSAPrivateKey):
            private = private_key
        elif private_key is not None:
            if not isinstance(private_key, bytes | str):
                raise InvalidArgument(
                    f"private_key is PEM/DER bytes or text, got {type(private_key).__name__}"
                )
            private = _load_private(private_key, password)
        public: rsa.RSAPublicKey
        if isinstance(public_key, rsa.RSAPublicKey):
            public = public_key
        elif public_key is not None:
            if not isinstance(public_key, bytes | str):
                raise InvalidArgument(
                    f"public_key is PEM/DER bytes or text, got {type(public_key).__name__}"
                )
            public = _load_public(public_key)
        elif private is not None:
            public = private.public_key()
        else:
            raise InvalidArgument("RsaKeyProvider needs public_key, private_key or both")
        if private is not None and (
            private.public_key().public_numbers() != public.public_numbers()
        ):
            raise InvalidArgument("public_key and private_key are not one key pair")
        if public.key_size < MIN_RSA_BITS:
            raise InvalidArgument(
                f"the RSA key has {public.key_size} bits; at least {MIN_RSA_BITS} are required"
            )
        self._public = public
        self._private = private
        self._padding = _OAEP if padding == "oaep" else _PKCS1V15

    @classmethod
    def generate(cls, bits: int = 3072) -> RsaKeyProvider:
        """A provider with a fresh key pair (keep it: see :meth:`private_key_pem`)."""
        if not isinstance(bits, int) or bits < MIN_RSA_BITS:
            raise InvalidArgument(f"bits must be an integer >= {MIN_RSA_BITS}, got {bits!r}")
        return cls(private_key=rsa.generate_private_key(public_exponent=65537, key_size=bits))

    @property
    def can_decrypt(self) -> bool:
        """Whether the provider has the private key."""
        return self._private is not None

    def public_key_pem(self) -> bytes:
        """The public key (PEM, SubjectPublicKeyInfo)."""
        return self._public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def private_key_pem(self, password: bytes | None = None) -> bytes:
        """The private key (PEM, PKCS #8; encrypted with ``password`` when given). Handle with
        care."""
        if self._private is None:
            raise InvalidArgument("this RsaKeyProvider has no private key")
        encryption: serialization.KeySerializationEncryption = (
            serialization.BestAvailableEncryption(password)
            if password
            else serialization.NoEncryption()
        )
        return self._private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
        )

    def wrap(self, data_key: bytes, iv: bytes) -> WrappedKey:
        """Encrypt the data key and the IV, each on its own, with the public key."""
        return WrappedKey(
            key=self._public.encrypt(data_key, self._padding),
            iv=self._public.encrypt(iv, self._padding),
        )

    def _decrypt(self, data: bytes, what: str) -> bytes:
        assert self._private is not None
        try:
            return self._private.decrypt(data, _OAEP)
        except ValueError:
            pass
        try:
            # PKCS #1 v1.5, as the official key-string provider writes: with OpenSSL's implicit
            # rejection a wrong key gives random bytes (of a random length) instead of an error
            return self._private.decrypt(data, _PKCS1V15)
        except ValueError:
            raise DecryptionError(
                f"the {what} cannot be decrypted with this RSA private key (another key, or "
                "damaged encryption metadata)"
            ) from None

    def unwrap(self, wrapped: WrappedKey) -> tuple[bytes, bytes]:
        """Decrypt the data key and the IV with the private key (OAEP, else PKCS #1 v1.5)."""
        if self._private is None:
            raise DecryptionError(
                "this RsaKeyProvider has only the public key: it encrypts but cannot decrypt"
            )
        size = self._private.key_size // 8
        if len(wrapped.key) != size or len(wrapped.iv) != size:
            raise DecryptionError(
                f"the wrapped data key and IV are {len(wrapped.key)} and {len(wrapped.iv)} "
                f"bytes, not the {size} of this RSA key (another key, or damaged metadata)"
            )
        return self._decrypt(wrapped.key, "data key"), self._decrypt(wrapped.iv, "IV")

    def __repr__(self) -> str:
        padding = "oaep" if self._padding is _OAEP else "pkcs1v15"
        return (
            f"RsaKeyProvider(bits={self._public.key_size}, padding={padding!r}, "
            f"can_decrypt={self.can_decrypt})"
        )

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("a key provider holds a secret key and is not pickled")
