"""Why a command was refused.

Two kinds of refusal: the command names something the project does not have or carries a
value no rule could accept (`InvalidCommandError`, tied to one field), or the project's current
state forbids it (`RuleViolationError`, named by its rule). A refused command records nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

# An unknown code's message lists the project's codes, up to this many.
KNOWN_SHOWN = 30


class GrantLedgerError(Exception):
    """Root of every refusal the domain makes."""

    rule = "REFUSED"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidCommandError(GrantLedgerError):
    """A field of the command is invalid on its own or for this project."""

    rule = "INVALID_FIELD"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class UnknownReferenceError(InvalidCommandError):
    """The command refers to a line, activity, milestone, stage, expense or claim that the
    project does not have."""

    rule = "UNKNOWN_REFERENCE"

    def __init__(self, field: str, kind: str, key: str, known: Iterable[str] = ()) -> None:
        codes = list(known)
        listed = ", ".join(codes[:KNOWN_SHOWN]) + (", …" if len(codes) > KNOWN_SHOWN else "")
        super().__init__(field, f"the project has no {kind} {key!r}" + (
            f" (it has: {listed})" if codes else ""))
        self.kind = kind
        self.key = key


class IndicatorMissingError(InvalidCommandError):
    rule = "INDICATOR_MISSING"


class IndicatorGivenTwiceError(InvalidCommandError):
    rule = "INDICATOR_GIVEN_TWICE"


class IndicatorCommentMissingError(InvalidCommandError):
    rule = "INDICATOR_COMMENT_MISSING"


class IndicatorValueNegativeError(InvalidCommandError):
    rule = "INDICATOR_VALUE_NEGATIVE"


class RuleViolationError(GrantLedgerError):
    """The project's current state forbids the command; subclasses name the rule."""


class ProjectAlreadyRegisteredError(RuleViolationError):
    rule = "PROJECT_ALREADY_REGISTERED"
    # The registered project's id, when the refusal's receiver knows it (service.web).
    project_id: UUID | None = None


class DoubleFinancingError(RuleViolationError):
    rule = "DOUBLE_FINANCING"


class ExpenseReversedError(RuleViolationError):
    rule = "EXPENSE_REVERSED"


class ExpenseAlreadyPaidError(RuleViolationError):
    rule = "EXPENSE_ALREADY_PAID"


class ExpenseInApprovedClaimError(RuleViolationError):
    rule = "EXPENSE_IN_APPROVED_CLAIM"


class ExpenseIdTakenError(RuleViolationError):
    rule = "EXPENSE_ID_TAKEN"


class ActivityAlreadyStartedError(RuleViolationError):
    rule = "ACTIVITY_ALREADY_STARTED"


class ActivityNotStartedError(RuleViolationError):
    rule = "ACTIVITY_NOT_STARTED"


class ActivityCompletedBeforeStartError(RuleViolationError):
    rule = "ACTIVITY_COMPLETED_BEFORE_START"


class ActivityAlreadyCompletedError(RuleViolationError):
    rule = "ACTIVITY_ALREADY_COMPLETED"


class MilestoneAlreadyAchievedError(RuleViolationError):
    rule = "MILESTONE_ALREADY_ACHIEVED"


class MilestoneInFutureError(RuleViolationError):
    rule = "MILESTONE_DATE_IN_FUTURE"


class BudgetChangeIdTakenError(RuleViolationError):
    rule = "BUDGET_CHANGE_ID_TAKEN"


class LineBelowEligibleError(RuleViolationError):
    rule = "LINE_BELOW_ELIGIBLE"


class TransferBeyondToleranceError(RuleViolationError):
    rule = "TRANSFER_BEYOND_TOLERANCE"


class RealisationEndError(RuleViolationError):
    rule = "REALISATION_END_INVALID"


class ClaimNumberTakenError(RuleViolationError):
    rule = "CLAIM_NUMBER_TAKEN"


class ExpenseNotClaimableError(RuleViolationError):
    rule = "EXPENSE_NOT_CLAIMABLE"


class SecondFinalClaimError(RuleViolationError):
    rule = "SECOND_FINAL_CLAIM"


class ClaimAlreadyApprovedError(RuleViolationError):
    rule = "CLAIM_ALREADY_APPROVED"


class ExclusionTooLargeError(RuleViolationError):
    rule = "EXCLUSION_EXCEEDS_EXPENSE"


class ClaimNotApprovedError(RuleViolationError):
    rule = "CLAIM_NOT_APPROVED"


class PayoutExceedsApprovedError(RuleViolationError):
    rule = "PAYOUT_EXCEEDS_APPROVED"


class CorrectionIdTakenError(RuleViolationError):
    rule = "CORRECTION_ID_TAKEN"


class CorrectionsExceedPaidError(RuleViolationError):
    rule = "CORRECTIONS_EXCEED_PAID"


class ReportAlreadySubmittedError(RuleViolationError):
    rule = "REPORT_ALREADY_SUBMITTED"


class ReportAlreadyApprovedError(RuleViolationError):
    rule = "REPORT_ALREADY_APPROVED"


class ReportNotSubmittedError(RuleViolationError):
    rule = "REPORT_NOT_SUBMITTED"


class ReportAlreadyDecidedError(RuleViolationError):
    rule = "REPORT_ALREADY_DECIDED"


class ReportPeriodNotEndedError(RuleViolationError):
    rule = "REPORT_PERIOD_NOT_ENDED"


class ReportDateInFutureError(RuleViolationError):
    rule = "REPORT_DATE_IN_FUTURE"


class ReportDateOutOfOrderError(RuleViolationError):
    """A decision dated before the submission it decides, or a resubmission dated before
    the return it answers."""

    rule = "REPORT_DATE_OUT_OF_ORDER"


class NoGrantError(RuleViolationError):
    """A revocation names a subject that holds no grant on the project."""

    rule = "NO_GRANT"


class NotEntitledError(GrantLedgerError):
    """The acting principal's role does not allow the command on this project: granting
    `auditor` (separation of duties), or acting under a grant revoked meanwhile."""

    rule = "ROLE_NOT_ALLOWED"
