"""A schema's load without its per-item bookkeeping, for the bodies that come in thousands.

`Schema.load` spends more of its time on its machinery (an error store, a getter closure and
a set per field, hooks looked up per item, each nested schema loaded the same way, an `And`
of the validators built at every field) than on the fields' own reading and checks: 500
expense bodies took 58–72 ms through `load(many=True)`, 25–31 ms here.

`FastLoading` reads a body with the schema's own field objects, in the schema's order, and
runs the schema's own `@validates_schema` checks. It answers only for a body it reads without
any error. Anything else (a missing or unknown key, a value a field refuses, a broken check)
goes to `Schema.load` itself, whose errors are the answer. So the rules and the error
documents stay the schema's; tests/unit/schemas/test_fast_load.py holds the two to the same
result.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cached_property
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, missing, types
from marshmallow.decorators import POST_LOAD, PRE_LOAD, VALIDATES, VALIDATES_SCHEMA

from schemas.common import BaseSchema

Reader = Callable[[Mapping[str, Any]], dict[str, Any]]
FieldReader = Callable[[Any, Mapping[str, Any]], Any]


class _Unsure(Exception):
    """The body is not one the fast path may answer for: the schema loads it."""


class FastLoading(BaseSchema):
    """A schema whose `load` tries the fast reader first (see the module)."""

    def load(self, data: Any, *, many: bool | None = None, partial: Any = None,
             unknown: types.UnknownOption | None = None) -> Any:
        if partial is None and unknown in (None, RAISE) and not self.partial:
            try:
                if many or (many is None and self.many):
                    if isinstance(data, list):
                        return [self._reader(item) for item in data]
                else:
                    return self._reader(data)
            except (_Unsure, ValidationError):
                pass
        return super().load(data, many=many, partial=partial, unknown=unknown)

    @cached_property
    def _reader(self) -> Reader:
        return _schema_reader(self)


def _schema_reader(schema: Schema) -> Reader:
    """Reads a mapping as `schema.load` would read a valid one; raises for anything else."""
    checks = _schema_checks(schema)
    plan = [(name, field, _field_reader(name, field))
            for name, field in schema.load_fields.items()]
    if any(field.data_key or field.attribute for _, field, _ in plan):
        raise TypeError(f"{type(schema).__name__} renames a field")
    known = frozenset(name for name, _, _ in plan)

    def read(data: Mapping[str, Any]) -> dict[str, Any]:
        if type(data) is not dict or not known.issuperset(data):
            raise _Unsure
        loaded: dict[str, Any] = {}
        for name, field, read_value in plan:
            value = data.get(name, missing)
            if value is missing:
                if field.required:
                    raise _Unsure
                default = field.load_default
                if default is not missing:
                    loaded[name] = default() if callable(default) else default
            elif value is None:
                if not field.allow_none:
                    raise _Unsure
                loaded[name] = None
            else:
                loaded[name] = read_value(value, data)
        for check in checks:
            check(loaded, partial=None, many=False, unknown=RAISE)
        return loaded

    return read


def _schema_checks(schema: Schema) -> list[Callable[..., Any]]:
    """The schema's `@validates_schema` checks of one item; refuses a schema that does more
    on load than the fast path runs."""
    hooks = type(schema)._hooks
    if schema.unknown != RAISE:
        raise TypeError(f"{type(schema).__name__} keeps unknown fields: load it the usual way")
    if hooks[PRE_LOAD] or hooks[POST_LOAD] or hooks[VALIDATES]:
        raise TypeError(f"{type(schema).__name__} has load hooks the fast path cannot run")
    checks = [getattr(schema, name) for name, many, options in hooks[VALIDATES_SCHEMA]
              if not many and not options["pass_original"]]
    if len(checks) != len(hooks[VALIDATES_SCHEMA]):
        raise TypeError(f"{type(schema).__name__} has checks the fast path cannot run")
    return checks


def _field_reader(name: str, field: fields.Field[Any]) -> FieldReader:
    """Reads one present, non-null value as the field would; raises for anything else."""
    if isinstance(field, fields.Nested):
        if field.many or field.unknown is not None:
            raise TypeError(f"the fast path reads a nested schema once, as declared: {name}")
        read_nested = _schema_reader(field.schema)
        return _validating(field, lambda value, data: read_nested(value))
    if isinstance(field, fields.List) and isinstance(field.inner, fields.Nested):
        read_item = _field_reader(name, field.inner)

        def listed(value: Any, data: Mapping[str, Any]) -> Any:
            if type(value) is not list:
                raise _Unsure
            return [read_item(item, data) for item in value]

        return _validating(field, listed)
    if field.pre_load or field.post_load:
        raise TypeError(f"the fast path does not run a field's own hooks: {name}")
    read_value = field._deserialize
    return _validating(field, lambda value, data: read_value(value, name, data))


def _validating(field: fields.Field[Any], read: FieldReader) -> FieldReader:
    """`read`, then the field's validators if it has any (`Field._validate` builds an `And`
    of them at every call, even of none)."""
    if not field.validators:
        return read

    def validated(value: Any, data: Mapping[str, Any]) -> Any:
        loaded = read(value, data)
        field._validate(loaded)
        return loaded

    return validated
