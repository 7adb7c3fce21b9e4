"""The exceptions of cos_async (and of cos_sync, which raises the very same classes).

::

    CosError                               base of everything this SDK raises
    ├── CosClientError                     the request did not get a COS answer, or was refused locally
    │   ├── InvalidArgument (ValueError)   bad input, detected before any request is sent
    │   ├── CredentialsError               no credentials, or the provider failed
    │   ├── CosTransportError (OSError)    connection failed, reset, or the body was cut short
    │   │   └── CosTimeoutError (TimeoutError)
    │   ├── PoolTimeout (TimeoutError)     no free connection in the pool in time (not retried)
    │   ├── RetryExhausted                 every attempt failed; ``attempts``, ``last_error``
    │   ├── IntegrityError                 a CRC64 / MD5 / length check failed on data received or stored
    │   └── DecryptionError                client-side encryption: no key opens the object's data key
    └── CosServiceError                    COS answered with an error (status, code, message, request_id, ...)
        ├── NoSuchBucket (FileNotFoundError)
        ├── NoSuchKey (FileNotFoundError)
        ├── NoSuchUpload (FileNotFoundError)
        ├── NoSuchVersion (FileNotFoundError)
        ├── NoSuchConfiguration (FileNotFoundError)    (the bucket has no such configuration)
        ├── AccessDenied (PermissionError)
        │   ├── SignatureDoesNotMatch
        │   ├── InvalidAccessKeyId
        │   └── RequestExpired                         (403 AccessDenied "Request has expired")
        ├── BucketAlreadyExists (FileExistsError)
        ├── BucketNotEmpty (OSError)
        ├── PreconditionFailed                         (412; also ``x-cos-copy-source-If-*``)
        ├── NotModified                                (304 on a conditional GET/HEAD)
        ├── InvalidRange                               (416)
        ├── InvalidObjectState                         (an archived object not restored)
        ├── EntityTooSmall / InvalidPart / InvalidPartOrder
        ├── BadDigest                                  (Content-MD5 mismatch)
        ├── ObjectNotAppendable / PositionNotEqualToLength
        └── SlowDown                                   (503 / 429; retried)

Service errors are parsed from COS's ``<Error>`` document; a HEAD has no body, so a 404 on HEAD
maps to ``NoSuchKey`` (object) or ``NoSuchBucket`` (bucket) from the request alone. Every
exception pickles (``__reduce__``), and none ever carries a secret key, a token or a signature.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "AccessDenied",
    "BadDigest",
    "BucketAlreadyExists",
    "BucketNotEmpty",
    "CosClientError",
    "CosError",
    "CosServiceError",
    "CosTimeoutError",
    "CosTransportError",
    "CredentialsError",
    "DecryptionError",
    "EntityTooSmall",
    "IntegrityError",
    "InvalidAccessKeyId",
    "InvalidArgument",
    "InvalidObjectState",
    "InvalidPart",
    "InvalidPartOrder",
    "InvalidRange",
    "NoSuchBucket",
    "NoSuchConfiguration",
    "NoSuchKey",
    "NoSuchUpload",
    "NoSuchVersion",
    "NotModified",
    "ObjectNotAppendable",
    "PoolTimeout",
    "PositionNotEqualToLength",
    "PreconditionFailed",
    "RequestExpired",
    "RetryExhausted",
    "SignatureDoesNotMatch",
    "SlowDown",
    "code_for_status",
    "retry_exhausted",
    "service_error",
]


class CosError(Exception):
    """Base class of every exception raised by cos_async and cos_sync."""


class CosClientError(CosError):
    """The operation failed without a COS error answer (bad input, network, integrity...)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __reduce__(self) -> tuple[Any, ...]:
        return (self.__class__, (self.message,))


class InvalidArgument(CosClientError, ValueError):
    """Bad input, found before any request was sent; the message names the bad value."""


class CredentialsError(CosClientError):
    """No usable credentials (missing, or the credentials provider failed)."""


class CosTransportError(CosClientError, OSError):
    """Connecting, sending or receiving failed (reset, refused, truncated body...)."""


class CosTimeoutError(CosTransportError, TimeoutError):
    """A connect or read timeout expired."""


class PoolTimeout(CosClientError, TimeoutError):
    """No connection of the client's pool became free within ``CosConfig.pool_timeout``: every
    one is in use, often by response bodies that were neither read to the end nor closed. Not
    retried (waiting longer would not free them)."""


class IntegrityError(CosClientError):
    """Data failed a CRC64, MD5 or length check (what was received or stored is not what was sent),
    or a select event stream failed its CRC32 checks or ended early."""


class DecryptionError(CosClientError):
    """A client-side encrypted object cannot be decrypted: its encryption metadata is missing,
    malformed or tampered with, or the key provider cannot unwrap its data key (a wrong key, an
    RSA provider without the private key). Raised before any plaintext is handed over or a file
    is written; the message never carries key material."""


class RetryExhausted(CosClientError):
    """Every allowed attempt failed; ``last_error`` is the final cause (also ``__cause__``).

    What the client raises is also an instance of ``last_error``'s class (see
    :func:`retry_exhausted`), so ``except TimeoutError``, ``except CosTimeoutError`` or
    ``except SlowDown`` catch a timeout or a 503 that outlasted the retries, as they would catch
    it on the first attempt; ``except RetryExhausted`` catches every one of them.
    ``attempts`` is how many were made, ``elapsed`` the seconds they took, ``earlier_errors``
    the failures before the last (also in the exception's notes)."""

    def __init__(
        self,
        message: str,
        *,
        attempts: int = 0,
        last_error: BaseException | None = None,
        elapsed: float = 0.0,
        earlier_errors: tuple[BaseException, ...] = (),
    ):
        super().__init__(message)
        self.attempts = attempts
        self.last_error = last_error
        self.elapsed = elapsed
        self.earlier_errors = earlier_errors

    def __reduce__(self) -> tuple[Any, ...]:
        combined = type(self) is not RetryExhausted
        return (
            _rebuild_retry,
            (
                self.message,
                self.attempts,
                self.last_error,
                self.elapsed,
                self.earlier_errors,
                combined,
            ),
        )


def _rebuild_retry(
    message: str,
    attempts: int,
    last_error: BaseException | None,
    elapsed: float = 0.0,
    earlier_errors: tuple[BaseException, ...] = (),
    combined: bool = False,
) -> RetryExhausted:
    if combined and isinstance(last_error, CosError):
        return retry_exhausted(
            message,
            attempts=attempts,
            last_error=last_error,
            elapsed=elapsed,
            earlier_errors=earlier_errors,
        )
    return RetryExhausted(
        message,
        attempts=attempts,
        last_error=last_error,
        elapsed=elapsed,
        earlier_errors=earlier_errors,
    )


_EXHAUSTED: dict[type[CosError], type[RetryExhausted]] = {}


def _exhausted_class(base: type[CosError]) -> type[RetryExhausted]:
    """``RetryExhausted`` combined with ``base`` (made once per class)."""
    cls = _EXHAUSTED.get(base)
    if cls is None:
        name = f"RetryExhausted[{base.__name__}]"
        cls = _EXHAUSTED[base] = type(
            name, (RetryExhausted, base), {"__module__": "cos_async", "__qualname__": name}
        )
    return cls


def retry_exhausted(
    message: str,
    *,
    attempts: int,
    last_error: CosError,
    elapsed: float,
    earlier_errors: tuple[BaseException, ...] = (),
) -> RetryExhausted:
    """The error of a request whose every attempt failed: a :class:`RetryExhausted` that is
    also an instance of ``last_error``'s class, with its fields (``status``, ``code``,
    ``request_id``... of a service error), ``message`` the retry's summary."""
    cls = _exhausted_class(type(last_error))
    exc = cls.__new__(cls)
    exc.__dict__.update(last_error.__dict__)
    exc.args = (message,)
    exc.message = message
    exc.attempts = attempts
    exc.last_error = last_error
    exc.elapsed = elapsed
    exc.earlier_errors = earlier_errors
    notes = [f"attempt {i}: {type(e).__name__}: {e}" for i, e in enumerate(earlier_errors, 1)]
    if notes:
        exc.__dict__["__notes__"] = notes  # what add_note() makes (Python 3.11+)
    return exc


class CosServiceError(CosError):
    """COS answered with an error.

    ``status`` is the HTTP status; ``code``, ``message``, ``resource``, ``request_id`` and
    ``trace_id`` come from the ``<Error>`` document (or the response headers when there is none);
    ``method`` and ``key`` say which request failed.
    """

    def __init__(
        self,
        message: str = "",
        *,
        status: int,
        code: str,
        request_id: str | None = None,
        trace_id: str | None = None,
        resource: str | None = None,
        method: str | None = None,
        bucket: str | None = None,
        key: str | None = None,
    ) -> None:
        self.status = status
        self.code = code
        self.message = message
        self.request_id = request_id
        self.trace_id = trace_id
        self.resource = resource
        self.method = method
        self.bucket = bucket
        self.key = key
        super().__init__(self._describe())

    def _describe(self) -> str:
        where = ""
        if self.method:
            target = "/".join(p for p in (self.bucket, self.key) if p)
            where = f" ({self.method} {target})" if target else f" ({self.method})"
        rid = f" [request id {self.request_id}]" if self.request_id else ""
        msg = f": {self.message}" if self.message else ""
        return f"{self.status} {self.code}{msg}{where}{rid}"

    def _fields(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "code": self.code,
            "request_id": self.request_id,
            "trace_id": self.trace_id,
            "resource": self.resource,
            "method": self.method,
            "bucket": self.bucket,
            "key": self.key,
        }

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_service, (self.__class__, self.message, self._fields()))

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status}, code={self.code!r}, "
            f"message={self.message!r}, request_id={self.request_id!r})"
        )


def _rebuild_service(
    cls: type[CosServiceError], message: str, fields: dict[str, Any]
) -> CosServiceError:
    return cls(message, **fields)


class NoSuchBucket(CosServiceError, FileNotFoundError):
    """The bucket does not exist (404)."""


class NoSuchKey(CosServiceError, FileNotFoundError):
    """The object does not exist (404; also a HEAD 404 of an object)."""


class NoSuchUpload(CosServiceError, FileNotFoundError):
    """The multipart upload does not exist: never started, completed or aborted (404)."""


class NoSuchVersion(CosServiceError, FileNotFoundError):
    """The object version does not exist (404)."""


class NoSuchConfiguration(CosServiceError, FileNotFoundError):
    """The bucket has no configuration of the kind asked for (404 ``NoSuchCORSConfiguration``,
    ``NoSuchLifecycleConfiguration``, ``NoSuchTagSet``, ``NoSuchBucketPolicy``...)."""


class AccessDenied(CosServiceError, PermissionError):
    """The request was refused (403): no permission, no or invalid signature."""


class SignatureDoesNotMatch(AccessDenied):
    """The signature does not match the request (403); check the keys and the clock."""


class InvalidAccessKeyId(AccessDenied):
    """COS does not know the SecretId, or the security token is invalid (403)."""


class RequestExpired(AccessDenied):
    """The signature's time window is over (403 AccessDenied, 'Request has expired')."""


class BucketAlreadyExists(CosServiceError, FileExistsError):
    """The bucket name is taken (409)."""


class BucketNotEmpty(CosServiceError, OSError):
    """A bucket that still holds objects cannot be deleted (409)."""


class PreconditionFailed(CosServiceError):
    """An ``If-Match`` / ``If-Unmodified-Since`` (or copy-source) condition did not hold (412)."""


class NotModified(CosServiceError):
    """A conditional GET/HEAD: the object has not changed (304)."""


class InvalidRange(CosServiceError):
    """The requested range starts beyond the object's end (416)."""


class InvalidObjectState(CosServiceError):
    """An ARCHIVE / DEEP_ARCHIVE object must be restored before it can be read."""


class EntityTooSmall(CosServiceError):
    """A multipart part other than the last is below 1 MiB (400)."""


class InvalidPart(CosServiceError):
    """A part listed in CompleteMultipartUpload is missing, has another ETag, or numbers have a gap."""


class InvalidPartOrder(CosServiceError):
    """The parts listed in CompleteMultipartUpload are not in ascending order (400)."""


class BadDigest(CosServiceError):
    """The body does not match its Content-MD5 (400)."""


class ObjectNotAppendable(CosServiceError):
    """Appending to an object that was not created by append_object (409)."""


class PositionNotEqualToLength(CosServiceError):
    """append_object's position is not the object's current length (409)."""


class SlowDown(CosServiceError):
    """COS asks to slow down (503 SlowDown / 429); retried automatically."""


#: COS error code -> exception class (codes not listed map to CosServiceError).
_BY_CODE: dict[str, type[CosServiceError]] = {
    "NoSuchBucket": NoSuchBucket,
    "NoSuchKey": NoSuchKey,
    "NoSuchUpload": NoSuchUpload,
    "NoSuchVersion": NoSuchVersion,
    "AccessDenied": AccessDenied,
    "AccessForbidden": AccessDenied,  # a refused CORS preflight
    "SignatureDoesNotMatch": SignatureDoesNotMatch,
    "InvalidAccessKeyId": InvalidAccessKeyId,
    "BucketAlreadyExists": BucketAlreadyExists,
    "BucketAlreadyOwnedByYou": BucketAlreadyExists,
    "BucketNotEmpty": BucketNotEmpty,
    "PreconditionFailed": PreconditionFailed,
    "NotModified": NotModified,
    "InvalidRange": InvalidRange,
    "InvalidObjectState": InvalidObjectState,
    "EntityTooSmall": EntityTooSmall,
    "InvalidPart": InvalidPart,
    "InvalidPartOrder": InvalidPartOrder,
    "BadDigest": BadDigest,
    "ObjectNotAppendable": ObjectNotAppendable,
    "PositionNotEqualToLength": PositionNotEqualToLength,
    "SlowDown": SlowDown,
    "TooManyRequests": SlowDown,
    "NoSuchTagSet": NoSuchConfiguration,
    "NoSuchBucketPolicy": NoSuchConfiguration,
    **{
        f"NoSuch{kind}Configuration": NoSuchConfiguration
        for kind in (
            "CORS",
            "Lifecycle",
            "Website",
            "Referer",
            "Logging",
            "Inventory",
            "Domain",
            "Encryption",
            "Replication",
            "IntelligentTiering",
            "ObjectLock",
            "Versioning",
            "Origin",
            "ResponseControl",
            "DomainCertificate",
        )
    },
}


#: The status fallbacks, in one place. The code of an error answer that names none (a HEAD has
#: no body; a proxy may answer without a document): a 404 is NoSuchKey or NoSuchBucket by the
#: request alone (:func:`code_for_status`); these statuses have codes of their own.
_CODE_BY_STATUS = {
    304: "NotModified",
    403: "AccessDenied",
    409: "Conflict",
    412: "PreconditionFailed",
    416: "InvalidRange",
    429: "SlowDown",
}
#: The class of an answer whose code this SDK does not know, by its status.
_CLASS_BY_STATUS: dict[int, type[CosServiceError]] = {
    304: NotModified,
    412: PreconditionFailed,
    416: InvalidRange,
    429: SlowDown,
}


def code_for_status(status: int, *, object_request: bool) -> str:
    """The COS error code of an answer that carries none."""
    if status == 404:
        return "NoSuchKey" if object_request else "NoSuchBucket"
    return _CODE_BY_STATUS.get(status, f"HTTP{status}")


def service_error(
    *,
    status: int,
    code: str,
    message: str = "",
    request_id: str | None = None,
    trace_id: str | None = None,
    resource: str | None = None,
    method: str | None = None,
    bucket: str | None = None,
    key: str | None = None,
) -> CosServiceError:
    """The exception for a COS error answer (the most specific class for ``code``/``status``)."""
    cls = _BY_CODE.get(code)
    if code == "AccessDenied" and "expired" in message.lower():
        cls = RequestExpired
    if cls is None:
        cls = _CLASS_BY_STATUS.get(status, CosServiceError)
    return cls(
        message,
        status=status,
        code=code,
        request_id=request_id,
        trace_id=trace_id,
        resource=resource,
        method=method,
        bucket=bucket,
        key=key,
    )
