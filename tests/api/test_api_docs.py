"""docs/API.md and docs/DOMAIN.md stay true and the repository stands on its own: the example
bodies are accepted as written, the version 1.2 heading is there for the sections to come, and
no document points outside the repository."""

from __future__ import annotations

import json
import re
from pathlib import Path

from api_builders import PROJECTS, bearer, project_path
from flask.testing import FlaskClient

REPO = Path(__file__).resolve().parents[2]
API_MD = REPO / "docs" / "API.md"


def test_the_example_bodies_of_api_md_are_accepted(client: FlaskClient) -> None:
    registration, expense = (json.loads(block) for block in
                             re.findall(r"```json\n(.*?)```", API_MD.read_text(), re.S))

    registered = client.post(PROJECTS, json=registration, headers=bearer("manager"))
    recorded = client.post(project_path(registered.get_json()["id"], "expenses"), json=expense,
                           headers=bearer("accountant"))

    assert (registered.status_code, recorded.status_code,
            recorded.get_json()["time_eligible"]) == (201, 201, True)


def test_api_md_documents_the_operations_and_pages_of_version_1_2() -> None:
    version_1_2 = API_MD.read_text().split("## Added in version 1.2", 1)[1]

    assert [name for name in ("### Identities", "### Roles per project", "### Pages",
                              "`GET …/access`", "`POST …/access`", "`POST …/access/revocation`",
                              "`GET /api/v1/me`", "`POST /api/v1/me/feed-key`", "`/app/`")
            if name not in version_1_2] == []


def test_no_document_or_source_points_outside_the_repository() -> None:
    files = [REPO / "README.md", *(REPO / "docs").glob("*.md"),
             *(p for folder in ("service", "domain", "projections", "schemas")
               for p in (REPO / folder).rglob("*.py")),
             REPO / "tests" / "benchmarks" / "bench.py", REPO / "tests" / "benchmarks" / "scale.py"]

    assert [str(f.relative_to(REPO)) for f in files if "../shared" in f.read_text()
            or "shared/design" in f.read_text() or "shared/bench" in f.read_text()] == []


def test_the_links_between_the_documents_resolve() -> None:
    for document in [REPO / "README.md", *(REPO / "docs").glob("*.md")]:
        for target in re.findall(r"\]\(([^)#:]+\.md)\)", document.read_text()):
            assert (document.parent / target).is_file(), f"{document.name} → {target}"
