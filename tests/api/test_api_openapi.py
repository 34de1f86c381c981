"""The OpenAPI document tells the whole contract: each operation's error answers as problem
documents, who may call it, and what needs no token; /docs shows it without internet access."""

from __future__ import annotations

import json
from typing import Any

import pytest
from api_builders import (
    bearer,
    expense_body,
    problem,
    project_path,
    record_expense,
)
from flask.testing import FlaskClient

EXPENSES = "/api/v1/projects/{project_id}/expenses"
UNKNOWN = "00000000-0000-4000-8000-000000000000"


@pytest.fixture
def document(client: FlaskClient) -> dict[str, Any]:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.get_json()
    return body


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method, path, operation) for path, item in document["paths"].items()
            for method, operation in item.items() if method != "parameters"]


def statuses(document: dict[str, Any], method: str, path: str) -> set[str]:
    return set(document["paths"][path][method]["responses"])


@pytest.mark.parametrize(("method", "path", "expected"), [
    ("post", "/api/v1/projects", {"201", "400", "401", "403", "409", "413", "415", "422",
                                  "503"}),
    ("get", "/api/v1/projects", {"200", "400", "401", "503"}),
    ("get", "/api/v1/projects/{project_id}", {"200", "401", "404", "503"}),
    ("post", EXPENSES, {"201", "400", "401", "403", "404", "409", "413", "415", "422", "503"}),
    ("get", "/api/v1/projects/{project_id}/views/budget", {"200", "400", "401", "404", "503"}),
    ("get", "/api/v1/events", {"200", "400", "401", "403", "503"}),
    ("get", "/api/v1/projects/{project_id}/expenses/{expense_id}/history",
     {"200", "401", "403", "404", "503"}),
    ("get", "/health/live", {"200"}),
    ("get", "/health/ready", {"200", "503"}),
    ("get", "/metrics", {"200", "401"}),
])
def test_each_operation_lists_the_answers_it_can_give(
        document: dict[str, Any], method: str, path: str, expected: set[str]) -> None:
    assert statuses(document, method, path) == expected


def test_every_error_answer_is_a_problem_document_that_says_what_it_means(
        document: dict[str, Any]) -> None:
    responses = document["components"]["responses"]
    problem_ref = {"$ref": "#/components/schemas/Problem"}
    for method, path, operation in operations(document):
        for status, answer in operation["responses"].items():
            if int(status) < 400 or (path, status) == ("/health/ready", "503"):
                continue
            answer = responses[answer["$ref"].rsplit("/", 1)[1]] if "$ref" in answer else answer
            assert answer["content"] == {"application/problem+json": {"schema": problem_ref}}, (
                method, path, status)
            assert len(answer["description"]) > 20, (method, path, status)
    assert set(document["components"]["schemas"]["Problem"]["required"]) == {
        "type", "title", "status", "detail"}


def test_the_record_expense_operation_documents_exactly_the_errors_it_answers(
        client: FlaskClient, document: dict[str, Any], nek: str) -> None:
    url = project_path(nek, "expenses")
    body = expense_body(document_number="FV-ONCE")
    record_expense(client, nek, document_number="FV-ONCE")
    answers = [
        client.post(url, data="{", headers=bearer("accountant", Content_Type="application/json")),
        client.post(url, json=body),
        client.post(url, json=body, headers=bearer("viewer")),
        client.post(project_path(UNKNOWN, "expenses"), json=body, headers=bearer("accountant")),
        client.post(url, json=body, headers=bearer("accountant")),  # the same document again
        client.post(url, data=json.dumps({"description": "x" * 1_100_000}),
                    headers=bearer("accountant", Content_Type="application/json")),
        client.post(url, data=json.dumps(body), headers=bearer("accountant",
                                                               Content_Type="text/plain")),
        client.post(url, json={**body, "amount_net": "-1"}, headers=bearer("accountant")),
    ]

    answered = {str(problem(answer)["status"]) for answer in answers}

    # 503 (the store cannot be reached) needs a store outage: the write path's tests.
    assert answered == statuses(document, "post", EXPENSES) - {"201", "503"}


def test_health_and_metrics_need_no_token_and_the_api_names_its_roles(
        document: dict[str, Any]) -> None:
    open_paths = {path for _, path, operation in operations(document)
                  if operation.get("security") == []}
    record = document["paths"][EXPENSES]["post"]

    assert open_paths == {"/health/live", "/health/ready", "/metrics"}
    assert document["security"] == [{"bearer": []}]
    assert "security" not in record
    assert record["description"].endswith("Roles: accountant, admin.")


def test_the_document_carries_the_contracts_version(document: dict[str, Any]) -> None:
    assert (document["info"]["title"], document["info"]["version"]) == ("Grantledger", "1.2")


def test_the_documents_server_is_relative_so_it_works_under_a_path_prefix(
        document: dict[str, Any]) -> None:
    assert [server["url"] for server in document["servers"]] == ["."]


def test_the_docs_page_loads_swagger_ui_and_the_document_by_relative_urls(
        client: FlaskClient) -> None:
    page = client.get("/docs")

    html = page.get_data(as_text=True)
    assert (page.status_code, page.mimetype) == (200, "text/html")
    assert 'url: "openapi.json"' in html
    assert '<script src="docs/assets/swagger-ui-bundle.js"></script>' in html
    assert '<link rel="stylesheet" href="docs/assets/swagger-ui.css">' in html
    assert ("://" in html, 'src="/' in html, 'href="/' in html) == (False, False, False)


def test_the_swagger_ui_assets_are_served_by_the_service(client: FlaskClient) -> None:
    with client.get("/docs/assets/swagger-ui-bundle.js") as script, \
            client.get("/docs/assets/swagger-ui.css") as style:
        assert (script.status_code, script.mimetype, style.status_code, style.mimetype) == (
            200, "text/javascript", 200, "text/css")
        assert b"SwaggerUIBundle" in script.data
    assert client.get("/docs/assets/../../config.py").status_code == 404
