"""What a stored event is bound to: its topic (`module:qualname`, which the library resolves to
load it), its class version and upcasters, and its fields (what its hash covers). None of them
may change silently, whatever the modules of the domain look like: every event already stored
must load and verify. A new event, field or version is a change of this list, made on purpose
with an upcaster (tests/compat holds rows stored by version 1.2)."""

from __future__ import annotations

import dataclasses

from eventsourcing.utils import get_topic, resolve_topic

from domain.project import GrantProject

ENVELOPE = ("originator_id", "originator_version", "timestamp", "recorded_by", "previous_hash",
            "hash")
CREATED_ENVELOPE = ("originator_id", "originator_version", "timestamp", "originator_topic",
                    "recorded_by", "previous_hash", "hash")

EVENTS: dict[str, tuple[int, tuple[str, ...]]] = {
    # topic: (class version, the event's own fields in order)
    "domain.project:GrantProject.Event": (1, ()),
    "domain.project:GrantProject.Created": (1, ()),
    "domain.project:GrantProject.ProjectRegistered": (1, (
        "registration_number", "acronym", "title", "beneficiary", "programme", "call",
        "provider", "realisation_start", "realisation_end", "eligible_from", "latest_end",
        "currency", "support_rate", "max_subsidy", "line_transfer_tolerance",
        "claim_deadline_days", "budget_lines", "activities", "milestones", "stages",
        "indicators", "sustainability_years", "retention_until", "reports")),
    "domain.project:GrantProject.ExpenseRecorded": (1, (
        "expense_id", "document_number", "document_type", "supplier", "description",
        "budget_line", "activity", "tax_point_date", "amount_net", "vat", "eligible_amount",
        "paid_on", "attachments")),
    "domain.project:GrantProject.ExpensePaid": (1, ("expense_id", "paid_on")),
    "domain.project:GrantProject.ExpenseCorrected": (1, ("expense_id", "changes", "reason")),
    "domain.project:GrantProject.ExpenseReversed": (1, ("expense_id", "reason")),
    "domain.project:GrantProject.ActivityStarted": (1, ("activity", "started_on", "note")),
    "domain.project:GrantProject.ActivityCompleted": (1, ("activity", "completed_on", "note")),
    "domain.project:GrantProject.MilestoneAchieved": (1, (
        "milestone", "achieved_on", "evidence", "evidence_sha256")),
    "domain.project:GrantProject.BudgetChanged": (1, (
        "change_id", "kind", "transfers", "reference", "reason")),
    "domain.project:GrantProject.RealisationEndChanged": (1, ("new_end", "reference")),
    "domain.project:GrantProject.PaymentClaimSubmitted": (1, (
        "claim_number", "stage", "submitted_on", "final", "expense_ids", "declared_eligible",
        "requested_subsidy", "chain_head")),
    "domain.project:GrantProject.PaymentClaimApproved": (1, (
        "claim_number", "approved_on", "exclusions", "approved_eligible", "approved_subsidy",
        "chain_head")),
    "domain.project:GrantProject.SubsidyPaid": (1, ("claim_number", "amount", "paid_on")),
    "domain.project:GrantProject.FinancialCorrectionImposed": (1, (
        "correction_id", "finding", "expense_ids", "amount", "decided_on", "reason")),
    "domain.project:GrantProject.ReportSubmitted": (1, (
        "report", "submitted_on", "indicator_values", "narrative")),
    "domain.project:GrantProject.ReportApproved": (1, ("report", "decided_on")),
    "domain.project:GrantProject.ReportReturned": (1, ("report", "decided_on", "reason")),
    "domain.project:GrantProject.AccessGranted": (1, ("subject", "name", "role")),
    "domain.project:GrantProject.AccessRevoked": (1, ("subject", "reason")),
}
CREATED = {"domain.project:GrantProject.Created",
           "domain.project:GrantProject.ProjectRegistered"}


def event_classes() -> list[type[GrantProject.Event]]:
    """Every event class of the aggregate, as the library finds them: nested in it."""
    return [value for value in vars(GrantProject).values()
            if isinstance(value, type) and issubclass(value, GrantProject.Event)]


def upcasters(cls: type) -> list[str]:
    return sorted(name for name in dir(cls) if name.startswith("upcast_"))


def test_the_event_topics_and_class_versions_are_exactly_these() -> None:
    found = {get_topic(cls): (getattr(cls, "class_version", 1), upcasters(cls))
             for cls in event_classes()}

    assert found == {topic: (version, []) for topic, (version, _) in EVENTS.items()}


def test_every_topic_resolves_to_its_class() -> None:
    assert all(resolve_topic(get_topic(cls)) is cls for cls in event_classes())


def test_the_event_fields_are_exactly_these() -> None:
    found = {get_topic(cls): tuple(f.name for f in dataclasses.fields(cls))  # type: ignore[arg-type]
             for cls in event_classes()}

    assert found == {topic: (CREATED_ENVELOPE if topic in CREATED else ENVELOPE) + fields
                     for topic, (_, fields) in EVENTS.items()}


def test_the_aggregate_and_its_snapshots_keep_their_topic_version_and_upcasters() -> None:
    assert (get_topic(GrantProject), GrantProject.class_version, upcasters(GrantProject),
            get_topic(GrantProject.Snapshot)) == (
        "domain.project:GrantProject", 4, ["upcast_v1_v2", "upcast_v2_v3", "upcast_v3_v4"],
        "eventsourcing.domain:Snapshot")
