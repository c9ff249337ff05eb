"""Failures as a caller sees them: the gRPC status, the daemon's message, and
the errno of the system call that failed, in the daemon or here."""

from __future__ import annotations

import errno as errno_names

import grpc

ERRNO_KEY = "ummunotify-errno"
ERRNO_NAME_KEY = "ummunotify-errno-name"


class Error(Exception):
    """Any failure of the client.

    `code` is the gRPC status (for a local failure: the status the daemon
    would give for the same trouble), `message` says what happened, and
    `errno` / `errno_name` name the system call error where there was one.
    """

    default_code = grpc.StatusCode.UNKNOWN

    def __init__(
        self,
        message: str,
        *,
        code: grpc.StatusCode | None = None,
        errno: int | None = None,
        errno_name: str | None = None,
    ) -> None:
        super().__init__(message)
        self.code: grpc.StatusCode = code if code is not None else self.default_code
        self.message = message
        self.errno = errno
        if errno_name is None and errno is not None:
            errno_name = errno_names.errorcode.get(errno)
        self.errno_name = errno_name

    def __str__(self) -> str:
        suffix = f" ({self.errno_name or self.errno})" if self.errno is not None or self.errno_name else ""
        return f"{self.code.name}: {self.message}{suffix}"


class InvalidArgument(Error):
    default_code = grpc.StatusCode.INVALID_ARGUMENT


class AlreadyExists(Error):
    default_code = grpc.StatusCode.ALREADY_EXISTS


class NotFound(Error):
    default_code = grpc.StatusCode.NOT_FOUND


class ResourceExhausted(Error):
    default_code = grpc.StatusCode.RESOURCE_EXHAUSTED


class FailedPrecondition(Error):
    default_code = grpc.StatusCode.FAILED_PRECONDITION


class PermissionDenied(Error):
    default_code = grpc.StatusCode.PERMISSION_DENIED


class Unavailable(Error):
    """The daemon cannot be reached (not started, gone, or not answering)."""

    default_code = grpc.StatusCode.UNAVAILABLE


class SpawnError(Unavailable):
    """The sidecar could not be started, or exited before it was ready."""

    def __init__(self, message: str, *, errno: int | None = None, exit_status: int | None = None) -> None:
        super().__init__(message, errno=errno)
        self.exit_status = exit_status


class EngineError(FailedPrecondition):
    """This process could not create its notification fd (userfaultfd or /dev/ummunotify)."""


class CounterError(Error):
    """The counter page could not be fetched, or was not safe to trust."""

    default_code = grpc.StatusCode.FAILED_PRECONDITION


_BY_CODE: dict[grpc.StatusCode, type[Error]] = {
    cls.default_code: cls
    for cls in (InvalidArgument, AlreadyExists, NotFound, ResourceExhausted, FailedPrecondition, PermissionDenied, Unavailable)
}


def from_rpc_error(exc: grpc.RpcError) -> Error:
    """The Error for a failed call, with the errno from the trailing metadata."""
    try:
        code, details, metadata = exc.code(), exc.details(), exc.trailing_metadata()
    except AttributeError:  # an RpcError that did not come from a call
        return Error(str(exc))
    values: dict[str, str] = {}
    for item in metadata or ():
        values[item.key] = item.value.decode() if isinstance(item.value, bytes) else str(item.value)
    number = values.get(ERRNO_KEY)
    errno = int(number) if number is not None and number.isdigit() else None
    cls = _BY_CODE.get(code, Error)
    return cls(details or code.name, code=code, errno=errno, errno_name=values.get(ERRNO_NAME_KEY))


def from_os_error(cls: type[Error], what: str, exc: OSError) -> Error:
    """A local failure: `what` we were doing, and the OS errno."""
    return cls(f"{what}: {exc.strerror or exc}", errno=exc.errno)
