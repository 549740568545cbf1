"""Finding complaints by what staff type in a search box."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import ColumnElement

from services.models import Complaint

REFERENCE = re.compile(r"[Cc]-\d{4}-\d{1,9}")


def condition(
    term: str,
    reference: ColumnElement[Any] = Complaint.reference,
    name: ColumnElement[Any] = Complaint.complainant_name,
) -> ColumnElement[bool]:
    """A reference is matched exactly; other text searches complainant names (a trigram index
    on PostgreSQL for complaints); % and _ typed by the user are plain characters."""
    term = term.strip()
    if REFERENCE.fullmatch(term):
        return reference == term.upper()
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return name.ilike(f"%{escaped}%", escape="\\")
