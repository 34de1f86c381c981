"""The service's processes collect reference cycles at the thresholds of service.collector."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest

from service.cli.main import main
from service.collector import THRESHOLDS


@pytest.fixture
def default_thresholds() -> Iterator[None]:
    before = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield
    gc.set_threshold(*before)


@pytest.mark.usefixtures("default_thresholds")
def test_every_command_sets_the_thresholds_before_it_runs(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["token", "--role", "viewer", "--name", "gc"]) == 0
    capsys.readouterr()
    assert gc.get_threshold() == THRESHOLDS == (50_000, 20, 100)


@pytest.mark.usefixtures("default_thresholds")
def test_the_gunicorn_master_sets_them_before_it_forks_its_workers(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from service.web import gunicorn_conf

    monkeypatch.setattr(gunicorn_conf, "_make_metrics_folder", lambda server: None)
    monkeypatch.setattr(gunicorn_conf, "_make_batch_homes", lambda server: None)
    monkeypatch.setenv("GRANTLEDGER_DATABASE_URL", f"sqlite:///{tmp_path}/ledger.db")
    monkeypatch.setenv("GRANTLEDGER_MIGRATE", "y")
    gunicorn_conf.on_starting(server=None)
    assert gc.get_threshold() == THRESHOLDS
