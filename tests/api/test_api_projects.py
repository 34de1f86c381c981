"""POST/GET /api/v1/projects: registering NEK and reading it back."""

from __future__ import annotations

from api_builders import (
    NEK_NUMBER,
    OTHER_NUMBER,
    PROJECTS,
    get,
    nek_registration,
    post,
    project_path,
    register_nek,
)
from flask.testing import FlaskClient

# uuid5(uuid5(NAMESPACE_URL, "https://grantledger/projects"), NEK_NUMBER): the same in every store.
NEK_ID = "740a3387-5e4c-5a9d-b8eb-3b5c18a5af5b"


def test_registering_a_project_answers_201_with_its_location_and_an_id_from_its_number(
        client: FlaskClient) -> None:
    response = post(client, PROJECTS, nek_registration(), "manager")

    assert (response.status_code, response.headers["Location"], response.get_json()) == (
        201, f"/api/v1/projects/{NEK_ID}",
        {"id": NEK_ID, "registration_number": NEK_NUMBER, "position": 1})


def test_a_registered_project_reads_back_with_its_lines_schedule_and_stages(
        client: FlaskClient, nek: str) -> None:
    response = get(client, project_path(nek))

    project = response.get_json()
    assert response.status_code == 200
    assert {k: project[k] for k in (
        "id", "registration_number", "acronym", "beneficiary", "programme", "provider",
        "realisation_start", "realisation_end", "original_realisation_end", "eligible_from",
        "latest_end", "currency", "support_rate", "max_subsidy", "line_transfer_tolerance",
        "claim_deadline_days", "version", "position", "registered_by")} == {
        "id": NEK_ID, "registration_number": NEK_NUMBER, "acronym": "OPEIC",
        "beneficiary": {"name": "Národní energetický klastr, z.s.", "ico": "01234567",
                        "vat_payer": True},
        "programme": "OP PIK", "provider": "MPO",
        "realisation_start": "2016-04-01", "realisation_end": "2018-03-31",
        "original_realisation_end": "2018-03-31", "eligible_from": "2016-04-01",
        "latest_end": None, "currency": "CZK", "support_rate": "0.50",
        "max_subsidy": "3888100.00", "line_transfer_tolerance": "0.00",
        "claim_deadline_days": 60, "version": 1, "position": 1,
        "registered_by": {"name": "manager", "role": "manager", "subject": "manager"}}
    assert [(line["code"], line["registered"], line["planned"])
            for line in project["budget_lines"]] == [
        ("PERSONNEL", "2400000.00", "2400000.00"),
        ("EXTERNAL_SERVICES", "2276200.00", "2276200.00"),
        ("TRAVEL", "900000.00", "900000.00"),
        ("MARKETING_PROMOTION", "800000.00", "800000.00"),
        ("SEMINARS_CONFERENCES", "1200000.00", "1200000.00"),
        ("RENT", "200000.00", "200000.00")]
    assert project["activities"] == [
        {"code": "3", "parent": None, "title": "Promoting NEK abroad",
         "planned_start": "2016-04-01", "planned_end": "2018-03-31",
         "started_on": None, "completed_on": None},
        {"code": "3.4", "parent": "3", "title": "Obtaining the ECEI Bronze Label",
         "planned_start": "2017-01-01", "planned_end": "2017-09-30",
         "started_on": None, "completed_on": None}]
    assert project["milestones"] == [
        {"code": "ECEI_BRONZE", "title": "ECEI Bronze Label obtained", "due": "2017-09-30",
         "activity": "3.4", "achieved_on": None}]
    assert project["stages"] == [{"code": "1", "start": "2016-04-01", "end": "2017-03-31"},
                                 {"code": "2", "start": "2017-04-01", "end": "2018-03-31"}]
    assert project["head"]["version"] == 1 and len(project["head"]["hash"]) == 64


def test_a_registration_without_the_optional_fields_gets_their_defaults(
        client: FlaskClient) -> None:
    body = nek_registration()
    for optional in ("eligible_from", "line_transfer_tolerance", "claim_deadline_days",
                     "stages", "currency"):
        del body[optional]
    project_id = post(client, PROJECTS, body, "manager").get_json()["id"]

    project = get(client, project_path(project_id)).get_json()

    assert (project["eligible_from"], project["line_transfer_tolerance"],
            project["claim_deadline_days"], project["currency"], project["stages"]) == (
        "2016-04-01", "0.00", 60, "CZK",
        [{"code": "1", "start": "2016-04-01", "end": "2018-03-31"}])


def test_the_project_list_holds_every_project_in_the_order_registered(
        client: FlaskClient, nek: str) -> None:
    other = register_nek(client, registration_number=OTHER_NUMBER, acronym="OTHER")

    response = get(client, PROJECTS)

    body = response.get_json()
    assert (response.status_code, [p["id"] for p in body["projects"]], body["next_cursor"]) == (
        200, [nek, other], None)


def test_the_project_list_filtered_by_registration_number_holds_only_that_project(
        client: FlaskClient, nek: str) -> None:
    register_nek(client, registration_number=OTHER_NUMBER, acronym="OTHER")

    body = get(client, f"{PROJECTS}?registration_number={NEK_NUMBER}").get_json()

    assert ([p["id"] for p in body["projects"]], body["projects"][0]["acronym"]) == (
        [nek], "OPEIC")


def test_the_project_list_filtered_by_an_unregistered_number_is_empty(
        client: FlaskClient, nek: str) -> None:
    body = get(client, f"{PROJECTS}?registration_number=CZ.00.0.00/0.0/0.0/00_000/0000000"
               ).get_json()

    assert body == {"projects": [], "next_cursor": None}


def test_the_project_list_is_paged_by_cursor_and_limit(client: FlaskClient, nek: str) -> None:
    second = register_nek(client, registration_number=OTHER_NUMBER, acronym="OTHER")
    third = register_nek(client, registration_number=OTHER_NUMBER + "1", acronym="THIRD")
    first_page = get(client, f"{PROJECTS}?limit=2").get_json()

    last_page = get(client, f"{PROJECTS}?limit=2&cursor={first_page['next_cursor']}").get_json()

    assert ([p["id"] for p in first_page["projects"]], [p["id"] for p in last_page["projects"]],
            last_page["next_cursor"]) == ([nek, second], [third], None)
