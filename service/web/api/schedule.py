"""The schedule: activities started and completed, milestones achieved, the end moved."""

from __future__ import annotations

from domain.commands import (
    AchieveMilestone,
    ChangeRealisationEnd,
    CompleteActivity,
    StartActivity,
)
from schemas import (
    AchieveMilestoneSchema,
    CompleteActivitySchema,
    RealisationEndSchema,
    StartActivitySchema,
)
from service.web.api.common import Blueprint, command_endpoint
from service.web.auth import MANAGE
from service.web.urls import API

blp = Blueprint("schedule", __name__, url_prefix=f"{API}/projects/<uuid:project_id>",
                description="Activities, milestones and the realisation period.")

command_endpoint(blp, "/activities/<code>/start", StartActivity, StartActivitySchema, MANAGE,
                 "Record that an activity started", path_fields={"code": "activity"})
command_endpoint(blp, "/activities/<code>/completion", CompleteActivity,
                 CompleteActivitySchema, MANAGE, "Record that an activity was completed",
                 path_fields={"code": "activity"})
command_endpoint(blp, "/milestones/<code>/achievement", AchieveMilestone,
                 AchieveMilestoneSchema, MANAGE,
                 "Record that a milestone was achieved, with its evidence",
                 path_fields={"code": "milestone"})
command_endpoint(blp, "/realisation-end", ChangeRealisationEnd, RealisationEndSchema, MANAGE,
                 "Move the realisation end, after an approved change of the project")
