"""The format's primitives against independent implementations: our AES-CTR at any offset is
PyCryptodome's (the official SDK's library) with the counter its ``new_cipher`` computes; our
providers unwrap what the official providers wrap, and wrap what they unwrap. No server."""

from __future__ import annotations

import base64
import os
import random
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from cos_async import DecryptionError, InvalidArgument
from cos_async.crypto import AesKeyProvider, RsaKeyProvider, WrappedKey
from cos_async.crypto._format import DataKey

from .conftest import RsaPair

Crypto = pytest.importorskip("Crypto")  # PyCryptodome, the official SDK's dependency
from Crypto.Cipher import AES  # noqa: E402
from Crypto.Util import Counter  # noqa: E402


def _reference(key: bytes, iv: bytes, offset: int, data: bytes) -> bytes:
    """What the official ``AESCTRCipher`` does for a read at a block-aligned offset, then the
    bytes into the block dropped (its ranged GET)."""
    aligned = offset - offset % 16
    start = (int.from_bytes(iv, "big") + aligned // 16) % (1 << 128)
    cipher = AES.new(key, AES.MODE_CTR, counter=Counter.new(128, initial_value=start))
    return cipher.encrypt(bytes(offset - aligned) + data)[offset - aligned :]


@pytest.mark.parametrize("seed", range(6))
def test_ctr_at_any_offset_is_the_official_keystream(seed: int) -> None:
    rng = random.Random(seed)
    key = rng.randbytes(32)
    # one IV right below the top of the counter space: the counter wraps in the middle
    iv = (b"\xff" * 15 + b"\xfe") if seed == 0 else rng.randbytes(16)
    data = rng.randbytes(5000)
    cipher = DataKey(key, iv).cipher()
    for offset in (0, 1, 15, 16, 17, 4095, rng.randrange(1 << 40)):
        stream = cipher.at(offset)
        ours = stream.update(data[:7]) + stream.update(data[7:])
        assert ours == _reference(key, iv, offset, data), offset


@pytest.mark.parametrize("key_size", [16, 24, 32])
def test_aes_wrap_is_the_official_wrap(key_size: int) -> None:
    from qcloud_cos.crypto import AESCTRCipher, AESProvider

    master = os.urandom(key_size)
    official = AESProvider(aes_key=base64.b64encode(master).decode(), cipher=AESCTRCipher())
    ours = AesKeyProvider.from_base64(base64.b64encode(master).decode())
    wrapped_key, wrapped_iv = official.init_data_cipher()
    data_key = official._AESProvider__data_key
    iv = official._AESProvider__data_iv
    assert ours.unwrap(WrappedKey(key=wrapped_key, iv=wrapped_iv)) == (data_key, iv)
    assert ours.wrap(data_key, iv) == WrappedKey(key=wrapped_key, iv=wrapped_iv)


@pytest.mark.parametrize("source", ["strings", "files"])
def test_rsa_unwraps_both_official_paddings(source: str, rsa_pair: RsaPair, tmp_path: Path) -> None:
    from qcloud_cos.crypto import AESCTRCipher, RSAProvider

    if source == "strings":
        info = RSAProvider.get_rsa_key_pair(rsa_pair.public_pem, rsa_pair.private_pem)
    else:
        public, private = tmp_path / "pub.pem", tmp_path / "priv.pem"
        public.write_bytes(rsa_pair.public_pem)
        private.write_bytes(rsa_pair.private_pem)
        info = RSAProvider.get_rsa_key_pair_path(str(public), str(private))
    official = RSAProvider(key_pair_info=info, cipher=AESCTRCipher())
    wrapped_key, wrapped_iv = official.init_data_cipher()
    expected = (official._RSAProvider__data_key, official._RSAProvider__data_iv)
    ours = RsaKeyProvider(private_key=rsa_pair.private_pem)
    assert ours.unwrap(WrappedKey(key=wrapped_key, iv=wrapped_iv)) == expected


@pytest.mark.parametrize("padding", ["oaep", "pkcs1v15"])
def test_the_official_rsa_providers_unwrap_ours(padding: str, rsa_pair: RsaPair) -> None:
    from qcloud_cos.crypto import AESCTRCipher, RSAProvider

    ours = RsaKeyProvider(public_key=rsa_pair.public_pem, padding=padding)  # type: ignore[arg-type]
    data_key, iv = os.urandom(32), os.urandom(16)
    wrapped = ours.wrap(data_key, iv)
    if padding == "pkcs1v15":
        info = RSAProvider.get_rsa_key_pair(rsa_pair.public_pem, rsa_pair.private_pem)
        official = RSAProvider(key_pair_info=info, cipher=AESCTRCipher())
        official.init_data_cipter_by_user(wrapped.key, wrapped.iv)
        assert (official._RSAProvider__data_key, official._RSAProvider__data_iv) == (data_key, iv)
    else:
        from Crypto.Cipher import PKCS1_OAEP
        from Crypto.PublicKey import RSA

        reader = PKCS1_OAEP.new(RSA.importKey(rsa_pair.private_pem))  # the file-based reader
        assert (reader.decrypt(wrapped.key), reader.decrypt(wrapped.iv)) == (data_key, iv)


def test_aes_provider_input_checks() -> None:
    with pytest.raises(InvalidArgument, match="16, 24 or 32 bytes, got 20"):
        AesKeyProvider(b"k" * 20)
    with pytest.raises(InvalidArgument, match="is bytes"):
        AesKeyProvider("a string key")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match="not valid base64"):
        AesKeyProvider.from_base64("???")
    provider = AesKeyProvider.generate()
    assert AesKeyProvider.from_base64(provider.key_base64()).wrap(b"k" * 32, b"i" * 16) == (
        provider.wrap(b"k" * 32, b"i" * 16)
    )


def test_rsa_provider_keys(rsa_pair: RsaPair, other_rsa_pair: RsaPair) -> None:
    from Crypto.PublicKey import RSA

    # a private key as the official SDK exports it with a passphrase (legacy PEM encryption)
    exported = RSA.importKey(rsa_pair.private_pem).exportKey(passphrase="pass phrase")
    provider = RsaKeyProvider(private_key=exported, password=b"pass phrase")
    wrapped = RsaKeyProvider(public_key=rsa_pair.public_pem).wrap(b"k" * 32, b"i" * 16)
    assert provider.unwrap(wrapped) == (b"k" * 32, b"i" * 16)
    with pytest.raises(InvalidArgument, match="password"):
        RsaKeyProvider(private_key=exported, password=b"wrong")
    with pytest.raises(InvalidArgument, match="not one key pair"):
        RsaKeyProvider(public_key=rsa_pair.public_pem, private_key=other_rsa_pair.private_pem)
    with pytest.raises(InvalidArgument, match="at least 2048"):
        RsaKeyProvider(private_key=rsa.generate_private_key(public_exponent=65537, key_size=1024))
    with pytest.raises(InvalidArgument, match="needs public_key"):
        RsaKeyProvider()
    with pytest.raises(InvalidArgument, match="padding"):
        RsaKeyProvider(public_key=rsa_pair.public_pem, padding="raw")  # type: ignore[arg-type]
    der = serialization.load_pem_public_key(rsa_pair.public_pem).public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert not RsaKeyProvider(public_key=der).can_decrypt
    # round trip of the exports
    again = RsaKeyProvider(private_key=provider.private_key_pem(b"pw"), password=b"pw")
    assert again.public_key_pem() == provider.public_key_pem()
    with pytest.raises(DecryptionError, match="not the 256 of this RSA key"):
        provider.unwrap(WrappedKey(key=b"x" * 10, iv=b"y" * 10))
