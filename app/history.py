"""A case's history in words: one line per audit event, its data grouped under labels.

Events are stored with an English summary (for the audit export) and their data; pages
word them again here from the event's kind and data, in the reader's language, so no raw
key, message name or channel id reaches a person.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from wtforms import Form

from app import department_text, role_text
from app.local_time import local_time
from app.procedure_text import translated
from app.service_levels import clock_name, target_words
from forms import SurveyForm
from forms import lists as choice_lists
from forms.choices import CONTACT_CHANNELS, label
from forms.summary import describe
from services import audit, form_definitions
from services.errors import NotFound
from services.models import AuditEvent, Task

KINDS = {
    "received": _l("Complaint received"),
    "task_completed": _l("Step completed"),
    "claimed": _l("Task claimed"),
    "unclaimed": _l("Task released"),
    "reassigned": _l("Task reassigned"),
    "notification": _l("Message to the complainant"),
    "timer_fired": _l("Time limit reached"),
    "message_received": _l("Reply from the complainant"),
    "email_confirmed": _l("Email confirmed as the complainant's"),
    "email_set_aside": _l("Email set aside: not the complainant's"),
    "attachment_added": _l("File added"),
    "document_added": _l("Letter stored"),
    "confidential_opened": _l("Confidential case opened"),
    "task_withdrawn": _l("Task withdrawn"),
    "reopened": _l("Case reopened"),
    "deadline_extended": _l("Deadline extended"),
    "escalated": _l("Delay escalated"),
    "clock_breached": _l("Service level missed"),
    "letter_rule": _l("Letter rule of the service-level preset"),
    "withdrawn": _l("Withdrawn by the complainant"),
    "delivery_failed": _l("Message not delivered"),
    "delivery_retried": _l("Message sent again"),
    "delivery_rerouted": _l("Message sent another way"),
    "letter_posted": _l("Letter posted"),
    "migrated": _l("Moved to another version of the procedure"),
    "timers_retried": _l("Timers tried again"),
    "timers_set_aside": _l("Timers set aside"),
    "note_added": _l("Internal note added"),
    "systemic_issue_linked": _l("Linked to a systemic issue"),
    "improvement_action_linked": _l("Linked to an improvement action"),
    "assignment_fell_back": _l("Not given to the person the procedure names"),
}
ACTORS = {audit.SYSTEM: _l("System"), audit.COMPLAINANT: _l("Complainant")}
# What the complainant (or staff on their behalf) sent, by the procedure's message name.
MESSAGES = {
    "information_received": _l("Missing information sent by the complainant"),
    "survey_answered": _l("Satisfaction survey answered"),
    "appeal_requested": _l("Review requested by the complainant"),
    "case_reopened": _l("Case reopened"),
    "complaint_withdrawn": _l("Complaint withdrawn"),
    "email_received": _l("Email from the complainant"),
}
# The messages we send, as services/composer.py names them in the audit trail (English there).
SENT = (
    _l("Complaint acknowledged"),
    _l("More information requested"),
    _l("Closed without investigation"),
    _l("Response sent"),
    _l("Satisfaction survey sent"),
    _l("Survey reminder sent"),
    _l("Review decision sent"),
    _l("Withdrawal confirmed"),
    _l("Tracking link sent again"),
    _l("Delay explained"),
)
# The timers of the default procedure without an overdue review (their names come from the
# diagram, which procedure_text lists for the others).
TIMERS = (
    _l("No reply in 14 days"),
    _l("No answer in 7 days"),
    _l("No answer in 14 more days"),
    _l("Appeal window over (8 weeks)"),
)
# What a service-level preset's letter rule did (services/preset_letters.py), by letter kind.
LETTER_RULES = {
    "summary_resolution": _l("Response sent as a summary resolution communication"),
    "resolution_notice": _l(
        "Written response not needed: resolved to the complainant's satisfaction; a short "
        "notice was sent"
    ),
}
# Forms whose labels describe a message's data, and labels that speak about the complainant
# where the form (written for them) speaks to them.
MESSAGE_FORMS: dict[str, type[Form]] = {"survey_answered": SurveyForm}
LABELS = {
    "score": _l("Satisfaction score"),
    "comment": _l("The complainant's comment"),
    "information": _l("Information sent"),
    "anonymous": _l("The complainant wants to stay anonymous"),
    "preferred_contact": _l("Preferred contact"),
    "description": _l("What happened"),
    "desired_remedy": _l("What the complainant asks for"),
    "reason": _l("Reason"),
    "sender": _l("Sender"),
    "text": _l("Text"),
    "department": _l("Department"),
    "department_id": _l("Department"),
}
# Data the application records for itself: internal ids, kept in the audit export only.
HIDDEN = frozenset({"notification", "replacement", "document_id", "attachment_id", "task_id"})
# Data shown elsewhere on the case page (the "As received" card) rather than again here.
NO_ROWS = frozenset(
    {
        "assignment_fell_back",
        "timers_set_aside",
        "received",
        "reopened",
        "withdrawn",
        "clock_breached",
        "letter_rule",
        "confidential_opened",
    }
)
# Why a task the diagram gives to a person (assignTo) went to its role's queue instead.
ASSIGNMENT_FALLBACKS = {
    "unknown_assignee": _l(
        "%(step)s: %(name)s is not an active staff member; the task waits in the %(role)s queue"
    ),
    "assignee_lacks_role": _l(
        "%(step)s: %(name)s does not hold the role %(role)s; the task waits in that role's queue"
    ),
    "assignee_not_cleared": _l(
        "%(step)s: %(name)s is not cleared for confidential complaints; the task waits in the "
        "%(role)s queue"
    ),
    "four_eyes": _l(
        "%(step)s: %(name)s handled an earlier step of this complaint (four-eyes rule); the task "
        "waits in the %(role)s queue"
    ),
}
# What was opened in a confidential case (services.sensitive.record_opening).
OPENINGS = {
    "complaint": _l("The complaint"),
    "task": _l("The task %(name)s"),
    "file": _l("The file %(name)s"),
    "document": _l("The document %(name)s"),
}


@dataclass(frozen=True)
class Entry:
    """One line of the history: when, what, a detail, who, and the data under labels."""

    event: AuditEvent
    title: str
    detail: str
    actor: str
    rows: list[tuple[str, str]] = field(default_factory=list)


def entries(events: Iterable[AuditEvent], tasks: Iterable[Task]) -> list[Entry]:
    """The events in words; `tasks` (the complaint's) give step names and their forms."""
    by_name = {task.name: task for task in tasks}
    return [_entry(event, by_name) for event in events]


def _entry(event: AuditEvent, tasks: Mapping[str, Task]) -> Entry:
    actor = event.actor_label or ""
    return Entry(
        event=event,
        title=str(KINDS.get(event.kind, event.kind.replace("_", " ").capitalize())),
        detail=detail(event, tasks),
        actor=str(ACTORS.get(actor, actor)),
        rows=[] if event.kind in NO_ROWS else rows(event, tasks),
    )


def _task_title(event: AuditEvent, tasks: Mapping[str, Task]) -> str:
    task = tasks.get(event.task_name or "")
    return translated(task.title if task is not None else event.summary)


def detail(event: AuditEvent, tasks: Mapping[str, Task]) -> str:
    """The event's one-line detail in the reader's language."""
    data: Mapping[str, Any] = event.data or {}
    kind, summary = event.kind, event.summary or ""
    if kind == "received":  # a channel a later version removed still reads in its words
        return str(choice_lists.filterable().label("channels", data.get("channel")) or "")
    if kind in ("task_completed", "claimed", "unclaimed", "task_withdrawn"):
        return _task_title(event, tasks)
    if kind == "reassigned":
        name = summary.removeprefix("Assigned to ")
        return _("%(step)s: assigned to %(name)s", step=_task_title(event, tasks), name=name)
    if kind == "escalated":
        return _("To %(name)s", name=summary.removeprefix("Delay escalated to "))
    if kind == "deadline_extended" and "days" in data:
        days = int(data["days"])
        if data.get("working_days") and data.get("saturdays"):
            return ngettext(
                "By %(num)d working day (Monday to Saturday)",
                "By %(num)d working days (Monday to Saturday)",
                days,
            )
        if data.get("working_days"):
            return ngettext("By %(num)d working day", "By %(num)d working days", days)
        return ngettext("By %(num)d day", "By %(num)d days", days)
    if kind == "message_received":
        if event.task_name == "email_received":
            return str(data.get("subject") or MESSAGES["email_received"])
        name = event.task_name or summary
        return str(MESSAGES.get(name, name.replace("_", " ").capitalize()))
    if kind in ("email_confirmed", "email_set_aside"):
        return str(data.get("subject") or "")
    if kind in ("attachment_added", "document_added"):
        return str(data.get("filename", ""))
    if kind == "clock_breached" and data.get("clock"):
        return _(
            "%(clock)s: target of %(target)s missed",
            clock=clock_name(str(data["clock"])),
            target=target_words(str(data.get("target", ""))),
        )
    if kind == "migrated" and "to_version" in data:
        return _(
            "From version %(before)s to version %(after)s",
            before=data.get("from_version"),
            after=data.get("to_version"),
        )
    if kind == "confidential_opened":
        return _opening(data, tasks)
    if kind == "timers_set_aside":
        return set_aside_detail(data)
    if kind == "timers_retried" and "to_version" in data:
        return _("After moving to version %(version)s", version=data["to_version"])
    if kind == "assignment_fell_back" and data.get("reason") in ASSIGNMENT_FALLBACKS:
        return ASSIGNMENT_FALLBACKS[str(data["reason"])] % {
            "step": translated(str(data.get("title") or event.task_name or "")),
            "name": data.get("person", ""),
            "role": role_text.name_of(str(data.get("role", ""))),
        }
    if kind == "letter_rule" and data.get("kind") in LETTER_RULES:
        return str(LETTER_RULES[str(data["kind"])])
    if kind in ("delivery_failed", "delivery_retried", "delivery_rerouted", "letter_posted"):
        return summary.rsplit(" (", 1)[0]  # the message's subject, in the letter's language
    return translated(summary)


def set_aside_detail(data: Mapping[str, Any]) -> str:
    """Why the timer rounds set a complaint's timers aside (services.timers.set_aside)."""
    return _(
        "Firing its timers ended the timer process %(count)s times in a row (the diagram code "
        "of version %(version)s ran past its CPU or memory limit). Its timers wait until the "
        "diagram is fixed and someone tries them again.",
        count=data.get("deaths", ""),
        version=data.get("version", ""),
    )


def _opening(data: Mapping[str, Any], tasks: Mapping[str, Task]) -> str:
    """What was opened in a confidential case, and how, in the reader's language."""
    what, name = str(data.get("opened", "")), str(data.get("name", ""))
    api = data.get("via") == "api"
    if what not in OPENINGS:  # recorded in words: "complaint page", "task <title> (API)"
        api = "(API" in what
        head, _sep, rest = what.partition(" ")
        what = head if head in OPENINGS else "complaint"
        name = rest.split(" (API")[0]
    if what == "task":
        task = next((t for t in tasks.values() if t.id == data.get("task_id")), None)
        name = translated(task.title) if task is not None else translated(name)
    text = OPENINGS[what] % {"name": name}
    return _("%(what)s, through the API", what=text) if api else str(text)


def rows(event: AuditEvent, tasks: Mapping[str, Task]) -> list[tuple[str, str]]:
    """The event's data under labels: a step's answers under its form's labels."""
    if not event.data:
        return []
    form_cls: type[Form] | None = None
    if event.kind == "task_completed":
        task = tasks.get(event.task_name or "")
        form_cls = _task_form(task) if task is not None else None
    elif event.kind == "message_received":
        form_cls = MESSAGE_FORMS.get(event.task_name or "")
    data = {k: _word(k, v) for k, v in event.data.items() if k not in HIDDEN}
    if event.kind == "deadline_extended" and isinstance(data.get("tasks"), list):
        # Recorded by their names in the diagram ("resolve_minor"): their titles in words.
        data["tasks"] = [_step_title(str(name), tasks) for name in data["tasks"]]
    if event.kind == "notification":
        data.pop("subject", None)  # the message card shows it; the detail names the message
    return describe(form_cls, data, labels={k: str(v) for k, v in LABELS.items()})


def _step_title(name: str, tasks: Mapping[str, Task]) -> str:
    """A step of the complaint named as its task is titled, in the reader's language."""
    task = tasks.get(name)
    return translated(task.title) if task is not None else name


def _task_form(task: Task) -> type[Form] | None:
    """The form a step was completed with, in its complaint's process version."""
    try:
        return form_definitions.form_class(task)
    except NotFound:
        return None


def _word(name: str, value: Any) -> Any:
    """Values the application records as ids, in words (the channel a message went by)."""
    if name == "channel" and isinstance(value, str):
        return str(
            label(CONTACT_CHANNELS, value) or choice_lists.filterable().label("channels", value)
        )
    if name == "department" and isinstance(value, str):
        # Stored as complaints carry it (its English name): named in the reader's language.
        return department_text.recorded(value)
    if name == "department_id" and isinstance(value, int) and not isinstance(value, bool):
        return department_text.recorded(department_id=value)
    if name == "at" and isinstance(value, str):
        # A moment the application recorded (a timer fired): on the organisation's clock, as
        # the event's own time is shown, not the stored UTC text with its microseconds.
        try:
            return local_time(datetime.fromisoformat(value), zone=True)
        except ValueError:
            return value
    return value
