"""The API's JSON shapes: command bodies, query arguments, resources and views (marshmallow).

Command schemas load to the keyword arguments of the domain command they feed; output schemas
dump the plain dicts the service and projections build. This package imports only the standard
library and marshmallow.
"""

from schemas.audit import (
    ChainBreakSchema,
    ChainVerificationSchema,
    DigestCheckSchema,
    EventFilterQuerySchema,
    ExpenseHistorySchema,
    ExpenseVersionSchema,
    ExportQuerySchema,
    FieldChangeSchema,
    VerifiedHeadSchema,
)
from schemas.commands import (
    AchieveMilestoneSchema,
    ApproveClaimSchema,
    BudgetChangeSchema,
    CompleteActivitySchema,
    CorrectExpenseSchema,
    FinancialCorrectionSchema,
    PayExpenseSchema,
    PayoutSchema,
    RealisationEndSchema,
    RecordExpenseSchema,
    ReverseExpenseSchema,
    StartActivitySchema,
    SubmitClaimSchema,
)
from schemas.common import (
    BaseSchema,
    CommandResultSchema,
    ExpenseRecordedSchema,
    FlagSchema,
    HealthSchema,
    ProblemSchema,
    ProjectCreatedSchema,
)
from schemas.events import EventPageSchema, EventSchema, VerificationSchema
from schemas.queries import (
    EventQuerySchema,
    ExpenseQuerySchema,
    PageQuerySchema,
    ProjectQuerySchema,
    VerificationQuerySchema,
    ViewQuerySchema,
)
from schemas.registration import RegisterProjectSchema
from schemas.resources import (
    ClaimListSchema,
    ClaimSchema,
    ExpenseListSchema,
    ExpenseSchema,
    ProjectListSchema,
    ProjectSchema,
)
from schemas.views import (
    BudgetViewSchema,
    PortfolioRowSchema,
    PortfolioSchema,
    ScheduleViewSchema,
    SubsidyViewSchema,
)

__all__ = [
    "AchieveMilestoneSchema",
    "ApproveClaimSchema",
    "BaseSchema",
    "BudgetChangeSchema",
    "BudgetViewSchema",
    "ChainBreakSchema",
    "ChainVerificationSchema",
    "ClaimListSchema",
    "ClaimSchema",
    "CommandResultSchema",
    "CompleteActivitySchema",
    "CorrectExpenseSchema",
    "DigestCheckSchema",
    "EventFilterQuerySchema",
    "EventPageSchema",
    "EventQuerySchema",
    "EventSchema",
    "ExpenseHistorySchema",
    "ExpenseListSchema",
    "ExpenseQuerySchema",
    "ExpenseRecordedSchema",
    "ExpenseSchema",
    "ExpenseVersionSchema",
    "ExportQuerySchema",
    "FieldChangeSchema",
    "FinancialCorrectionSchema",
    "FlagSchema",
    "HealthSchema",
    "PageQuerySchema",
    "PayExpenseSchema",
    "PayoutSchema",
    "PortfolioRowSchema",
    "PortfolioSchema",
    "ProblemSchema",
    "ProjectCreatedSchema",
    "ProjectListSchema",
    "ProjectQuerySchema",
    "ProjectSchema",
    "RealisationEndSchema",
    "RecordExpenseSchema",
    "RegisterProjectSchema",
    "ReverseExpenseSchema",
    "ScheduleViewSchema",
    "StartActivitySchema",
    "SubmitClaimSchema",
    "SubsidyViewSchema",
    "VerificationQuerySchema",
    "VerificationSchema",
    "VerifiedHeadSchema",
    "ViewQuerySchema",
]
