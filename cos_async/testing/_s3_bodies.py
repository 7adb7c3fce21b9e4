"""Request bodies of S3 (SigV4) requests, checked as they stream: the body's SHA-256 against a
signed ``x-amz-content-sha256``, ``x-amz-checksum-*`` values (header or trailer), and
``aws-chunked`` bodies decoded with each chunk's signature verified.

Each is a stand-in for the request's payload stream (``request.content``) with the part of
aiohttp's ``StreamReader`` interface the handlers use (``readchunk``, ``readany``, ``read``,
``at_eof``...), so that the handlers read decoded, verified bytes without knowing it. A failed
check raises a :class:`CosServerError` from the read that reaches the end of the body (or of
the chunk), before the handler stores anything: uploads are written to a blob that is then
discarded. Nothing is buffered beyond one chunk header or trailer line
(:data:`MAX_LINE`).
"""

from __future__ import annotations

import abc
import base64
import binascii
import hashlib
import hmac
import zlib
from typing import Any, Protocol

from fastcrc import crc32 as _fastcrc32

from ._context import CosServerError, err
from ._sigv4 import (
    STREAMING_SIGNED,
    STREAMING_SIGNED_TRAILER,
    STREAMING_UNSIGNED_TRAILER,
    chunk_string_to_sign,
    signature,
    trailer_string_to_sign,
)

__all__ = [
    "CHECKSUM_ALGORITHMS",
    "MAX_LINE",
    "MAX_TRAILERS",
    "AwsChunkedPayload",
    "Checksum",
    "ChunkSigner",
    "PayloadStream",
    "VerifiedPayload",
    "checksum_of",
]

#: the longest chunk header or trailer line of an ``aws-chunked`` body
MAX_LINE = 4096
#: the most trailing headers an ``aws-chunked`` body may carry
MAX_TRAILERS = 16
#: the most hex digits of a chunk size (2**60 bytes: beyond any upload)
_MAX_SIZE_DIGITS = 15


class PayloadStream(Protocol):
    """What the S3 streams read from: aiohttp's ``StreamReader`` (or another of these)."""

    async def readchunk(self) -> tuple[bytes, bool]: ...

    def at_eof(self) -> bool: ...


# --- checksums -------------------------------------------------------------------------------


class _Crc32:
    def __init__(self) -> None:
        self.value = 0

    def update(self, data: bytes) -> None:
        self.value = zlib.crc32(data, self.value)

    def digest(self) -> bytes:
        return self.value.to_bytes(4, "big")


class _Crc32c(_Crc32):
    def update(self, data: bytes) -> None:
        if data:
            self.value = int(_fastcrc32.iscsi(data, self.value))


def _nvme_table() -> list[int]:
    poly = 0x9A6C9329AC4BC9B5  # CRC-64/NVME, reflected
    table = []
    for i in range(256):
        crc = i
        for _ in range(8):
            crc = (crc >> 1) ^ poly if crc & 1 else crc >> 1
        table.append(crc)
    return table


_NVME = _nvme_table()
_MASK64 = (1 << 64) - 1


class _Crc64Nvme:
    """CRC-64/NVME in pure Python (a few MB/s: only clients with the AWS CRT send it)."""

    def __init__(self) -> None:
        self.value = _MASK64

    def update(self, data: bytes) -> None:
        crc, table = self.value, _NVME
        for byte in data:
            crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
        self.value = crc

    def digest(self) -> bytes:
        return (self.value ^ _MASK64).to_bytes(8, "big")


class _Hash:
    def __init__(self, name: str) -> None:
        self._h = hashlib.new(name)

    def update(self, data: bytes) -> None:
        self._h.update(data)

    def digest(self) -> bytes:
        return self._h.digest()


#: ``x-amz-checksum-<name>`` -> a fresh checksum state
CHECKSUM_ALGORITHMS: dict[str, Any] = {
    "crc32": _Crc32,
    "crc32c": _Crc32c,
    "crc64nvme": _Crc64Nvme,
    "sha1": lambda: _Hash("sha1"),
    "sha256": lambda: _Hash("sha256"),
}


def checksum_of(algorithm: str, data: bytes) -> str:
    """The base64 ``x-amz-checksum-<algorithm>`` value of ``data``."""
    state = CHECKSUM_ALGORITHMS[algorithm]()
    state.update(data)
    return base64.b64encode(state.digest()).decode()


class Checksum:
    """One ``x-amz-checksum-<algorithm>`` being computed over a body, and the value it must have
    (``None`` until a trailer gives it)."""

    def __init__(self, algorithm: str, expected: str | None) -> None:
        if algorithm not in CHECKSUM_ALGORITHMS:
            raise err(
                400,
                "InvalidRequest",
                f"unsupported checksum algorithm x-amz-checksum-{algorithm[:40]}; supported: "
                + ", ".join(sorted(CHECKSUM_ALGORITHMS)),
            )
        self.algorithm = algorithm
        self.expected = expected
        self._state = CHECKSUM_ALGORITHMS[algorithm]()

    @property
    def header(self) -> str:
        return f"x-amz-checksum-{self.algorithm}"

    def update(self, data: bytes) -> None:
        self._state.update(data)

    def check(self) -> None:
        """400 ``BadDigest`` unless the body had the expected value; 400 ``InvalidRequest``
        when it is not base64 of the algorithm's length."""
        value = self.expected
        if value is None:
            raise err(400, "IncompleteBody", f"the body ended without its {self.header} trailer")
        digest = self._state.digest()
        try:
            want = base64.b64decode(value.strip(), validate=True)
        except (binascii.Error, ValueError):
            want = b""
        if len(want) != len(digest):
            shown = value if len(value) <= 100 else value[:100] + "..."
            raise err(
                400, "InvalidRequest", f"Value for {self.header} header is invalid: {shown!r}"
            )
        if not hmac.compare_digest(want, digest):
            raise err(
                400,
                "BadDigest",
                f"The {self.algorithm.upper()} you specified did not match the calculated checksum.",
            )

    @property
    def value(self) -> str:
        """The base64 value of what has been read (for the response's echo)."""
        return base64.b64encode(self._state.digest()).decode()


# --- a body checked against its signed SHA-256 and its checksum ---------------------------------


class _StreamBase(abc.ABC):
    """The reader interface the handlers use, over :meth:`readchunk`."""

    _done: bool
    _error: CosServerError | None
    total_bytes: int

    @abc.abstractmethod
    async def readchunk(self) -> tuple[bytes, bool]: ...

    def at_eof(self) -> bool:
        return self._done

    def is_eof(self) -> bool:
        return self._done

    def exception(self) -> BaseException | None:
        return self._error

    def set_exception(self, exc: BaseException, exc_cause: BaseException | None = None) -> None:
        if isinstance(exc, CosServerError):
            self._error = exc

    async def readany(self) -> bytes:
        data, _ = await self.readchunk()
        return data

    async def read(self, n: int = -1) -> bytes:
        """Up to ``n`` bytes (everything when ``n < 0``; callers bound what they read)."""
        if n >= 0:
            return await self.readany()
        parts: list[bytes] = []
        while True:
            data, _ = await self.readchunk()
            if not data:
                return b"".join(parts)
            parts.append(data)


class VerifiedPayload(_StreamBase):
    """The body as sent, its SHA-256 checked against ``sha256_hex`` (when the client signed a
    hash of it) and its ``x-amz-checksum-*`` header (when it sent one) at the end."""

    def __init__(
        self, raw: PayloadStream, sha256_hex: str | None, checksum: Checksum | None
    ) -> None:
        self._raw = raw
        self._sha = hashlib.sha256() if sha256_hex is not None else None
        self._want = sha256_hex
        self.checksum = checksum
        self._done = False
        self._error = None
        self.total_bytes = 0

    async def readchunk(self) -> tuple[bytes, bool]:
        if self._error is not None:
            raise self._error
        if self._done:
            return b"", False
        while True:
            data, end = await self._raw.readchunk()
            if data:
                self.total_bytes += len(data)
                if self._sha is not None:
                    self._sha.update(data)
                if self.checksum is not None:
                    self.checksum.update(data)
                return data, end
            if self._raw.at_eof():
                self._finish()
                return b"", False

    def _finish(self) -> None:
        try:
            if self._sha is not None and self._sha.hexdigest() != self._want:
                raise err(
                    400,
                    "XAmzContentSHA256Mismatch",
                    "The provided 'x-amz-content-sha256' header does not match what was computed.",
                )
            if self.checksum is not None:
                self.checksum.check()
        except CosServerError as exc:
            self._error = exc
            raise
        self._done = True


# --- aws-chunked ------------------------------------------------------------------------------


class ChunkSigner:
    """What verifies a signed chunked body: the signing key, the request's date and scope, and
    the signature each chunk chains from (the request's own signature, to begin with)."""

    def __init__(self, key: bytes, amz_date: str, scope: str, seed: str) -> None:
        self._key = key
        self.amz_date = amz_date
        self.scope = scope
        self.previous = seed

    def __repr__(self) -> str:
        return f"ChunkSigner(amz_date={self.amz_date!r}, scope={self.scope!r})"

    def verify_chunk(self, chunk_sha256: str, given: str) -> None:
        text = chunk_string_to_sign(self.amz_date, self.scope, self.previous, chunk_sha256)
        self._check(text, given, "chunk")

    def verify_trailer(self, trailers: list[tuple[str, str]], given: str) -> None:
        text = trailer_string_to_sign(self.amz_date, self.scope, self.previous, trailers)
        self._check(text, given, "trailer")

    def _check(self, text: str, given: str, what: str) -> None:
        want = signature(self._key, text)
        if not hmac.compare_digest(want, given):
            raise err(
                403,
                "SignatureDoesNotMatch",
                f"The {what} signature we calculated does not match the one you provided "
                "(aws-chunked body).",
            )
        self.previous = want


_HEADER, _DATA, _DATA_END, _TRAILER, _DONE = range(5)


class AwsChunkedPayload(_StreamBase):
    """An ``aws-chunked`` body decoded: ``<hex size>[;chunk-signature=<sig>]\\r\\n<data>\\r\\n``
    chunks up to a zero-size one, then (with a trailer) ``name:value`` lines and an empty line.

    ``mode`` is the request's ``x-amz-content-sha256``: signed chunks need ``signer``;
    ``decoded_length`` (``x-amz-decoded-content-length``) must be the decoded size when given;
    ``trailer`` names the one trailing header a ``...-TRAILER`` body must end with
    (``x-amz-trailer``), whose checksum is checked against the decoded data.
    """

    def __init__(
        self,
        raw: PayloadStream,
        *,
        mode: str,
        signer: ChunkSigner | None,
        decoded_length: int | None,
        checksum: Checksum | None,
    ) -> None:
        if mode not in (STREAMING_SIGNED, STREAMING_SIGNED_TRAILER, STREAMING_UNSIGNED_TRAILER):
            raise ValueError(f"not an aws-chunked mode: {mode!r}")
        if mode != STREAMING_UNSIGNED_TRAILER and signer is None:
            raise ValueError("signed chunks need a signer")
        self._raw = raw
        self._signed = mode != STREAMING_UNSIGNED_TRAILER
        self._trailer_expected = mode != STREAMING_SIGNED
        self._signer = signer
        self._decoded_length = decoded_length
        self.checksum = checksum
        self._buf = b""
        self._pos = 0
        self._state = _HEADER
        self._left = 0  # bytes of the current chunk's data still to come
        self._chunk_sig = ""
        self._chunk_sha: Any = None
        self._trailers: list[tuple[str, str]] = []
        self._trailer_signature: str | None = None
        self._done = False
        self._error = None
        self.total_bytes = 0  # decoded bytes delivered

    async def readchunk(self) -> tuple[bytes, bool]:
        if self._error is not None:
            raise self._error
        try:
            while True:
                if self._state == _DONE:
                    return b"", False
                out = self._step()
                if out:
                    return out, False
                if out is None:
                    await self._fill()
        except CosServerError as exc:
            self._error = exc
            raise

    async def _fill(self) -> None:
        while True:
            data, _ = await self._raw.readchunk()
            if data:
                rest = self._buf[self._pos :]
                self._buf = rest + data if rest else data
                self._pos = 0
                return
            if self._raw.at_eof():
                raise err(400, "IncompleteBody", "The aws-chunked body ended early.")

    def _line(self) -> str | None:
        """The next CRLF-terminated line (without it), or ``None`` until more bytes arrive."""
        end = self._buf.find(b"\r\n", self._pos)
        if end < 0:
            if len(self._buf) - self._pos > MAX_LINE:
                raise err(400, "InvalidRequest", f"an aws-chunked line exceeds {MAX_LINE} bytes")
            return None
        if end - self._pos > MAX_LINE:
            raise err(400, "InvalidRequest", f"an aws-chunked line exceeds {MAX_LINE} bytes")
        line = self._buf[self._pos : end]
        self._pos = end + 2
        try:
            return line.decode("ascii")
        except UnicodeDecodeError:
            raise err(400, "InvalidRequest", "an aws-chunked line is not ASCII") from None

    def _step(self) -> bytes | None:
        """Advance: decoded bytes, ``b""`` when a state changed, ``None`` to wait for input."""
        state = self._state
        if state == _HEADER:
            line = self._line()
            if line is None:
                return None
            self._chunk_header(line)
            return b""
        if state == _DATA:
            avail = len(self._buf) - self._pos
            if avail == 0:
                return None
            n = min(avail, self._left)
            if self._pos == 0 and n == len(self._buf):
                out, self._buf = self._buf, b""
            else:
                out = self._buf[self._pos : self._pos + n]
                self._pos += n
            self._left -= n
            if self._chunk_sha is not None:
                self._chunk_sha.update(out)
            if self.checksum is not None:
                self.checksum.update(out)
            self.total_bytes += n
            if self._left == 0:
                self._state = _DATA_END
            return out
        if state == _DATA_END:
            if len(self._buf) - self._pos < 2:
                return None
            if self._buf[self._pos : self._pos + 2] != b"\r\n":
                raise err(400, "InvalidRequest", "an aws-chunked chunk does not end with CRLF")
            self._pos += 2
            self._end_of_chunk()
            self._state = _HEADER
            return b""
        # _TRAILER
        line = self._line()
        if line is None:
            return None
        self._trailer_line(line)
        return b""

    def _chunk_header(self, line: str) -> None:
        size_text, _, ext = line.partition(";")
        size_text = size_text.strip()
        if (
            not size_text
            or len(size_text) > _MAX_SIZE_DIGITS
            or any(c not in "0123456789abcdefABCDEF" for c in size_text)
        ):
            raise err(400, "InvalidRequest", f"bad aws-chunked chunk size: {line[:40]!r}")
        size = int(size_text, 16)
        if self._signed:
            name, _, sig = ext.strip().partition("=")
            if name != "chunk-signature" or len(sig) != 64:
                raise err(
                    400,
                    "InvalidRequest",
                    "a signed aws-chunked chunk needs ;chunk-signature=<64 hex digits>",
                )
            self._chunk_sig = sig
            self._chunk_sha = hashlib.sha256()
        if self._decoded_length is not None and self.total_bytes + size > self._decoded_length:
            raise err(
                400,
                "IncompleteBody",
                "The aws-chunked body holds more than x-amz-decoded-content-length "
                f"({self._decoded_length}) bytes.",
            )
        if size == 0:
            self._last_chunk()
            return
        self._left = size
        self._state = _DATA

    def _end_of_chunk(self) -> None:
        if self._signer is not None:
            self._signer.verify_chunk(self._chunk_sha.hexdigest(), self._chunk_sig)

    def _last_chunk(self) -> None:
        if self._signer is not None:
            self._signer.verify_chunk(hashlib.sha256().hexdigest(), self._chunk_sig)
        if self._decoded_length is not None and self.total_bytes != self._decoded_length:
            raise err(
                400,
                "IncompleteBody",
                f"The aws-chunked body held {self.total_bytes} bytes, not the "
                f"{self._decoded_length} of x-amz-decoded-content-length.",
            )
        # a body without a trailer ends with an empty line (the zero chunk's data, none)
        self._state = _TRAILER

    def _trailer_line(self, line: str) -> None:
        if line:
            if self._trailer_signature is not None or len(self._trailers) >= MAX_TRAILERS:
                raise err(400, "InvalidRequest", "unexpected aws-chunked trailer lines")
            name, sep, value = line.partition(":")
            if not sep:
                raise err(400, "InvalidRequest", f"malformed aws-chunked trailer: {line[:60]!r}")
            name, value = name.strip().lower(), value.strip()
            if name == "x-amz-trailer-signature":
                self._trailer_signature = value
            else:
                self._trailers.append((name, value))
            return
        self._end_of_body()

    def _end_of_body(self) -> None:
        if self._trailer_expected:
            if self._signer is not None:
                if self._trailer_signature is None:
                    raise err(400, "InvalidRequest", "the signed trailer has no signature")
                self._signer.verify_trailer(self._trailers, self._trailer_signature)
            if self.checksum is not None:
                given = dict(self._trailers).get(self.checksum.header)
                self.checksum.expected = given
        elif self._trailers:
            raise err(400, "InvalidRequest", "trailing headers need a ...-TRAILER payload mode")
        if self.checksum is not None:
            self.checksum.check()
        self._state = _DONE
        self._done = True
