"""Who may act on a project (DOMAIN.md 1.2): grants and revocations as events of the project,
and separation of duties."""

from __future__ import annotations

from builders import last_event, manager, refused, registered_nek_project, stamp

from domain import errors
from domain.access import acting_role
from domain.events import event_data, event_type
from domain.project import GrantProject
from domain.records import Stamp

SUBJECT = "https://sso.nek.cz/realms/nek#5f0c"


def admin() -> Stamp:
    return stamp("admin", "ops")


def test_a_grant_records_the_subject_its_name_and_role() -> None:
    project = registered_nek_project()

    project.grant_access(manager(), SUBJECT, "accountant", "Jana Nováková")

    event = last_event(project)
    assert (event_type(event), event_data(event), project.role_of(SUBJECT)) == (
        "AccessGranted", {"subject": SUBJECT, "name": "Jana Nováková", "role": "accountant"},
        "accountant")


def test_a_grant_without_a_name_shows_the_subject() -> None:
    project = registered_nek_project()

    project.grant_access(manager(), SUBJECT, "viewer", None)

    assert last_event(project).name == SUBJECT


def test_a_second_grant_replaces_the_first() -> None:
    project = registered_nek_project()
    project.grant_access(manager(), SUBJECT, "viewer", None)

    project.grant_access(manager(), SUBJECT, "manager", None)

    assert project.role_of(SUBJECT) == "manager"


def test_only_an_admin_grants_auditor() -> None:
    project = registered_nek_project()

    with refused(project, errors.NotEntitledError):
        project.grant_access(manager(), SUBJECT, "auditor", None)
    project.grant_access(admin(), SUBJECT, "auditor", None)

    assert project.role_of(SUBJECT) == "auditor"


def test_a_manager_may_not_turn_an_auditors_grant_into_another_role() -> None:
    project = registered_nek_project()
    project.grant_access(admin(), SUBJECT, "auditor", None)

    with refused(project, errors.NotEntitledError):
        project.grant_access(manager(), SUBJECT, "viewer", None)


def test_admin_and_unknown_roles_are_no_grant() -> None:
    project = registered_nek_project()

    for role in ("admin", "owner"):
        with refused(project, errors.InvalidCommandError) as refusal:
            project.grant_access(admin(), SUBJECT, role, None)
        assert refusal.value.field == "role"


def test_a_revocation_takes_the_grant_away() -> None:
    project = registered_nek_project()
    project.grant_access(manager(), SUBJECT, "accountant", None)

    project.revoke_access(manager(), SUBJECT, "left the cluster")

    assert (event_type(last_event(project)), project.role_of(SUBJECT)) == (
        "AccessRevoked", None)


def test_revoking_needs_a_grant_a_reason_and_the_right_to_grant_that_role() -> None:
    project = registered_nek_project()
    with refused(project, errors.NoGrantError):
        project.revoke_access(manager(), SUBJECT, "left")
    project.grant_access(admin(), SUBJECT, "auditor", None)

    with refused(project, errors.InvalidCommandError):
        project.revoke_access(admin(), SUBJECT, " ")
    with refused(project, errors.NotEntitledError):
        project.revoke_access(manager(), SUBJECT, "moved")


def test_grants_survive_a_replay_of_the_events() -> None:
    project = registered_nek_project()
    project.grant_access(manager(), SUBJECT, "accountant", None)
    project.grant_access(manager(), "petr", "viewer", None)
    project.revoke_access(manager(), "petr", "left")

    replayed = None
    for event in project.collect_events():
        replayed = event.mutate(replayed)

    assert isinstance(replayed, GrantProject)
    assert replayed.grants == {SUBJECT: "accountant"}


def test_the_acting_role_is_the_grant_when_it_allows_else_the_least_global_one() -> None:
    assert (acting_role(frozenset({"accountant", "admin"}), "accountant", {"admin"}),
            acting_role(frozenset({"accountant", "admin"}), "viewer", {"admin", "viewer"}),
            acting_role(frozenset({"viewer", "auditor", "admin"}), None, {"auditor", "admin"}),
            acting_role(frozenset({"manager", "admin"}), "viewer", set())) == (
        "accountant", "admin", "auditor", None)
