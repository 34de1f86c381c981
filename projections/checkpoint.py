"""A folded state as bytes, for the checkpoints the projector stores.

Pickle is fast enough to make an `as_of` replay start from a checkpoint cheaply, but loading a
pickle can run any code it names, and the checkpoints live in a database an attacker of the
audit trail may write to. So loading admits only the types a `LedgerState` is made of: a
forged checkpoint can at worst hold wrong figures, never run code.

A large project's state is big (10,000 expenses pickle to about 4.6 MB): it is compressed
(about 6×, so the database sends less), and loaded with the cyclic garbage collector paused,
which otherwise runs over and over while the unpickler creates its hundred thousand objects
and more than doubles the time.

A checkpoint written before a field was added to the state lacks it: it is refused, and the
state is folded from the events instead.
"""

from __future__ import annotations

import dataclasses
import gc
import io
import pickle
import zlib
from typing import Any

from projections import ledger, running
from projections.ledger import LedgerState

_ADMITTED: dict[str, frozenset[str]] = {
    "decimal": frozenset({"Decimal"}),
    "datetime": frozenset({"date", "datetime", "timezone", "timedelta"}),
    "uuid": frozenset({"UUID"}),
    "copyreg": frozenset({"_reconstructor"}),
    "builtins": frozenset({"object", "set", "frozenset"}),
}


class CheckpointError(ValueError):
    """The bytes are not a checkpoint this service wrote."""


class _LedgerUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        for part in (ledger, running):
            if module == part.__name__ and isinstance(getattr(part, name, None), type):
                return getattr(part, name)
        if name in _ADMITTED.get(module, frozenset()):
            return super().find_class(module, name)
        raise CheckpointError(f"a checkpoint may not hold {module}.{name}")


def dump_state(state: LedgerState) -> bytes:
    return zlib.compress(pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL), level=1)


def load_state(blob: bytes) -> LedgerState:
    collecting = gc.isenabled()
    gc.disable()
    try:
        state = _LedgerUnpickler(io.BytesIO(zlib.decompress(blob))).load()
    except (pickle.UnpicklingError, EOFError, AttributeError, TypeError, zlib.error) as error:
        raise CheckpointError(f"unreadable checkpoint: {error}") from None
    finally:
        if collecting:
            gc.enable()
    if not isinstance(state, LedgerState):
        raise CheckpointError(f"a checkpoint holds a {type(state).__name__}, not a ledger state")
    for part in (state, state.registration):
        missing = sorted({f.name for f in dataclasses.fields(part)} - vars(part).keys()) \
            if part is not None else []
        if missing:
            raise CheckpointError(f"a checkpoint of an older version: its {type(part).__name__}"
                                  f" has no {', '.join(missing)}")
    return state
