"""Numbers and typography on pages follow the reader's language: a decimal comma, a space
before "%", ":" and ";" and grouped thousands in French; a point and no space in English."""

from __future__ import annotations

from decimal import Decimal
from html import unescape

from app.numbers import money, number, percent
from services.db import db
from services.reports import Cell
from tests import journeys
from tests.app.helpers import login

NBSP, NNBSP = "\u00a0", "\u202f"


def test_the_filters_speak_each_language(app):
    with app.test_request_context(headers={"Accept-Language": "fr"}):
        assert number(1234.5) == f"1{NNBSP}234,5"
        assert percent(0.846) == f"84,6{NBSP}%"
        assert money(Decimal("1200")) == f"1{NNBSP}200,00"
        assert number(Cell(1234)) == f"1{NNBSP}234"
        assert number(Cell(None)) == ""
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert (number(1234.5), percent(0.846), money(1200)) == ("1,234.5", "84.6%", "1,200.00")


def test_a_complaints_financial_impact_reads_in_french(app, client):
    with app.app_context():
        complaint = journeys.to_classification()
        complaint.financial_impact = Decimal("1200.5")
        db.session.commit()
        url = f"/complaints/{complaint.id}"
    login(client, "supervisor")
    french = unescape(client.get(url, headers={"Accept-Language": "fr"}).get_data(as_text=True))
    assert f"1{NNBSP}200,50" in french
    english = unescape(client.get(url, headers={"Accept-Language": "en"}).get_data(as_text=True))
    assert "1,200.50" in english


def test_an_amount_out_of_range_is_told_in_the_readers_numbers(app):
    from werkzeug.datastructures import MultiDict

    from forms import ClassificationForm

    with app.test_request_context(headers={"Accept-Language": "fr"}):
        form = ClassificationForm(MultiDict({"financial_impact": "-5"}))
        form.validate()
        [said] = form.errors["financial_impact"]
        assert str(said).endswith(f"9{NNBSP}999{NNBSP}999{NNBSP}999,99.")


def test_labelled_values_follow_french_typography(app):
    from forms.summary import labelled

    parts = [("Fichiers", "colis.png"), ("Informations envoyées", "La photo")]
    with app.test_request_context(headers={"Accept-Language": "fr"}):
        said = labelled(parts)
    assert said == f"Fichiers{NBSP}: colis.png{NBSP}; Informations envoyées{NBSP}: La photo"
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert labelled([("Files", "a.png")]) == "Files: a.png"
