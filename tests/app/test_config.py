"""Settings from the environment: a value that is not a usable number stops the start with
one line per setting saying what it must be, never a Python traceback."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.config import BadSettings, from_environment
from tests.app.helpers import flask_command

ROOT = Path(__file__).resolve().parents[2]


def test_numbers_are_read_and_blank_means_the_default(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("MAIL_PORT", " 2525 ")
    monkeypatch.setenv("SESSION_HOURS", "1.5")
    monkeypatch.setenv("DELIVERY_BACKOFF", "0")
    monkeypatch.setenv("WEB_CONCURRENCY", "")
    settings = from_environment(str(tmp_path))
    assert settings["MAIL_PORT"] == 2525
    assert settings["PERMANENT_SESSION_LIFETIME"].total_seconds() == 5400
    assert settings["DELIVERY_BACKOFF"] == 0.0
    assert settings["WEB_CONCURRENCY"] == 1


@pytest.mark.parametrize(
    ("name", "value", "said"),
    [
        ("MAIL_PORT", "smtp", "MAIL_PORT must be a whole number (it is 'smtp')."),
        ("MAIL_PORT", "70000", "MAIL_PORT must be a whole number, from 1 to 65535"),
        ("WEB_CONCURRENCY", "0", "WEB_CONCURRENCY must be a whole number, 1 or more"),
        ("DELIVERY_MAX_ATTEMPTS", "2.5", "DELIVERY_MAX_ATTEMPTS must be a whole number"),
        ("SESSION_HOURS", "0", "SESSION_HOURS must be a number above 0 (it is '0')."),
        ("DELIVERY_LEASE", "nan", "DELIVERY_LEASE must be a number above 0"),
        ("DATABASE_PING_IDLE_SECONDS", "-1", "must be a number, 0 or more (it is '-1')."),
        ("TRACKING_LINK_DAYS", "inf", "TRACKING_LINK_DAYS must be a number above 0"),
    ],
)
def test_an_unusable_number_is_named(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str, value: str, said: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(BadSettings) as refused:
        from_environment(str(tmp_path))
    assert len(refused.value.problems) == 1
    assert said in refused.value.problems[0]


def test_the_start_lists_every_bad_setting_without_a_traceback(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite",
        "SECRET_KEY": "s" * 48,
        "MAIL_PORT": "twenty-five",
        "SESSION_HOURS": "eight",
    }
    result = flask_command("check-config", env=env)
    assert result.returncode == 1
    assert "config: MAIL_PORT must be a whole number (it is 'twenty-five')." in result.stderr
    # Read twice (sessions and remember-me cookies), said once.
    assert result.stderr.count("SESSION_HOURS must be a number above 0") == 1
    assert "Traceback" not in result.stderr
