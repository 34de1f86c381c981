"""The JSON field types of the API: exact money, rates, ratios, strict dates and UTC moments.

Money never passes through a binary float: it arrives as a decimal string (or a JSON integer),
becomes a `Decimal` with two places, and leaves as a string with two places. Every field here
refuses what it cannot read exactly, with a message that tells the client what to send.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from marshmallow import ValidationError, fields, types, validate

PLAIN_DECIMAL = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
RFC3339_MOMENT = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?"
    r"(?:Z|[+-][0-9]{2}:[0-9]{2})?"
)
HEX_64 = re.compile(r"[0-9a-fA-F]{64}")

MAX_AMOUNT = Decimal("999999999999.99")
CENTS = Decimal("0.01")
RATIO_PLACES = Decimal("0.0001")


def _with_metadata(kwargs: dict[str, Any], **defaults: Any) -> dict[str, Any]:
    """Adds OpenAPI hints (format, example, lengths) to a field's metadata, keeping the caller's."""
    kwargs["metadata"] = {**defaults, **(kwargs.get("metadata") or {})}
    return kwargs


class _DecimalString(fields.Field[Decimal]):
    """A decimal written as a JSON string (a JSON integer is also read); never a float."""

    places = 2
    max_magnitude = MAX_AMOUNT
    example = "0.00"
    default_error_messages: types.ErrorMessages = {  # noqa: RUF012 - typed as in marshmallow
        "invalid": 'Not a valid decimal number: send a string such as "{example}".',
        "float": (
            'Send {what} as a decimal string such as "{example}": a JSON number with a '
            "fraction is a binary floating-point number, which is inexact."
        ),
        "places": "Has more than {places} decimal places.",
        "too_large": "Must not exceed {max} in magnitude.",
    }
    what = "decimals"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**_with_metadata(
            kwargs, type="string", format="decimal", example=self.example,
            pattern=rf"^-?[0-9]+(\.[0-9]{{1,{self.places}}})?$"))

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Decimal:
        if isinstance(value, float):
            raise self.make_error("float", what=self.what, example=self.example)
        if isinstance(value, int) and not isinstance(value, bool):
            number = Decimal(value)
        elif isinstance(value, str) and PLAIN_DECIMAL.fullmatch(value.strip()):
            number = Decimal(value.strip())
        else:
            raise self.make_error("invalid", example=self.example)
        if abs(number) > self.max_magnitude:
            raise self.make_error("too_large", max=self.max_magnitude)
        step = Decimal(1).scaleb(-self.places)
        if number != number.quantize(step):
            raise self.make_error("places", places=self.places)
        return self._loaded(number, step)

    def _loaded(self, number: Decimal, step: Decimal) -> Decimal:
        return abs(number) if number.is_zero() else number

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        if value is None:
            return None
        return format(self._dumped(_as_decimal(value)), "f")

    def _dumped(self, number: Decimal) -> Decimal:
        return number


def _as_decimal(value: Any) -> Decimal:
    """A value to dump as a decimal; a float here is a defect of the caller, not rounded away."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int | str) and not isinstance(value, bool):
        return Decimal(value)
    raise TypeError(f"expected a Decimal, got {type(value).__name__} {value!r}")


class Money(_DecimalString):
    """CZK amount: `"100000.00"`, `"12.5"` or `100000` in, `Decimal("12.50")`, out `"12.50"`."""

    example = "100000.00"
    what = "amounts"

    def _loaded(self, number: Decimal, step: Decimal) -> Decimal:
        return abs(number.quantize(step)) if number.is_zero() else number.quantize(step)

    def _dumped(self, number: Decimal) -> Decimal:
        return number.quantize(CENTS, rounding=ROUND_HALF_UP)


class Rate(_DecimalString):
    """A decimal fraction such as a support rate, up to 4 places (`"0.50"`), kept as written."""

    places = 4
    max_magnitude = Decimal("1000000")
    example = "0.50"
    what = "rates"


class Ratio(_DecimalString):
    """A computed ratio, dumped with exactly 4 places (`"0.5000"`); never loaded."""

    places = 4
    example = "0.5000"

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("dump_only", True)
        super().__init__(**kwargs)

    def _dumped(self, number: Decimal) -> Decimal:
        return number.quantize(RATIO_PLACES, rounding=ROUND_HALF_UP)


class Quantity(_DecimalString):
    """An indicator's baseline, target or value: a decimal up to 4 places (`"5"`, `"12.5"`),
    kept as written."""

    places = 4
    example = "5"
    what = "indicator values"


class Text(fields.String):
    """Free text, stripped; blank is refused (or read as null where the field is nullable)."""

    max_length = 2000
    default_error_messages: types.ErrorMessages = {  # noqa: RUF012 - typed as in marshmallow
        "blank": "Must not be blank.",
        "too_long": "Longer than {max} characters.",
    }

    def __init__(self, *, max_length: int | None = None, **kwargs: Any) -> None:
        if max_length is not None:
            self.max_length = max_length
        super().__init__(**_with_metadata(kwargs, minLength=1, maxLength=self.max_length,
                                          pattern=r"\S"))  # not only white space

    def _deserialize(  # type: ignore[override]  # blank nullable text reads as None
        self, value: Any, attr: str | None, data: Any, **kwargs: Any
    ) -> str | None:
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if not text:
            if self.allow_none:
                return None
            raise self.make_error("blank")
        if len(text) > self.max_length:
            raise self.make_error("too_long", max=self.max_length)
        return text

    def _validate(self, value: Any) -> None:
        if value is not None:  # a blank nullable text read as null has nothing to validate
            super()._validate(value)


class Code(Text):
    """An identifier chosen by people: a budget line, activity, claim or document number."""

    max_length = 64


class Title(Text):
    """A name or title."""

    max_length = 500


class Sha256(fields.String):
    """A SHA-256 digest as 64 hex characters, loaded lowercased."""

    default_error_messages: types.ErrorMessages = {  # noqa: RUF012 - typed as in marshmallow
        "invalid_digest": "Not a SHA-256 digest: 64 hex characters.",
    }

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**_with_metadata(kwargs, pattern="^[0-9a-fA-F]{64}$"))

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if not HEX_64.fullmatch(text):
            raise self.make_error("invalid_digest")
        return text.lower()


class Day(fields.Date):
    """A calendar date, exactly `YYYY-MM-DD` (not the other forms `date.fromisoformat` reads),
    within the years a grant's business can fall in: the calendar's edges would overflow the
    date arithmetic of deadlines and periods."""

    FIRST, LAST = date(1900, 1, 1), date(2199, 12, 31)
    default_error_messages = {  # noqa: RUF012 (marshmallow's own class attribute)
        "invalid": "Not a valid date: write a day that exists as YYYY-MM-DD, e.g. 2016-06-15."}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="iso", **_with_metadata(
            kwargs, pattern=r"^(19|20|21)[0-9]{2}-[0-9]{2}-[0-9]{2}$"))

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> date:
        if not isinstance(value, str) or not ISO_DATE.fullmatch(value):
            raise self.make_error("invalid", obj_type=self.OBJ_TYPE)
        day: date = super()._deserialize(value, attr, data, **kwargs)
        if not self.FIRST <= day <= self.LAST:
            raise ValidationError(f"Dates must lie between {self.FIRST} and {self.LAST}.")
        return day


class Moment(fields.AwareDateTime):
    """An RFC 3339 moment; without an offset it is read as UTC. Loaded and dumped in UTC (`Z`)."""

    default_error_messages = {  # noqa: RUF012 (marshmallow's own class attribute)
        "invalid": "Not a valid moment: write it as YYYY-MM-DDThh:mm:ss with Z or an offset, "
                   "e.g. 2018-03-01T09:30:00Z or 2018-03-01T10:30:00+01:00."}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="iso", default_timezone=UTC, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        if not isinstance(value, str) or not RFC3339_MOMENT.fullmatch(value):
            raise self.make_error("invalid", obj_type=self.OBJ_TYPE)
        try:
            return super()._deserialize(value, attr, data, **kwargs).astimezone(UTC)
        except OverflowError:  # the calendar's first or last hours, shifted past its edge
            raise self.make_error("invalid", obj_type=self.OBJ_TYPE) from None

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        if value is None:
            return None
        moment: datetime = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.astimezone(UTC).isoformat().removesuffix("+00:00") + "Z"


class StrictBoolean(fields.Boolean):
    """JSON `true` or `false` only: not 1, "yes" or "on"."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if value is True or value is False:
            return bool(value)
        raise self.make_error("invalid", input=value)


class StrictInteger(fields.Integer):
    """A JSON integer only: not a string, a float or a boolean."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(strict=True, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if isinstance(value, bool):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


POSITIVE = validate.Range(min=CENTS, error="Must be greater than zero.")
NOT_NEGATIVE = validate.Range(min=Decimal(0), error="Must not be negative.")
ICO = validate.Regexp(r"^[0-9]{8}$", error="An IČO is 8 digits.")
COUNTRY = validate.Regexp(r"^[A-Z]{2}$", error="An ISO 3166-1 alpha-2 country code, e.g. CZ.")
