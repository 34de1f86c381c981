"""A view's workbook is laid out from its schema alone, so a view added later (the indicators
view, say) comes out as a workbook without a line of its own."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from marshmallow import fields

from schemas import BaseSchema, FlagSchema
from schemas.fields import Day, Money, Rate, Ratio
from service.sheets.views import view_tables


class IndicatorRowSchema(BaseSchema):
    code = fields.String()
    name = fields.String()
    baseline = Rate()
    target = Rate()
    value = Rate(allow_none=True)
    achievement = Ratio()
    reported_in = fields.String(allow_none=True)


class IndicatorsViewSchema(BaseSchema):
    project_id = fields.UUID()
    position = fields.Integer()
    on = Day()
    max_subsidy = Money()
    indicators = fields.List(fields.Nested(IndicatorRowSchema))
    flags = fields.List(fields.Nested(FlagSchema))


DOCUMENT = {
    "project_id": "740a3387-5e4c-5a9d-b8eb-3b5c18a5af5b", "position": 12, "on": "2018-03-01",
    "max_subsidy": "3888100.00",
    "indicators": [{"code": "10000", "name": "Members", "baseline": "0", "target": "25.5",
                    "value": None, "achievement": "0.0000", "reported_in": None}],
    "flags": [{"rule": "INDICATOR_SHORTFALL", "severity": "error", "message": "short",
               "refs": [{"type": "indicator", "id": "10000"}, {"type": "report", "id": "ZZOR"}]}],
}


def test_a_view_unknown_to_the_layout_gets_a_summary_a_sheet_per_list_and_its_flags() -> None:
    summary, indicators, flags = view_tables("indicators", DOCUMENT, IndicatorsViewSchema())

    assert (summary.name, indicators.name, flags.name) == ("summary", "indicators", "flags")
    assert [(name, cell.value, cell.kind) for name, cell in summary.rows] == [
        ("project_id", "740a3387-5e4c-5a9d-b8eb-3b5c18a5af5b", "text"),
        ("position", 12, "integer"), ("on", date(2018, 3, 1), "date"),
        ("max_subsidy", Decimal("3888100.00"), "money")]
    assert [(c.heading, c.kind) for c in indicators.columns] == [
        ("code", "text"), ("name", "text"), ("baseline", "number"), ("target", "number"),
        ("value", "number"), ("achievement", "ratio"), ("reported_in", "text")]
    assert indicators.rows == [("10000", "Members", Decimal("0"), Decimal("25.5"), None,
                                Decimal("0.0000"), None)]
    assert flags.rows == [("INDICATOR_SHORTFALL", "error", "short",
                           "indicator:10000, report:ZZOR")]
