"""The numbers and JSON documents requests carry, parsed within bounds.

A number is ASCII digits only (``"²"`` passes ``str.isdigit()`` and then fails ``int()``;
``"١٢"`` converts) and at most :data:`MAX_DIGITS` of them (``int()`` refuses strings over 4,300
digits, and a number that long is never a count, size or offset COS knows). A JSON document is
at most ``max_bytes`` long and nests at most :data:`MAX_JSON_DEPTH` arrays and objects
(``json.loads`` raises ``RecursionError`` at about a thousand levels). Pure: no I/O.
"""

from __future__ import annotations

import json
from typing import Any

from ._context import err

__all__ = [
    "MAX_DIGITS",
    "MAX_JSON_BYTES",
    "MAX_JSON_DEPTH",
    "JSONLimitError",
    "is_number",
    "load_json",
    "number_or_none",
    "parse_number",
]

#: The most digits a number in a request may have: every count, size, offset, part number or
#: rate COS uses fits in a signed 64-bit integer, which has 19.
MAX_DIGITS = 19
#: The deepest nesting of arrays and objects in a JSON document (a bucket policy nests 6:
#: ``Statement[]`` / statement / ``Condition`` / operator / key / values).
MAX_JSON_DEPTH = 32
#: The largest JSON document (the local server reads no request document over 4 MiB).
MAX_JSON_BYTES = 4 * 1024 * 1024


def is_number(text: str) -> bool:
    """Whether ``text`` is 1..:data:`MAX_DIGITS` ASCII digits."""
    return 0 < len(text) <= MAX_DIGITS and text.isascii() and text.isdigit()


def number_or_none(text: str | None) -> int | None:
    """``text`` as an integer, or ``None`` when it is no number (see :func:`is_number`)."""
    if text is None or not is_number(text):
        return None
    return int(text)


def parse_number(
    text: str | None,
    name: str,
    *,
    minimum: int = 0,
    maximum: int | None = None,
    code: str = "InvalidArgument",
) -> int:
    """``text`` as an integer in ``minimum..maximum``; 400 ``code`` naming ``name`` otherwise
    (also when it is absent)."""
    value = number_or_none(text.strip() if text is not None else None)
    if value is None or value < minimum or (maximum is not None and value > maximum):
        bounds = f"{minimum}..{maximum}" if maximum is not None else f">= {minimum}"
        shown = text if text is None or len(text) <= 40 else f"{text[:40]}... ({len(text)} chars)"
        raise err(400, code, f"{name} must be an integer in {bounds}, got {shown!r}")
    return value


class JSONLimitError(ValueError):
    """A JSON document that is not JSON, too large or nested too deeply."""


def load_json(
    data: bytes | str, *, max_bytes: int = MAX_JSON_BYTES, max_depth: int = MAX_JSON_DEPTH
) -> Any:
    """``json.loads(data)``, refusing (:class:`JSONLimitError`) documents over ``max_bytes`` or
    nested deeper than ``max_depth``, and anything that is not JSON."""
    if len(data) > max_bytes:
        raise JSONLimitError(f"JSON document larger than {max_bytes} bytes")
    try:
        value = json.loads(data)
    except RecursionError:
        raise JSONLimitError(f"JSON document nests deeper than {max_depth}") from None
    except (ValueError, UnicodeDecodeError) as exc:  # also numbers over 4300 digits
        raise JSONLimitError(f"not JSON: {exc}") from None
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > max_depth:
            raise JSONLimitError(f"JSON document nests deeper than {max_depth}")
        stack.extend((child, depth + 1) for child in children)
    return value
