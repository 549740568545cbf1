"""The management review of a period: figures against the previous period, narrative, PDF.

/management-review?start=&end= (default: the last calendar year) shows the review as a
printable page; /management-review/review.pdf prints the same content with the letters'
letterhead and renderer. Managers, quality analysts and senior management read it; managers
write and save its narrative.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal, format_percent, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from app import department_text, local_time
from app.complaints import OUTCOMES
from app.service_levels import clock_name
from forms import choices
from forms import lists as choice_lists
from forms.management_review import (
    ACTION_STATUS_LABELS,
    HEADLINE_LABELS,
    ISSUE_STATUS_LABELS,
    NarrativeForm,
    ReviewPeriodForm,
)
from forms.reports import COLUMN_LABELS, KEY_LABELS, TABLE_TITLES
from services import documents
from services import management_review as reviews
from services.db import db
from services.errors import NotAllowed
from services.reports import Cell

bp = Blueprint("management_review", __name__, url_prefix="/management-review")
bp.add_app_template_filter(documents.css_string, "css_string")  # the PDF's footer

# The words for the codes each compared table lists: the application's own, or the name of
# a list of the procedure's (processes/choices.toml).
CODE_LABELS: dict[str, Any] = {
    "outcomes": OUTCOMES.items(),
    "root_causes": "root_causes",
    "resolution_codes": "resolution_codes",
    "remedies": "remedies",
    "escalations": "escalation_targets",
    "channels": "channels",
    "categories": "categories",
    "satisfaction_scores": [(str(value), text) for value, text in choices.SCORES],
}
CLUSTER_KINDS: dict[str, Any] = {
    "product": _l("Product or service"),
    "department": _l("Department"),
    "root_cause": _l("Root cause"),
    "category": _l("Category"),
    "contact": _l("Same contact"),
    "similar_text": _l("Similar text"),
}
TOP_CLUSTERS = 10


@bp.before_request
@login_required
def require_reader() -> None:
    """Managers, quality analysts and senior management read the review (a 403 for others)."""
    if not reviews.reads_reviews(current_user):
        raise NotAllowed(
            _("Only managers, quality analysts and senior management read the review.")
        )


@bp.get("")
def index() -> Any:
    """The review of the period asked for (default: the last calendar year)."""
    period_form = ReviewPeriodForm(request.args)
    status = 200 if period_form.validate() else 422
    start, end = _period(period_form)
    review = reviews.review(current_user, start, end)
    form = NarrativeForm(
        data={"start": review.period.start, "end": review.period.end, "narrative": review.narrative}
    )
    return render_template(
        "management_review/index.html",
        period_form=period_form,
        form=form,
        can_write=reviews.writes_narrative(current_user),
        **_report_context(review),
    ), status


@bp.post("")
def save() -> Any:
    """Save the period's narrative (create or update), then show the review again."""
    if not reviews.writes_narrative(current_user):
        raise NotAllowed(_("Only managers write the review's narrative."))
    form = NarrativeForm(request.form)
    if not form.validate():
        if form.start.errors or form.end.errors:
            return redirect(url_for("management_review.index"))
        review = reviews.review(current_user, form.start.data, form.end.data)
        return render_template(
            "management_review/index.html",
            period_form=ReviewPeriodForm(data={"start": form.start.data, "end": form.end.data}),
            form=form,
            can_write=True,
            **_report_context(review),
        ), 422
    reviews.save_narrative(current_user, form.start.data, form.end.data, form.narrative.data or "")
    db.session.commit()
    flash(_("The narrative is saved."), "success")
    return redirect(
        url_for(
            "management_review.index",
            start=form.start.data.isoformat(),
            end=form.end.data.isoformat(),
        )
    )


@bp.get("/review.pdf")
def pdf() -> Response:
    """The review as a PDF, printed like the letters (letterhead, WeasyPrint)."""
    period_form = ReviewPeriodForm(request.args)
    period_form.validate()
    start, end = _period(period_form)
    review = reviews.review(current_user, start, end)
    html = render_template(
        "management_review/pdf.html",
        org=documents.SETTINGS.letterhead,
        **_report_context(review),
    )
    name = f"management-review-{review.period.start.isoformat()}-{review.period.end.isoformat()}"
    response = Response(documents.render_pdf(html), mimetype=documents.PDF)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _period(form: ReviewPeriodForm) -> tuple[date | None, date | None]:
    """The period asked for, or (None, None) for the default when it is missing or wrong."""
    if form.errors or form.start.data is None or form.end.data is None:
        return None, None
    return form.start.data, form.end.data


def _report_context(review: reviews.Review) -> dict[str, Any]:
    """What the report's partial (page and PDF alike) reads."""
    return {
        "review": review,
        "headline_labels": HEADLINE_LABELS,
        "table_titles": TABLE_TITLES,
        "key_labels": KEY_LABELS,
        "column_labels": COLUMN_LABELS,
        "action_statuses": ACTION_STATUS_LABELS,
        "issue_statuses": ISSUE_STATUS_LABELS,
        "cluster_kinds": CLUSTER_KINDS,
        "rising": review.recurring.rising[:TOP_CLUSTERS],
        "look_alikes": review.recurring.look_alikes[:TOP_CLUSTERS],
        "code_label": code_label,
        "cluster_label": cluster_label,
        "figure": figure,
        "change": change,
        "long_date": long_date,
        "locale": str(get_locale() or "en"),
    }


def code_label(table: str, key: str) -> str:
    """A table's key in words: a step, an outcome, a root cause..."""
    if table == "service_levels":
        return clock_name(key) or key
    if not key:
        return _("Not recorded")
    if table == "departments":
        return department_text.name_of(key)
    found = CODE_LABELS.get(table, ())
    if isinstance(found, str):
        return str(choice_lists.filterable().label(found, key))
    return str(choices.label(found, key))  # a lazy string


def cluster_label(cluster: Any) -> str:
    """What a recurring problem is called here; a contact cluster without the contact (the
    review circulates beyond complaint handlers)."""
    if cluster.kind == "contact":
        return str(cluster.label).rsplit(" · ", 1)[-1] if " · " in cluster.label else ""
    if cluster.kind == "department":
        return department_text.name_of(cluster.key) or str(cluster.label)
    return str(cluster.label)


def figure(cell: Cell | None, kind: str = "count") -> str:
    """One figure formatted for the reader's language; "—" when empty."""
    if cell is None or cell.value is None:
        return "—"
    return _number(cell.value, kind)


def change(comparison: reviews.Comparison) -> str:
    """The change since the previous period, signed, with its percentage for counts."""
    difference = comparison.change
    if difference is None:
        return "—"
    text = _number(difference, comparison.kind)
    if difference > 0:
        text = "+" + text
    if comparison.percent is not None:
        text += f" ({'+' if comparison.percent > 0 else ''}{format_percent(comparison.percent)})"
    return text


def _number(value: int | float | Decimal, kind: str) -> str:
    if kind == "seconds":  # working time, in working hours
        return _("%(hours)s h", hours=format_decimal(float(value) / 3600, format="#,##0.0"))
    if kind == "rate":
        return str(format_percent(value, format="#,##0.0%"))
    if kind == "score":
        return str(format_decimal(value, format="0.0#"))
    if kind == "money":
        return str(format_decimal(value, format="#,##0.00"))
    return str(format_decimal(value))


def long_date(day: date) -> str:
    """A date as the reader's language writes it in full."""
    return local_time.long_date(day)
