"""The demo's dashboard has figures: `flask seed-demo` counts the demo complaints in the
roll-ups after moving each one back to its moment (the README's dashboard screenshot)."""

from __future__ import annotations

import re

from services.db import db
from services.models import Complaint
from tests.app.helpers import login


def test_the_demo_dashboard_counts_the_demo_complaints(app, runner, client):
    result = runner.invoke(args=["seed-demo", "--complaints"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        closed = db.session.scalar(
            db.select(db.func.count(Complaint.id)).where(Complaint.closed_at.is_not(None))
        )
    assert closed >= 8

    login(client, "manager")
    page = client.get("/dashboard").get_data(as_text=True)
    totals = page.split('id="totals"', 1)[1].split("</table>", 1)[0]
    figures = dict(re.findall(r'<th scope="row">([^<]+)</th>\s*<td>(?:<a [^>]*>)?([^<]+)', totals))
    # The default period (the last twelve months) holds every demo complaint's closure.
    assert figures["Closed"].strip() == str(closed)
    assert figures["Received"].strip() not in ("0", "")
