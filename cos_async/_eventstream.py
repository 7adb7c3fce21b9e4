"""COS's binary event stream (the framing of AWS event streams), as used by SELECT Object Content.

Pure: no I/O. Each message is::

    total length   u32 BE   the whole message, these 4 bytes and the trailing CRC included
    headers length u32 BE
    prelude CRC    u32 BE   CRC-32 of the 8 bytes above
    headers                 name length (u8), name (UTF-8), value type (u8), value
    payload
    message CRC    u32 BE   CRC-32 of everything before it

Header values are typed; COS only sends strings (type 7: u16 BE length, UTF-8), but every type of
the format decodes (booleans 0/1, integers 2-5, bytes 6, timestamps 8 in ms, UUIDs 9 as bytes).

:class:`EventStreamDecoder` is incremental: feed it the body in chunks of any size and it returns
the messages completed so far, holding at most one unfinished message. Both CRCs are checked, and
lengths that cannot be right are refused before anything is buffered for them; every such failure
raises :class:`~cos_async.IntegrityError`. :func:`encode_message` is the inverse (the local server
uses it).
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Mapping

import attrs

from ._errors import IntegrityError

__all__ = [
    "MAX_HEADERS_LENGTH",
    "MAX_PAYLOAD_LENGTH",
    "PRELUDE_LENGTH",
    "EventStreamDecoder",
    "HeaderValue",
    "Message",
    "encode_message",
]

#: total length, headers length, prelude CRC
PRELUDE_LENGTH = 12
#: prelude + message CRC: the size of a message without headers and payload
_OVERHEAD = PRELUDE_LENGTH + 4
#: limits of the format (as in botocore): a length beyond them means a corrupt stream
MAX_HEADERS_LENGTH = 128 * 1024
MAX_PAYLOAD_LENGTH = 16 * 1024 * 1024

HeaderValue = bool | int | bytes | str

_STRING = 7
_BYTES = 6
#: integer header types -> struct format
_INTS = {2: ">b", 3: ">h", 4: ">i", 5: ">q", 8: ">q"}


@attrs.frozen
class Message:
    """One decoded message: its headers (name -> value) and payload."""

    headers: Mapping[str, HeaderValue]
    payload: bytes = b""


def encode_message(headers: Mapping[str, str | bytes], payload: bytes = b"") -> bytes:
    """One message with string (type 7) or bytes (type 6) headers, CRCs included."""
    parts: list[bytes] = []
    for name, value in headers.items():
        raw_name = name.encode("utf-8")
        if not 1 <= len(raw_name) <= 255:
            raise ValueError(f"a header name must be 1..255 bytes, got {name!r}")
        if isinstance(value, str):
            kind, raw = _STRING, value.encode("utf-8")
        elif isinstance(value, bytes):
            kind, raw = _BYTES, value
        else:
            raise TypeError(f"header {name!r}: value must be str or bytes, got {type(value)}")
        if len(raw) > 0xFFFF:
            raise ValueError(f"header {name!r}: value longer than 65535 bytes")
        parts.append(
            struct.pack(">B", len(raw_name)) + raw_name + struct.pack(">BH", kind, len(raw))
        )
        parts.append(raw)
    head = b"".join(parts)
    if len(head) > MAX_HEADERS_LENGTH or len(payload) > MAX_PAYLOAD_LENGTH:
        raise ValueError("headers or payload too long for one event stream message")
    prelude = struct.pack(">II", _OVERHEAD + len(head) + len(payload), len(head))
    prelude += struct.pack(">I", zlib.crc32(prelude))
    body = prelude + head + payload
    return body + struct.pack(">I", zlib.crc32(body))


class EventStreamDecoder:
    """Incremental decoder: :meth:`feed` chunks, get whole messages; :meth:`finish` at the end.

    After a failure the decoder stays failed (the stream cannot be resynchronised).
    """

    def __init__(self) -> None:
        self._buf = bytearray()
        #: stream offset of ``_buf[0]`` and number of messages decoded (for error messages)
        self._offset = 0
        self._count = 0
        #: (total, headers) length of the message at the front, once its prelude is checked
        self._prelude: tuple[int, int] | None = None
        self._failed: IntegrityError | None = None

    @property
    def buffered(self) -> int:
        """Bytes held for the unfinished message."""
        return len(self._buf)

    def feed(self, data: bytes | bytearray | memoryview) -> list[Message]:
        """Add bytes of the stream; returns the messages they complete (possibly none).

        Messages that precede a bad one in the same chunk are returned first; the error is then
        raised by the next call (:meth:`feed` or :meth:`finish`).
        """
        if self._failed is not None:
            raise self._failed
        self._buf += data
        messages: list[Message] = []
        try:
            while True:
                message = self._next()
                if message is None:
                    return messages
                messages.append(message)
        except IntegrityError as exc:
            self._failed = exc
            if messages:
                return messages
            raise

    def finish(self) -> None:
        """The stream has ended: an unfinished message means it was cut short."""
        if self._failed is not None:
            raise self._failed
        if self._buf:
            want = f" of {self._prelude[0]}" if self._prelude is not None else ""
            self._failed = IntegrityError(
                f"the event stream ended inside message {self._count + 1} (at byte "
                f"{self._offset}): {len(self._buf)}{want} byte(s) received"
            )
            raise self._failed

    def _fail(self, what: str) -> IntegrityError:
        return IntegrityError(
            f"event stream message {self._count + 1} (at byte {self._offset}): {what}"
        )

    def _next(self) -> Message | None:
        buf = self._buf
        if self._prelude is None:
            if len(buf) < PRELUDE_LENGTH:
                return None
            total, hlen, expected = struct.unpack_from(">III", buf)
            actual = zlib.crc32(buf[:8])
            if actual != expected:
                raise self._fail(
                    f"prelude CRC32 mismatch (expected 0x{expected:08x}, computed 0x{actual:08x})"
                )
            if total < _OVERHEAD:
                raise self._fail(f"total length {total} is below the minimum of {_OVERHEAD}")
            if hlen > total - _OVERHEAD:
                raise self._fail(f"headers length {hlen} does not fit in total length {total}")
            if hlen > MAX_HEADERS_LENGTH:
                raise self._fail(f"headers length {hlen} exceeds {MAX_HEADERS_LENGTH}")
            if total - _OVERHEAD - hlen > MAX_PAYLOAD_LENGTH:
                raise self._fail(
                    f"payload length {total - _OVERHEAD - hlen} exceeds {MAX_PAYLOAD_LENGTH}"
                )
            self._prelude = (total, hlen)
        total, hlen = self._prelude
        if len(buf) < total:
            return None
        (expected,) = struct.unpack_from(">I", buf, total - 4)
        with memoryview(buf) as view:
            actual = zlib.crc32(view[: total - 4])
            if actual != expected:
                raise self._fail(
                    f"message CRC32 mismatch (expected 0x{expected:08x}, computed 0x{actual:08x})"
                )
            headers = self._headers(view[PRELUDE_LENGTH : PRELUDE_LENGTH + hlen])
            payload = bytes(view[PRELUDE_LENGTH + hlen : total - 4])
        del buf[:total]
        self._offset += total
        self._count += 1
        self._prelude = None
        return Message(headers, payload)

    def _headers(self, data: memoryview) -> dict[str, HeaderValue]:
        headers: dict[str, HeaderValue] = {}
        pos, end = 0, len(data)
        try:
            while pos < end:
                name_len = data[pos]
                name = bytes(data[pos + 1 : pos + 1 + name_len]).decode("utf-8")
                pos += 1 + name_len
                if name_len == 0 or pos >= end:
                    raise ValueError("a header is cut short")
                kind = data[pos]
                pos += 1
                value: HeaderValue
                if kind in (0, 1):
                    value = kind == 0
                elif kind in _INTS:
                    fmt = _INTS[kind]
                    size = struct.calcsize(fmt)
                    if pos + size > end:
                        raise ValueError("a header is cut short")
                    (value,) = struct.unpack_from(fmt, data, pos)
                    pos += size
                elif kind in (_BYTES, _STRING):
                    if pos + 2 > end:
                        raise ValueError("a header is cut short")
                    (size,) = struct.unpack_from(">H", data, pos)
                    pos += 2
                    if pos + size > end:
                        raise ValueError("a header value is cut short")
                    raw = bytes(data[pos : pos + size])
                    value = raw.decode("utf-8") if kind == _STRING else raw
                    pos += size
                elif kind == 9:
                    if pos + 16 > end:
                        raise ValueError("a UUID header is cut short")
                    value = bytes(data[pos : pos + 16])
                    pos += 16
                else:
                    raise ValueError(f"unknown header value type {kind}")
                if name in headers:
                    raise ValueError(f"duplicate header {name!r}")
                headers[name] = value
        except (ValueError, struct.error) as exc:  # UnicodeDecodeError is a ValueError
            raise self._fail(f"malformed headers: {exc}") from None
        return headers
