"""GRANTLEDGER_METRICS_PROJECTS: which projects get series of their own on /metrics."""

from __future__ import annotations

import pytest

from service.config import ConfigurationError, MetricsProjects, Settings


@pytest.mark.parametrize(("text", "expected"), [
    ("", MetricsProjects()),
    ("off", MetricsProjects()),
    ("top:25", MetricsProjects(top=25)),
    (" TOP:1 ", MetricsProjects(top=1)),
    ("CZ.01.1.02/0.0/0.0/15_009/0002300, 3f2c9d1e-8b7a-4c6d-9e0f-112233445566,",
     MetricsProjects(named=frozenset({"CZ.01.1.02/0.0/0.0/15_009/0002300",
                                      "3f2c9d1e-8b7a-4c6d-9e0f-112233445566"}))),
])
def test_the_syntax(text: str, expected: MetricsProjects) -> None:
    assert MetricsProjects.parse(text) == expected


@pytest.mark.parametrize(("text", "message"), [
    ("top:0", "GRANTLEDGER_METRICS_PROJECTS='top:0': top:N takes N from 1 to 1000"),
    ("top:all", "GRANTLEDGER_METRICS_PROJECTS='top:all': top:N takes N from 1 to 1000"),
    (",".join(f"p{n}" for n in range(1001)),
     "GRANTLEDGER_METRICS_PROJECTS names 1001 projects; at most 1000"),
])
def test_a_selection_that_could_grow_without_bound_is_refused(text: str, message: str) -> None:
    with pytest.raises(ConfigurationError) as refused:
        Settings.from_env({"GRANTLEDGER_METRICS_PROJECTS": text})

    assert str(refused.value) == message


def test_off_by_default() -> None:
    assert Settings.from_env({}).metrics_projects == MetricsProjects()
