"""A project's derived deadlines (the final claim deadline, the sustainability years and their
reports) must fall within the business dates the ledger takes (to 2199-12-31), or the views
could not state them: a registration or a change of the realisation end that would push them
beyond is refused (found by the generated requests of test_api_generated_requests)."""

from __future__ import annotations

from api_builders import PROJECTS, event_count, nek_registration, post, problem, project_path
from flask.testing import FlaskClient


def test_a_registration_whose_sustainability_reports_fall_after_2199_is_refused(
        client: FlaskClient) -> None:
    body = nek_registration(realisation_start="2190-01-01", realisation_end="2195-12-31",
                            stages=None, activities=[], milestones=[])
    body = {k: v for k, v in body.items() if v is not None}

    response = post(client, PROJECTS, body, "manager")

    assert (response.status_code, problem(response)["errors"]) == (422, {"realisation_end": [
        "2195-12-31 puts the project's deadlines (the claim deadline, 5 sustainability years "
        "and their reports) as late as 2201-01-30, after 2199-12-31, the last business date "
        "the ledger takes"]})


def test_moving_the_end_so_that_the_reports_fall_after_2199_is_refused(
        client: FlaskClient, nek: str) -> None:
    response = post(client, project_path(nek, "realisation-end"),
                    {"new_end": "2199-05-04", "reference": "Z-1"}, "manager")

    assert (response.status_code, problem(response)["rule"]) == (409, "REALISATION_END_INVALID")
    assert problem(response)["detail"].startswith("2199-05-04 puts the project's deadlines")
    assert event_count(client, nek) == 1
