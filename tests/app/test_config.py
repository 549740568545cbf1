"""Settings from the environment: a value that cannot be used (a number, an on/off setting, the
database URL, the password hash method) stops the start with one line per setting saying what
it must be, never a Python traceback."""

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


@pytest.mark.parametrize(
    ("name", "value", "key", "read"),
    [
        ("MAIL_USE_TLS", "true", "MAIL_USE_TLS", True),
        ("MAIL_USE_SSL", "Yes", "MAIL_USE_SSL", True),
        ("SECURE_COOKIES", "off", "SECURE_COOKIES", False),
        ("SECURE_COOKIES", "", "SECURE_COOKIES", None),
        ("PRINT_IN_CHILD", "false", "PRINT_IN_CHILD", False),
        ("TIMERS_EXPECTED", "0", "TIMERS_EXPECTED", False),
        ("WEBHOOK_ALLOW_PRIVATE_TARGETS", "1", "WEBHOOK_ALLOW_PRIVATE_TARGETS", True),
        ("COMPLAINTFLOW_DEMO", "on", "DEMO", True),
    ],
)
def test_on_off_settings_take_1_0_true_false_yes_no_on_off(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str, value: str, key: str, read: bool
) -> None:
    monkeypatch.setenv(name, value)
    assert from_environment(str(tmp_path))[key] is read


@pytest.mark.parametrize(
    ("name", "value", "said"),
    [
        ("SECURE_COOKIES", "maybe", "SECURE_COOKIES must be 1 or 0 (it is 'maybe')."),
        ("MAIL_USE_TLS", "ture", "MAIL_USE_TLS must be 1 or 0 (it is 'ture')."),
        ("PRINT_IN_CHILD", "never", "PRINT_IN_CHILD must be 1 or 0 (it is 'never')."),
        ("PASSWORD_HASH_METHOD", "md5", "PASSWORD_HASH_METHOD must be one of Werkzeug's"),
        ("DATABASE_URL", "nonsense", "DATABASE_URL must be a database URL, such as"),
        ("DATABASE_URL", "postgres://app:s3cret@db/complaints", "DATABASE_URL must be a"),
        (
            "COMPLAINTFLOW_PRESET",
            "nope",
            "COMPLAINTFLOW_PRESET must be one of the presets acpr, asic, fca, grievance "
            "(it is 'nope').",
        ),
    ],
)
def test_an_unusable_setting_is_named_rather_than_read_as_off(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str, value: str, said: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(BadSettings) as refused:
        from_environment(str(tmp_path))
    assert len(refused.value.problems) == 1
    assert said in refused.value.problems[0]
    assert "s3cret" not in refused.value.problems[0]  # a database password is not repeated


def test_a_bad_database_url_or_flag_stops_the_command_in_one_line_each(tmp_path: Path) -> None:
    env = {**os.environ, "SECRET_KEY": "s" * 48, "DATABASE_URL": "nonsense", "MAIL_USE_TLS": "ye"}
    result = flask_command("init-db", env=env)
    assert result.returncode != 0
    assert "config: DATABASE_URL must be a database URL" in result.stderr
    assert "config: MAIL_USE_TLS must be 1 or 0 (it is 'ye')." in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unknown_preset_stops_check_config_naming_the_known_ones(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite",
        "SECRET_KEY": "s" * 48,
        "COMPLAINTFLOW_PRESET": "nope",
    }
    result = flask_command("check-config", env=env)
    assert result.returncode == 1
    assert (
        "config: COMPLAINTFLOW_PRESET must be one of the presets acpr, asic, fca, grievance "
        "(it is 'nope')." in result.stderr
    )
    assert "Traceback" not in result.stderr


def test_a_shipped_preset_is_taken(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("COMPLAINTFLOW_PRESET", " fca ")
    assert from_environment(str(tmp_path))["COMPLAINTFLOW_PRESET"] == "fca"
