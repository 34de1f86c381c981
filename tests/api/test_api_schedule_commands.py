"""Activities started and completed, milestones achieved, the realisation end moved."""

from __future__ import annotations

from api_builders import command, get, post, project_path
from flask.testing import FlaskClient


def _activity(client: FlaskClient, project_id: str, code: str) -> dict[str, object]:
    activities = get(client, project_path(project_id)).get_json()["activities"]
    return next(a for a in activities if a["code"] == code)


def test_starting_an_activity_records_its_start_date(client: FlaskClient, nek: str) -> None:
    response = post(client, project_path(nek, "activities/3.4/start"),
                    {"started_on": "2017-01-02", "note": "kick-off with ESCA"}, "manager")

    assert (response.status_code, response.get_json(),
            _activity(client, nek, "3.4")["started_on"]) == (200, {"position": 2}, "2017-01-02")


def test_completing_an_activity_after_its_planned_end_shows_it_completed_late(
        client: FlaskClient, nek: str) -> None:
    command(client, nek, "activities/3.4/start", {"started_on": "2017-01-02"})

    response = post(client, project_path(nek, "activities/3.4/completion"),
                    {"completed_on": "2017-10-10", "note": "label awarded"}, "manager")

    row = next(a for a in get(client, project_path(nek, "views/schedule?on=2018-01-01"))
               .get_json()["activities"] if a["code"] == "3.4")
    assert (response.status_code, response.get_json(), row["completed_on"], row["status"],
            row["days_late"]) == (200, {"position": 3}, "2017-10-10", "completed_late", 10)


def test_achieving_a_milestone_records_its_date(client: FlaskClient, nek: str) -> None:
    response = post(client, project_path(nek, "milestones/ECEI_BRONZE/achievement"),
                    {"achieved_on": "2018-02-15", "evidence": "ESCA certificate",
                     "evidence_sha256": "cd" * 32}, "manager")

    milestone = get(client, project_path(nek)).get_json()["milestones"][0]
    assert (response.status_code, response.get_json(), milestone["achieved_on"]) == (
        200, {"position": 2}, "2018-02-15")


def test_moving_the_realisation_end_moves_the_claim_deadline(
        client: FlaskClient, nek: str) -> None:
    response = post(client, project_path(nek, "realisation-end"),
                    {"new_end": "2018-06-30", "reference": "change decision 7"}, "manager")

    project = get(client, project_path(nek)).get_json()
    schedule = get(client, project_path(nek, "views/schedule?on=2018-03-01")).get_json()
    assert (response.status_code, response.get_json(), project["realisation_end"],
            project["original_realisation_end"], schedule["project"]["claim_deadline"]) == (
        200, {"position": 2}, "2018-06-30", "2018-03-31", "2018-08-29")
