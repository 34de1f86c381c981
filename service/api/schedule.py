"""The schedule: activities started and completed, milestones achieved, the end moved."""

from __future__ import annotations

from schemas import (
    AchieveMilestoneSchema,
    CompleteActivitySchema,
    RealisationEndSchema,
    StartActivitySchema,
)
from service.api.common import API, Blueprint, command_endpoint
from service.auth import MANAGE

blp = Blueprint("schedule", __name__, url_prefix=f"{API}/projects/<uuid:project_id>",
                description="Activities, milestones and the realisation period.")

command_endpoint(blp, "/activities/<code>/start", "start_activity", StartActivitySchema, MANAGE,
                 "Record that an activity started", target="code")
command_endpoint(blp, "/activities/<code>/completion", "complete_activity",
                 CompleteActivitySchema, MANAGE, "Record that an activity was completed",
                 target="code")
command_endpoint(blp, "/milestones/<code>/achievement", "achieve_milestone",
                 AchieveMilestoneSchema, MANAGE,
                 "Record that a milestone was achieved, with its evidence", target="code")
command_endpoint(blp, "/realisation-end", "change_realisation_end", RealisationEndSchema, MANAGE,
                 "Move the realisation end, after an approved change of the project")
