"""The admin change log in the reader's language.

Services record an admin change with an English msgid and its params
(audit.record(message=..., params=...), kept in the event's data); the pages translate the
msgid, then fill it in, a list param (the fields that changed) by the fields' labels. Older
events, recorded before, show their stored English summary.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from app import department_text
from services.audit import SUMMARY
from services.models import AuditEvent

# Every msgid services record for the admin pages, for the catalogue.
MESSAGES = (
    _l("User created: %(username)s (%(name)s)"),
    _l("User changed: %(username)s (%(fields)s)"),
    _l("User reactivated: %(username)s"),
    _l("User deactivated: %(username)s"),
    _l("Password set by %(username)s (invitation link)"),
    _l("Password set by %(username)s (reset link)"),
    _l("Invitation sent to %(username)s (%(email)s)"),
    _l("Password reset link sent to %(username)s (%(email)s)"),
    _l("Department added: %(name)s"),
    _l("Department renamed: %(before)s -> %(name)s"),
    _l("Department renamed in French: %(before)s -> %(name)s"),
    _l("Department activated: %(name)s"),
    _l("Department deactivated: %(name)s"),
    _l("Team added: %(name)s"),
    _l("Team changed: %(name)s"),
    _l("Team activated: %(name)s"),
    _l("Team deactivated: %(name)s"),
    _l("Role added: %(name)s"),
    _l("Role changed: %(name)s"),
    _l("Role deleted: %(name)s"),
    _l("Organisation settings changed: %(fields)s"),
    _l("Service-level preset: %(before)s -> %(after)s"),
    _l("Business calendar changed: %(fields)s"),
    _l("Closure day added: %(day)s %(name)s"),
    _l("Closure day removed: %(day)s %(name)s"),
    _l("Service provider added: %(name)s"),
    _l("Service provider changed: %(name)s"),
    _l("Service provider activated: %(name)s"),
    _l("Service provider deactivated: %(name)s"),
    _l("Message template %(name)s (%(language)s) version %(version)s"),
    _l(
        "Message template %(name)s (%(language)s) version %(restored)s restored as "
        "version %(version)s"
    ),
    _l("Message template %(name)s (%(language)s) version %(version)s: the shipped wording"),
)

# The fields a change names (users, organisation, business calendar), as a sentence shows them.
FIELDS = {
    "name": _l("name"),
    "email": _l("email"),
    "roles": _l("roles"),
    "confidential_clearance": _l("confidential clearance"),
    "teams": _l("teams"),
    "active": _l("active"),
    "postal_address": _l("postal address"),
    "phone": _l("phone"),
    "complaints_email": _l("complaints email"),
    "signature": _l("signature"),
    "ombudsman_name": _l("ombudsman's name"),
    "ombudsman_address": _l("ombudsman's address"),
    "ombudsman_phone": _l("ombudsman's phone"),
    "ombudsman_email": _l("ombudsman's email"),
    "ombudsman_website": _l("ombudsman's website"),
    "logo": _l("logo"),
    "timezone": _l("time zone"),
    "working_days": _l("working days"),
    "work_starts": _l("start of the working day"),
    "work_ends": _l("end of the working day"),
    "holiday_country": _l("public holidays' country"),
    "holiday_subdivision": _l("public holidays' region"),
    "at_risk_share": _l("at-risk share"),
}


def _shown(value: Any) -> Any:
    if isinstance(value, list):
        return ", ".join(str(FIELDS.get(str(v), v)) for v in value) or gettext("nothing")
    return value


# The admin changes that name a department, by kind: their msgid (for events recorded before
# msgids were kept) and how each param names it in the event's data (English name, French
# name; the event's department_id), so that the line names it in the reader's language.
DEPARTMENT_EVENTS: dict[str, tuple[str, dict[str, tuple[str, str]]]] = {
    "department_added": ("Department added: %(name)s", {"name": ("name", "name_fr")}),
    "department_renamed": (
        "Department renamed: %(before)s -> %(name)s",
        {"before": ("before", "before_fr"), "name": ("name", "name_fr")},
    ),
    "department_activated": ("Department activated: %(name)s", {"name": ("name", "name_fr")}),
    "department_deactivated": ("Department deactivated: %(name)s", {"name": ("name", "name_fr")}),
}
FRENCH_RENAME = "Department renamed in French: %(before)s -> %(name)s"


def _department_params(
    event: AuditEvent, msgid: str, params: dict[str, Any]
) -> dict[str, Any] | None:
    """The params of a line about a department, each department named in the reader's
    language (resolved now from what the event stored), or None if it names none."""
    found = DEPARTMENT_EVENTS.get(event.kind)
    if found is None or msgid == FRENCH_RENAME:  # that one names the French names already
        return None
    data = event.data if isinstance(event.data, dict) else {}
    if event.kind == "department_renamed":
        before_fr, name_fr = data.get("before_fr"), data.get("name_fr")
        if not before_fr or before_fr == name_fr:
            # Recorded before departments had French names, or renamed in English only: the
            # line is about the English names, and says them.
            return {**params, "before": data.get("before", ""), "name": data.get("name", "")}
    named = dict(params)
    for param, (key, key_fr) in found[1].items():
        named[param] = department_text.recorded(
            data.get(key) or params.get(param), data.get(key_fr), data.get("department_id")
        )
    return named


def summary(event: AuditEvent) -> str:
    """An admin change in the reader's language (its stored English text if it predates),
    a department named in the reader's language."""
    stored = event.data.get(SUMMARY) if isinstance(event.data, dict) else None
    if not isinstance(stored, dict) or not isinstance(stored.get("msgid"), str):
        data = event.data if isinstance(event.data, dict) else {}
        if event.kind not in DEPARTMENT_EVENTS or not (
            data.get("name") or data.get("department_id")
        ):
            return event.summary  # nothing to name the department by: as recorded
        stored = {"msgid": DEPARTMENT_EVENTS[event.kind][0], "params": {}}
    params = stored.get("params") or {}
    named = _department_params(event, stored["msgid"], params)
    if named is not None:
        params = named
    try:
        return gettext(stored["msgid"], **{k: _shown(v) for k, v in params.items()})
    except (KeyError, TypeError, ValueError):  # a placeholder the params lack: as recorded
        return event.summary
