"""Versions whose classification form differs, for tests of moving complaints between them.

Call inside an application context.
"""

from __future__ import annotations

from services import processes
from services.db import db
from services.models import ProcessVersion
from tests import diagrams as d

CLASSIFY = (d.PROCESSES / "forms" / "classify_complaint.toml").read_text()
FIRST_IMPRESSION = """
[[fields]]
name = "first_impression"
type = "long_text"
label = { en = "First impression", fr = "Première impression" }
"""
HARM_SUMMARY = """
[[fields]]
name = "harm_summary"
type = "text"
label = { en = "Harm suffered", fr = "Préjudice subi" }
required = true
"""


def deploy_classification(text: str, comment: str) -> ProcessVersion:
    """Deploy the shipped diagrams with this classification form; commit."""
    files = d.variant()
    files["forms/classify_complaint.toml"] = text.encode()
    result = processes.deploy(files, actor=None, comment=comment)
    db.session.commit()
    assert result.created
    return result.version


def with_first_impression() -> ProcessVersion:
    """v2: the shipped classification form, asking a first impression too."""
    return deploy_classification(CLASSIFY + FIRST_IMPRESSION, "first impression")


def without_first_impression() -> ProcessVersion:
    """The next version drops the first impression, requires the harm suffered, makes the
    severity optional and shows the breach of law only for safety issues."""
    changed = d.edited(
        CLASSIFY,
        'required = { en = "Choose a severity.", fr = "Choisissez une gravité." }\n',
        "",
    )
    changed = d.edited(
        changed,
        'label = { en = "Possible breach of law", fr = "Infraction possible à la loi" }\n',
        'label = { en = "Possible breach of law", fr = "Infraction possible à la loi" }\n'
        'shown_when = "safety_issue"\n',
    )
    return deploy_classification(changed + HARM_SUMMARY, "harm suffered")
