"""Large XLSX exports as background jobs: queued by the request, built by the timer round or a
Celery worker, downloaded from /exports by their requester alone until they expire."""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import openpyxl
import pytest
from celery import Celery
from flask import Flask

from app import exports as export_views
from services import export_jobs
from services.clock import utcnow
from services.db import db
from services.models import ExportJob, User, UserRole
from tests import journeys as j
from tests.app.helpers import login, post_form
from tests.app.test_background import (
    _eventually,
    celery_app,  # noqa: F401 - the fixture `worker` uses
)
from tests.app.test_exports import make_confidential

DOWNLOAD = re.compile(r'href="(/exports/(\d+)/download)"')


@pytest.fixture
def three(app):
    """Two ordinary complaints (one in Billing, one classified) and a confidential one."""
    with app.app_context():
        billing = j.file(complainant_name="Omar Ba", department="Billing").reference
        classified = j.to_minor_resolution().reference
        secret = make_confidential().reference
    return billing, classified, secret


@pytest.fixture
def worker(request) -> Iterator[Celery]:
    """A Celery worker on Redis consuming a queue of this test's (tests/app/test_background).

    Starting it sets the root logger to ERROR (celery.contrib.testing); the level is put back
    so that later tests in this process still capture their INFO records.
    """
    root = logging.getLogger()
    level = root.level
    yield request.getfixturevalue("celery_app")
    root.setLevel(level)


def ask(client, query: str = "", *, queued: bool = True) -> int:
    """Ask for the XLSX export (big enough to be a job): the job's id, from the page shown."""
    response = client.get(f"/complaints/export.xlsx{query}")
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    assert response.headers["Location"].endswith("/exports")
    page = client.get("/exports").get_data(as_text=True)
    assert "Your export is being prepared" in page
    assert "Queued" in page or not queued
    ids = re.findall(r'id="export-(\d+)"', page)
    return int(ids[0])  # newest first


def timer_round(app: Flask) -> str | None:
    """What the timer loop does for exports in one round."""
    with app.app_context():
        return export_views.build_next_export()


def sheet(client, job_id: int) -> list[tuple]:
    response = client.get(f"/exports/{job_id}/download")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert response.headers["Cache-Control"] == "no-store"
    content = response.get_data()
    response.close()
    return list(openpyxl.load_workbook(io.BytesIO(content)).active.values)


def job(app: Flask, job_id: int) -> ExportJob:
    with app.app_context():
        found = db.session.get(ExportJob, job_id)
        db.session.expunge(found)
        return found


def test_a_large_export_is_queued_built_by_the_timer_round_and_downloaded(app, client, three):
    billing, classified, secret = three
    app.config["EXPORT_DIRECT_ROWS"] = 2  # two rows visible to the analyst: a job
    login(client, "analyst")
    job_id = ask(client)
    queued = job(app, job_id)
    assert (queued.status, queued.rows, queued.file_format) == ("queued", 2, "xlsx")
    assert client.get(f"/exports/{job_id}/download").status_code == 404  # not built yet

    assert timer_round(app) == "ready"
    assert timer_round(app) is None  # one job, built once
    built = job(app, job_id)
    assert (built.status, built.rows, built.progress) == ("ready", 2, 2)
    assert (
        built.file_size
        == (Path(app.config["DOCUMENT_DIR"]) / "exports" / built.file_name).stat().st_size
    )
    assert built.expires_at is not None
    page = client.get("/exports").get_data(as_text=True)
    assert "Ready" in page
    assert DOWNLOAD.search(page).group(1) == f"/exports/{job_id}/download"

    rows = sheet(client, job_id)
    assert rows[0][0] == "Reference"
    # The rows of the list, newest first; the confidential complaint is not the analyst's.
    assert [row[0] for row in rows[1:]] == [classified, billing]
    assert secret not in {row[0] for row in rows}


def test_the_job_keeps_the_filters_and_the_requesters_language(app, client, three):
    billing, _classified, _secret = three
    app.config["EXPORT_DIRECT_ROWS"] = 1
    login(client, "analyst")
    post_form(client, "/lang/fr", {}, form_url="/complaints")
    response = client.get("/complaints/export.xlsx?department=Billing")
    assert response.status_code == 302
    assert "Votre export est en préparation" in client.get("/exports").get_data(as_text=True)
    post_form(client, "/lang/en", {}, form_url="/complaints")  # the file keeps the request's
    assert timer_round(app) == "ready"
    with app.app_context():
        job_id = db.session.scalar(db.select(ExportJob.id))
    rows = sheet(client, job_id)
    assert rows[0][0] == "Référence"
    assert [row[0] for row in rows[1:]] == [billing]
    assert dict(zip(rows[0], rows[1], strict=True))["Confidentiel"] == "Non"


def test_small_exports_still_stream_in_the_request(app, client, three):
    login(client, "analyst")  # EXPORT_DIRECT_ROWS is 50,000 by default
    response = client.get("/complaints/export.xlsx")
    assert response.status_code == 200
    response.close()
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(ExportJob.id))) == 0


def test_only_the_requester_downloads_the_file(app, client, three):
    app.config["EXPORT_DIRECT_ROWS"] = 1
    login(client, "analyst")
    job_id = ask(client)
    assert timer_round(app) == "ready"
    other = app.test_client()
    login(other, "manager")
    assert other.get(f"/exports/{job_id}/download").status_code == 403
    # Nor is it on their page.
    assert f"/exports/{job_id}/download" not in other.get("/exports").get_data(as_text=True)
    own = client.get(f"/exports/{job_id}/download")
    assert own.status_code == 200
    own.close()


def test_an_expired_file_is_removed_and_the_page_says_so(app, client, three):
    app.config["EXPORT_DIRECT_ROWS"] = 1
    login(client, "analyst")
    job_id = ask(client)
    assert timer_round(app) == "ready"
    path = Path(app.config["DOCUMENT_DIR"]) / "exports" / job(app, job_id).file_name
    assert path.is_file()
    with app.app_context():
        # Not yet: the hourly sweep keeps it.
        assert export_views.remove_expired_exports() == []
        db.session.get(ExportJob, job_id).expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
        assert export_views.remove_expired_exports() == [job_id]
    assert not path.exists()
    assert job(app, job_id).status == "expired"
    page = client.get("/exports").get_data(as_text=True)
    assert "Expired: the file was removed" in page
    assert not DOWNLOAD.search(page)
    assert client.get(f"/exports/{job_id}/download").status_code == 404


def test_confidential_complaints_only_in_the_files_of_staff_with_clearance(app, client, three):
    _billing, _classified, secret = three
    app.config["EXPORT_DIRECT_ROWS"] = 1
    login(client, "analyst")
    analysts = ask(client, "?confidential=y")  # a hand-made filter reveals nothing
    focal = app.test_client()
    login(focal, "focal")
    focals = ask(focal, "?confidential=y")
    assert timer_round(app) == "ready"
    assert timer_round(app) == "ready"
    assert secret not in {row[0] for row in sheet(client, analysts)}
    rows = sheet(focal, focals)
    assert [row[0] for row in rows[1:]] == [secret]


def test_clearance_lost_before_the_build_narrows_the_file(app, client, three):
    _billing, _classified, secret = three
    app.config["EXPORT_DIRECT_ROWS"] = 1
    with app.app_context():
        analyst = db.session.scalar(db.select(User).where(User.username == "analyst"))
        analyst.confidential_clearance = True
        analyst_id = analyst.id
        db.session.commit()
    login(client, "analyst")
    job_id = ask(client)
    with app.app_context():
        db.session.get(User, analyst_id).confidential_clearance = False
        db.session.commit()
    assert timer_round(app) == "ready"
    assert secret not in {row[0] for row in sheet(client, job_id)}


def test_a_failed_build_shows_failed_with_the_reason(app, client, three):
    app.config["EXPORT_DIRECT_ROWS"] = 1
    login(client, "analyst")
    job_id = ask(client)
    # The storage is not a folder: the file cannot be written.
    blocked = Path(app.config["DOCUMENT_DIR"])
    blocked.parent.mkdir(parents=True, exist_ok=True)
    blocked.write_text("not a folder")
    assert timer_round(app) == "failed"
    failed = job(app, job_id)
    assert failed.status == "failed" and failed.file_name is None
    assert "Error" in failed.error
    page = client.get("/exports").get_data(as_text=True)
    assert "Failed" in page
    assert failed.error.split(":")[0] in page
    assert not DOWNLOAD.search(page)
    assert client.get(f"/exports/{job_id}/download").status_code == 404


def test_a_build_for_someone_who_lost_their_role_fails_with_the_reason(app, client, three):
    app.config["EXPORT_DIRECT_ROWS"] = 1
    login(client, "analyst")
    job_id = ask(client)
    with app.app_context():
        analyst = db.session.scalar(db.select(User).where(User.username == "analyst"))
        analyst_id, held = analyst.id, sorted(analyst.role_names)
        db.session.execute(db.delete(UserRole).where(UserRole.user_id == analyst_id))
        db.session.commit()
    assert timer_round(app) == "failed"
    assert job(app, job_id).error == export_jobs.NO_ACCESS
    assert not list((Path(app.config["DOCUMENT_DIR"]) / "exports").glob("*"))
    with app.app_context():  # given back, they read why
        db.session.add_all(UserRole(user_id=analyst_id, role=role) for role in held)
        db.session.commit()
    page = client.get("/exports").get_data(as_text=True)
    assert "Your role no longer gives access to complaints." in page


def test_a_job_is_claimed_once(app, client, three):
    app.config["EXPORT_DIRECT_ROWS"] = 1
    login(client, "analyst")
    job_id = ask(client)
    with app.app_context():
        assert export_jobs.claim(job_id) is True
        assert export_jobs.claim(job_id) is False
        assert export_views.build_export(job_id) is None  # a second worker leaves it
        assert export_jobs.next_queued() is None
    assert job(app, job_id).status == "running"
    assert "Being built" in client.get("/exports").get_data(as_text=True)


def test_a_celery_worker_builds_the_job(app, client, three, worker: Celery):
    billing, classified, _secret = three
    app.config["EXPORT_DIRECT_ROWS"] = 1
    login(client, "analyst")
    job_id = ask(client, queued=False)  # the request hands the job to the worker
    _eventually(lambda: job(app, job_id).status == "ready")
    rows = sheet(client, job_id)
    assert [row[0] for row in rows[1:]] == [classified, billing]
    # The beat's hourly task removes it once it is past its time.
    with app.app_context():
        db.session.get(ExportJob, job_id).expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    worker.tasks["complaintflow.expire_exports"].delay()
    _eventually(lambda: job(app, job_id).status == "expired")


def test_a_build_lost_with_its_worker_is_failed_by_the_sweep(app, client, three):
    app.config["EXPORT_DIRECT_ROWS"] = 1
    login(client, "analyst")
    job_id = ask(client)
    with app.app_context():
        assert export_jobs.claim(job_id)  # then the worker died
        assert export_views.remove_expired_exports() == []
        assert db.session.get(ExportJob, job_id).status == "running"  # still building
        db.session.get(ExportJob, job_id).started_at = utcnow() - timedelta(hours=7)
        db.session.commit()
        export_views.remove_expired_exports()
    assert (job(app, job_id).status, job(app, job_id).error) == ("failed", "interrupted")
    page = client.get("/exports").get_data(as_text=True)
    assert "The build was interrupted. Please ask for the export again." in page
