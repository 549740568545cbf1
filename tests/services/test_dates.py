"""Dates in words, day first in both languages, from one place (services/dates.py): pages,
emails, letters and their PDFs write the same date the same way."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from flask_babel import force_locale

from app import local_time
from services import dates, documents, letters, message_templates
from tests import journeys as j

FIRST = date(2026, 11, 1)  # a Sunday
CHRISTMAS_EVE = date(2026, 12, 24)  # a Thursday


@pytest.mark.parametrize(
    ("style", "language", "first", "christmas_eve"),
    [
        ("long", "en", "1 November 2026", "24 December 2026"),
        ("short", "en", "1 Nov 2026", "24 Dec 2026"),
        ("full", "en", "Sunday 1 November 2026", "Thursday 24 December 2026"),
        ("month", "en", "November 2026", "December 2026"),
        ("long", "fr", "1er novembre 2026", "24 décembre 2026"),
        ("short", "fr", "1 nov. 2026", "24 déc. 2026"),
        ("full", "fr", "dimanche 1er novembre 2026", "jeudi 24 décembre 2026"),
        ("month", "fr", "novembre 2026", "décembre 2026"),
    ],
)
def test_dates_are_written_day_first_in_both_languages(style, language, first, christmas_eve):
    assert dates.written(FIRST, language, style) == first
    assert dates.written(CHRISTMAS_EVE, language, style) == christmas_eve


def test_an_unknown_language_writes_english_and_no_date_writes_nothing():
    assert dates.long_date(FIRST, "de") == "1 November 2026"
    assert dates.long_date(None, "en") == ""


def test_a_moment_is_dated_in_the_organisations_time_zone(app_context):
    late = datetime(2026, 11, 30, 23, 30, tzinfo=UTC)  # 1 December, 00:30 in Paris
    assert dates.long_date(late, "en") == "1 December 2026"
    assert dates.written(late, "fr", "full") == "mardi 1er décembre 2026"


def test_pages_messages_letters_and_pdfs_write_a_date_alike(app, app_context):
    """The page filter ("until 1 November 2026" on the tracking page), the messages'
    variables, the letters' draft and the PDF's date line all say the same."""
    with app.test_request_context(), force_locale("en"):
        page_en = local_time.date_filter(FIRST, "long")
        week = local_time.long_date(FIRST, "short")
    with app.test_request_context(), force_locale("fr"):
        page_fr = local_time.date_filter(FIRST, "long")
    assert (page_en, week, page_fr) == ("1 November 2026", "1 Nov 2026", "1er novembre 2026")
    assert message_templates.long_date(FIRST, "en") == page_en
    assert message_templates.long_date("2026-11-01", "fr") == page_fr
    assert letters.long_date(FIRST) == page_en and letters.long_date(FIRST, "fr") == page_fr
    complaint = j.file()
    pdf_page = documents.letter_html(complaint, "Dear Aminata,", today=FIRST)
    assert f"Date: {page_en}" in pdf_page
    french = j.file(language="fr")
    pdf_page = documents.letter_html(french, "Bonjour,", today=FIRST)
    assert f"Date\u00a0: {page_fr}" in pdf_page
