"""Client-side encryption, interoperable with the official SDK's ``CosEncryptionClient``.

    from cos_async import AsyncCosClient
    from cos_async.crypto import AesKeyProvider, AsyncCosEncryptionClient

    async with AsyncCosClient(config) as cos:
        enc = AsyncCosEncryptionClient(cos, AesKeyProvider.from_base64(master_key))
        await enc.put_object(bucket, "secret.bin", b"plaintext")
        body = await enc.get_object(bucket, "secret.bin")

Needs the ``crypto`` extra (``pip install 'cos-async[crypto]'``: the ``cryptography`` package);
``import cos_async`` never imports it. The object format (AES-256-CTR, the wrapped data key and
IV in the object's metadata) is the official SDK's: each SDK reads what the other writes. See
``docs/encryption.md`` for what it protects and what it does not.
"""

from __future__ import annotations

from cos_async._errors import DecryptionError

from ._client import AsyncCosEncryptionClient
from ._format import WrappedKey
from ._providers import AesKeyProvider, KeyProvider, RsaKeyProvider

__all__ = [
    "AesKeyProvider",
    "AsyncCosEncryptionClient",
    "DecryptionError",
    "KeyProvider",
    "RsaKeyProvider",
    "WrappedKey",
]

# the names present themselves as cos_async.crypto.X (DecryptionError is cos_async's own)
for _name in __all__:
    if _name != "DecryptionError":
        globals()[_name].__module__ = __name__
