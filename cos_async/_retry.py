"""Which failures are retried, and how long to wait. ``set_testing(True)`` makes waits zero."""

from __future__ import annotations

import random
import threading

from ._errors import CosServiceError, CosTransportError

__all__ = ["is_retryable", "is_testing", "jitter", "set_testing"]

_RETRY_CODES = frozenset({"SlowDown", "TooManyRequests", "InternalError", "ServiceUnavailable"})

_lock = threading.Lock()
_testing = False


def set_testing(on: bool) -> None:
    """In tests: keep retrying as configured, but never sleep between attempts."""
    global _testing
    with _lock:
        _testing = on


def is_testing() -> bool:
    return _testing


def is_retryable(exc: BaseException) -> bool:
    """5xx, 429 / SlowDown, connection errors and timeouts are worth another attempt."""
    if isinstance(exc, CosTransportError):
        return True
    if isinstance(exc, CosServiceError):
        return exc.status >= 500 or exc.status == 429 or exc.code in _RETRY_CODES
    return False


def jitter() -> float:
    return 0.0 if _testing else random.random()
