"""The management review page: who reads it, the narrative, the PDF, French."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime

import pypdf
import time_machine

from services import business_calendar, reporting
from services.db import db
from services.models import ManagementReview
from tests import journeys as j
from tests.app.helpers import login, post_form

NOVEMBER = datetime(2026, 11, 10, 9, 30, tzinfo=UTC)
PERIOD = "/management-review?start=2026-11-01&end=2026-11-30"


def seed(app) -> None:
    """Three complaints in November 2026 (two closed), one in October."""
    with app.app_context():
        with time_machine.travel(datetime(2026, 10, 14, 9, 30, tzinfo=UTC), tick=False):
            j.file()
        with time_machine.travel(NOVEMBER, tick=False):
            j.to_survey()
            j.to_survey()
            j.file()
            j.write_messages()
        reporting.refresh()
        db.session.commit()


def pdf_text(content: bytes) -> str:
    assert content.startswith(b"%PDF")
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(content)).pages)


def test_the_review_shows_the_periods_figures_beside_the_previous_ones(app, client):
    seed(app)
    login(client, "analyst")
    page = client.get(PERIOD)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Period: 1 November 2026 to 30 November 2026" in text
    assert "Compared with 1 October 2026 to 31 October 2026" in text
    row = text[text.index("Complaints received") :]
    row = row[: row.index("</tr>")]
    assert [cell.split("</td>")[0] for cell in row.split('<td class="num">')[1:]] == [
        "3",
        "1",
        "+2 (+200%)",
    ]
    assert "Write the narrative" not in text  # analysts read


def review_rows(html: str, name: str) -> dict[str, list[str]]:
    """A compared table of the review page: {label: [this period, previous period]}."""
    found = html.split(f'id="table-{name}"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r'<th scope="row">([^<]+)</th>((?:\s*<td class="num">[^<]*</td>)+)', found)
    return {label: re.findall(r'<td class="num">([^<]*)</td>', cells) for label, cells in rows}


def test_the_review_counts_the_complaints_received_by_category_and_department(app, client):
    seed(app)
    login(client, "analyst")
    text = client.get(PERIOD).get_data(as_text=True)
    assert "Complaints received by category" in text
    assert review_rows(text, "categories") == {
        "Product quality": ["2", "—"],
        "Not recorded": ["1", "1"],
    }
    assert review_rows(text, "departments") == {"Customer service": ["3", "1"]}
    post_form(client, "/lang/fr", {}, form_url=PERIOD)
    french = client.get(PERIOD).get_data(as_text=True)
    assert review_rows(french, "categories") == {
        "Qualité du produit": ["2", "—"],
        "Non renseigné": ["1", "1"],
    }


def test_the_default_period_is_the_last_calendar_year(app, client):
    login(client, "senior")
    with app.app_context():
        year = business_calendar.local_today().year - 1
    text = client.get("/management-review").get_data(as_text=True)
    assert f"Period: 1 January {year} to 31 December {year}" in text
    assert f"Compared with 1 January {year - 1} to 31 December {year - 1}" in text


def test_the_manager_saves_the_narrative_and_readers_see_it(app, client):
    login(client, "manager")
    response = post_form(
        client,
        "/management-review",
        {"start": "2026-11-01", "end": "2026-11-30", "narrative": "Volumes rose; seals again."},
        form_url=PERIOD,
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(PERIOD)
    assert "Volumes rose; seals again." in client.get(PERIOD).get_data(as_text=True)
    post_form(
        client,
        "/management-review",
        {"start": "2026-11-01", "end": "2026-11-30", "narrative": "Second version."},
        form_url=PERIOD,
    )
    with app.app_context():
        rows = list(db.session.scalars(db.select(ManagementReview)))
        assert [(r.period_start, r.narrative) for r in rows] == [
            (date(2026, 11, 1), "Second version.")
        ]
    reader = app.test_client()
    login(reader, "analyst")
    assert "Second version." in reader.get(PERIOD).get_data(as_text=True)


def test_a_narrative_too_long_is_refused_on_the_page(app, client):
    login(client, "manager")
    response = post_form(
        client,
        "/management-review",
        {"start": "2026-11-01", "end": "2026-11-30", "narrative": "x" * 20_001},
        form_url=PERIOD,
    )
    assert response.status_code == 422
    assert "Keep the narrative under 20000 characters." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(ManagementReview.id))) == 0


def test_only_report_readers_open_it_and_only_managers_write(app, client):
    assert client.get("/management-review").status_code == 302  # to the sign-in page
    login(client, "agent")
    assert client.get("/management-review").status_code == 403
    analyst = app.test_client()
    login(analyst, "analyst")
    response = post_form(
        analyst,
        "/management-review",
        {"start": "2026-11-01", "end": "2026-11-30", "narrative": "Not mine to write."},
        form_url=PERIOD,
    )
    assert response.status_code == 403


def test_a_wrong_period_is_explained_and_the_default_shown(app, client):
    login(client, "manager")
    response = client.get("/management-review?start=2026-11-30&end=2026-11-01")
    assert response.status_code == 422
    assert "The last day comes after the first." in response.get_data(as_text=True)


def test_the_review_prints_to_pdf_with_the_narrative(app, client):
    seed(app)
    login(client, "manager")
    post_form(
        client,
        "/management-review",
        {"start": "2026-11-01", "end": "2026-11-30", "narrative": "Seals keep failing."},
        form_url=PERIOD,
    )
    response = client.get("/management-review/review.pdf?start=2026-11-01&end=2026-11-30")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    text = pdf_text(response.get_data())
    assert "Management review" in text
    assert "Seals keep failing." in text
    assert "Complaints received" in text


def test_the_review_reads_in_french_with_french_dates_and_numbers(app, client):
    seed(app)
    login(client, "manager")
    post_form(client, "/lang/fr", {}, form_url=PERIOD)
    page = client.get(PERIOD).get_data(as_text=True)
    assert '<html lang="fr">' in page
    assert "1er novembre 2026" in page and "31 octobre 2026" in page
    assert "+200" in page and "\u00a0%" in page  # French puts a space before the % sign
    text = pdf_text(client.get(PERIOD.replace("?", "/review.pdf?")).get_data())
    assert "30 novembre 2026" in text
