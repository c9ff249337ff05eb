"""ummunotify: learn when watched address ranges of this process stop being valid.

    with ummunotify.open() as umn:
        umn.register(addr, length, cookie)
        ...
        if umn.changed_since(seen):          # one memory load
            for report in umn.read_events():
                ...                          # evict report.cookie; Last gives the new seen

`open` finds or starts this process's sidecar daemon (ummunotifyd) and hands
it the process's notification fd; see clients/README.md for the contract.
"""

from ._client import Client, open
from ._counter import Counter
from ._errors import (
    AlreadyExists,
    CounterError,
    EngineError,
    Error,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    ResourceExhausted,
    SpawnError,
    Unavailable,
)
from ._info import Info
from ._reports import Invalidation, Last, Report, TargetExited
from ._stream import EventStream

__all__ = [
    "AlreadyExists",
    "Client",
    "Counter",
    "CounterError",
    "EngineError",
    "Error",
    "EventStream",
    "FailedPrecondition",
    "Info",
    "InvalidArgument",
    "Invalidation",
    "Last",
    "NotFound",
    "PermissionDenied",
    "Report",
    "ResourceExhausted",
    "SpawnError",
    "TargetExited",
    "Unavailable",
    "open",
]

# Public names print as ummunotify.X, not as the private module that defines them.
for _name in __all__:
    _obj = globals()[_name]
    if isinstance(_obj, type):
        _obj.__module__ = __name__
del _name, _obj
