"""A folded state as bytes, for the checkpoints the projector stores.

Pickle is fast enough to make an `as_of` replay start from a checkpoint cheaply, but loading a
pickle can run any code it names, and the checkpoints live in a database an attacker of the
audit trail may write to. So loading admits only the types a `LedgerState` is made of: a
forged checkpoint can at worst hold wrong figures, never run code.
"""

from __future__ import annotations

import io
import pickle
from typing import Any

from projections import ledger
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
        if module == ledger.__name__ and isinstance(getattr(ledger, name, None), type):
            return getattr(ledger, name)
        if name in _ADMITTED.get(module, frozenset()):
            return super().find_class(module, name)
        raise CheckpointError(f"a checkpoint may not hold {module}.{name}")


def dump_state(state: LedgerState) -> bytes:
    return pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL)


def load_state(blob: bytes) -> LedgerState:
    try:
        state = _LedgerUnpickler(io.BytesIO(blob)).load()
    except (pickle.UnpicklingError, EOFError, AttributeError, TypeError) as error:
        raise CheckpointError(f"unreadable checkpoint: {error}") from None
    if not isinstance(state, LedgerState):
        raise CheckpointError(f"a checkpoint holds a {type(state).__name__}, not a ledger state")
    return state
