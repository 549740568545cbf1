"""Each page's element ids are unique, so every <label for> names its own field; a moment
the history records reads on the organisation's clock.

A section that shared its id with a form field took the field's label: the management
review's narrative box and the organisation page's service-level preset had no accessible
name (found by a screen-reader crawl)."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime

import pytest
from flask.testing import FlaskClient

from services import audit
from services.db import db
from tests import journeys as j
from tests.app.helpers import login

PAGES = [
    ("manager", "/management-review"),
    ("admin", "/admin/organisation"),
    ("admin", "/admin/calendar"),
    ("manager", "/dashboard"),
    ("manager", "/improvement"),
    ("supervisor", "/inbox"),
]
FIELDS = ("input", "select", "textarea")


@pytest.mark.parametrize(("username", "path"), PAGES)
def test_ids_are_unique_and_labels_name_fields(client: FlaskClient, username: str, path: str):
    login(client, username)
    page = client.get(path)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    ids = re.findall(r'<([a-z0-9]+)\b[^>]*\sid="([^"]+)"', html)
    repeated = [name for name, count in Counter(i for _tag, i in ids).items() if count > 1]
    assert repeated == []
    tags = dict((i, tag) for tag, i in ids)
    for target in re.findall(r'<label\b[^>]*\sfor="([^"]+)"', html):
        assert tags.get(target) in FIELDS, f"<label for={target!r}> names a {tags.get(target)}"


def test_a_fired_timers_moment_reads_on_the_organisations_clock(app, client: FlaskClient):
    """Not the stored UTC text with its microseconds (found by a crawl of the case pages)."""
    with app.app_context():
        complaint = j.to_minor_resolution()
        audit.record(
            complaint.id,
            "timer_fired",
            summary="minor_sla",
            data={"at": datetime(2026, 11, 30, 13, 21, 5, 39427, tzinfo=UTC)},
        )
        db.session.commit()
        complaint_id = complaint.id
    login(client, "supervisor")
    page = client.get(f"/complaints/{complaint_id}").get_data(as_text=True)
    assert "2026-11-30T13:21:05" not in page
    assert "2026-11-30 14:21 (Europe/Paris)" in page
