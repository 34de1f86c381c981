"""The names the pages give the API's codes (rules, statuses, kinds), in the reader's language.
A code the pages do not know yet is shown as the API writes it."""

from __future__ import annotations

from service.web.pages.translation import N_ as _
from service.web.pages.translation import translate

RULES = {
    "EXPENSE_OUTSIDE_PERIOD": _("Expense outside the eligibility period"),
    "LINE_OVERRUN": _("Budget line overrun"),
    "EXPENSE_UNPAID": _("Expense unpaid for over 60 days"),
    "ACTIVITY_OVERDUE": _("Activity overdue"),
    "ACTIVITY_COMPLETED_LATE": _("Activity completed late"),
    "MILESTONE_OVERDUE": _("Milestone overdue"),
    "MILESTONE_LATE": _("Milestone achieved late"),
    "MILESTONE_MISSED": _("Milestone missed"),
    "SUBSIDY_CAP_REACHED": _("Subsidy cap reached"),
    "FINAL_CLAIM_OVERDUE": _("Final payment claim overdue"),
    "REPORT_OVERDUE": _("Report overdue"),
    "INDICATOR_SHORTFALL": _("Indicator in shortfall"),
    "CLAIM_WITHOUT_REPORT": _("Payment claim without its report"),
}
STATUSES = {
    "not_started": _("not started"), "due": _("due to start"), "in_progress": _("in progress"),
    "overdue": _("overdue"), "completed": _("completed"), "completed_late": _("completed late"),
    "pending": _("pending"), "achieved": _("achieved"), "achieved_late": _("achieved late"),
    "missed": _("missed"), "submitted": _("submitted"), "approved": _("approved"),
    "returned": _("returned"), "not_reported": _("not reported"), "shortfall": _("shortfall"),
    "active": _("active"), "reversed": _("reversed"),
}
SEVERITIES = {"error": _("error"), "warning": _("warning")}
REPORT_KINDS = {
    "implementation": _("implementation report"),
    "final_implementation": _("final implementation report"),
    "sustainability": _("sustainability report"),
    "final_sustainability": _("final sustainability report"),
}
REF_TYPES = {
    "expense": _("expense"), "line": _("budget line"), "activity": _("activity"),
    "milestone": _("milestone"), "report": _("report"), "claim": _("payment claim"),
    "indicator": _("indicator"), "stage": _("stage"), "event": _("event"),
}
FIELDS = {
    "document_number": _("Document number"), "document_type": _("Document type"),
    "supplier": _("Supplier"), "description": _("Description"), "budget_line": _("Budget line"),
    "activity": _("Activity"), "tax_point_date": _("Tax point date"),
    "amount_net": _("Amount without VAT"), "vat": _("VAT"),
    "eligible_amount": _("Eligible amount"), "paid_on": _("Paid on"), "status": _("Status"),
    "time_eligible": _("Within the eligibility period"), "claim_number": _("Payment claim"),
    "approved": _("Approved in a claim"), "reversal_reason": _("Reason for reversal"),
}


def label(table: dict[str, str], code: str | None) -> str:
    if code is None:
        return "—"
    return translate(table[code]) if code in table else code
