"""Projects: register one, list them, read one as registered and changed."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domain.commands import RegisterProject
from domain.errors import ProjectAlreadyRegisteredError
from projections import project_detail
from schemas import (
    ProjectCreatedSchema,
    ProjectListSchema,
    ProjectQuerySchema,
    ProjectSchema,
    RegisterProjectSchema,
)
from service.web.api.common import Blueprint, page, project_ledger, readable_project_ids
from service.web.auth import MANAGE, READ, current_actor, requires
from service.web.idempotency import answered, dumps, idempotent, remembered
from service.web.state import ledger
from service.web.urls import API, project_url
from service.writer import Answer, Outcome

CREATED = ProjectCreatedSchema()
blp = Blueprint("projects", __name__, url_prefix=f"{API}/projects",
                description="Register OP PIK projects and read them as they stand.")


@blp.route("", methods=["POST"])
@requires(MANAGE)
@idempotent
@blp.arguments(RegisterProjectSchema)
@blp.response(201, ProjectCreatedSchema)
def register_project(registration: dict[str, Any]) -> Any:
    """Register a project

    The id is derived from the registration number, so a number registers once (409).
    """
    def answer(outcome: Outcome) -> Answer:
        project = outcome.project
        body = {"id": project.id, "registration_number": project.registration_number,
                "position": outcome.position}
        return 201, dumps(CREATED, body), project_url(project.id)

    try:
        outcome = ledger().register(RegisterProject(registration), current_actor(),
                                    remembered(answer))
    except ProjectAlreadyRegisteredError as taken:  # its problem says where the project is
        taken.project_id = ledger().id_for(registration["registration_number"])
        raise
    return answered(answer(outcome))


@blp.route("", methods=["GET"])
@requires(READ, listing=True)
@blp.arguments(ProjectQuerySchema, location="query")
@blp.response(200, ProjectListSchema)
def list_projects(query: dict[str, Any]) -> Any:
    """List the projects the principal may read, optionally by registration number"""
    ids = readable_project_ids()
    if query.get("registration_number"):
        wanted = ledger().id_for(query["registration_number"])
        ids = [wanted] if wanted in ids else []
    chunk, next_cursor = page(ids, query)
    return {"projects": [project_detail(project_ledger(i)) for i in chunk],
            "next_cursor": next_cursor}


@blp.route("/<uuid:project_id>", methods=["GET"])
@requires(READ)
@blp.response(200, ProjectSchema)
def get_project(project_id: UUID) -> Any:
    """Read a project as registered and changed"""
    return project_detail(project_ledger(project_id))

