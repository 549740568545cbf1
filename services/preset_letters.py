"""The letter rules of the service-level presets ([letters] in processes/presets/*.toml).

- A breach (services.timers / the timer loop calls on_clock_breached): when the preset says
  so (`on_breach = { complaint = "delay_letter" }`, FCA DISP 1.6.2R(2)), the complainant gets
  the delay letter through the normal outbox, once, unless the final response is out.
- The response letter (notifications.send asks letter_for): sent within
  `summary_resolution_within` of receipt and accepted by the complainant, it goes out as the
  summary resolution communication (FCA DISP 1.5.4R); closed within
  `written_response_optional_within`, accepted, and no written response asked for, as a short
  resolution notice without the letter (ASIC RG 271.71). Either is recorded like the response.
- Every letter that states a recourse takes the preset's paragraph (ombudsman, mediator,
  AFCA, with their contact details), or keeps the diagram's when the preset has none.

A complaint follows the letter rules of the preset its `complaint` clock started under (the
rules in force when it was received), else the active preset.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from services import audit, business_calendar, organisation, presets
from services.clock import as_utc, utcnow
from services.db import db
from services.models import Complaint, Notification, ServiceClock

logger = logging.getLogger(__name__)

RESPONSE = "response_letter"
REVIEW = "review_outcome_letter"
SUMMARY = "summary_resolution"
NOTICE = "resolution_notice"
DELAY = "delay_letter"
# Messages after which the complainant has had the organisation's final word.
FINAL_RESPONSES = frozenset(
    {RESPONSE, SUMMARY, NOTICE, "closure_letter", "withdrawal_confirmation"}
)
# The case-data field a resolver ticks when the complainant asked for the response in writing.
WRITTEN_REQUESTED = "written_response_requested"
# The clock whose preset a complaint's letters follow.
CASE_CLOCK = "complaint"

# Why the final response is not ready, by the case's current phase (the delay letter's
# `reason`); the template may be edited to say more.
REASONS = {
    "en": {
        "investigation": "Your complaint needs a full investigation, which is still going on.",
        "escalation": "Your complaint has been referred to a senior decision, which we await.",
        "legal_review": "Your complaint is being reviewed by our legal counsel.",
        "resolution": "We are preparing our answer.",
        "sign_off": "Our answer is being checked and approved.",
        "awaiting_information": "We are waiting for information we asked you for.",
        "": "We are still looking into your complaint.",
    },
    "fr": {
        "investigation": "Votre réclamation demande une enquête complète, qui est en cours.",
        "escalation": "Votre réclamation a été soumise à une décision de la direction, "
        "que nous attendons.",
        "legal_review": "Votre réclamation est examinée par notre service juridique.",
        "resolution": "Nous préparons notre réponse.",
        "sign_off": "Notre réponse est en cours de vérification et de validation.",
        "awaiting_information": "Nous attendons les informations que nous vous avons demandées.",
        "": "Nous examinons toujours votre réclamation.",
    },
}


@dataclass(frozen=True)
class Settings:
    """The external body's contact details set for this deployment (OMBUDSMAN_*): they
    override the preset's (an ACPR firm names its own mediator), and the organisation
    settings an administrator saves override them (services.organisation)."""

    ombudsman: Mapping[str, str] = field(default_factory=dict)


SETTINGS = Settings()


def configure(config: Mapping[str, Any]) -> None:
    """Take OMBUDSMAN_NAME, _ADDRESS, _PHONE, _EMAIL, _WEBSITE from the app's config."""
    global SETTINGS
    SETTINGS = Settings(
        ombudsman={
            key: str(config[f"OMBUDSMAN_{key.upper()}"])
            for key in presets.CONTACT_FIELDS
            if config.get(f"OMBUDSMAN_{key.upper()}")
        }
    )


def preset_of(complaint: Complaint) -> presets.Preset:
    """The preset whose letter rules this complaint follows."""
    name = db.session.scalar(
        db.select(ServiceClock.preset).where(
            ServiceClock.complaint_id == complaint.id, ServiceClock.name == CASE_CLOCK
        )
    )
    if name:
        try:
            return presets.load(name)
        except presets.PresetError:
            logger.warning("complaint %s: preset %r is gone", complaint.reference, name)
    return presets.active()


def recourse(preset: presets.Preset, kind: str) -> dict[str, str] | None:
    """The preset's recourse paragraph for a letter of `kind`, by language, or None."""
    body = {**SETTINGS.ombudsman, **organisation.ombudsman()}
    texts = {language: preset.recourse(kind, language, body) for language in presets.LANGUAGES}
    return {k: v for k, v in texts.items() if v} or None


def _within(complaint: Complaint, target: str | None, now: datetime) -> bool:
    """Now is no later than `target` after the complaint's receipt (in working time)."""
    if not target:
        return False
    calendar = business_calendar.current()
    received = as_utc(complaint.received_at) or now
    return now <= calendar.due(received, target)


def _accepted(preset: presets.Preset, data: Mapping[str, Any]) -> bool:
    field_name = preset.letters.accepted_when
    return not field_name or bool(data.get(field_name))


def letter_for(
    complaint: Complaint,
    name: str,
    data: Mapping[str, Any],
    payload: Any,
    now: datetime | None = None,
    *,
    record: bool = True,
) -> tuple[str, Any]:
    """The kind and payload a thrown message goes out as under the complaint's preset.

    Only the response and review letters change; the audit trail says which rule applied
    (unless `record` is false: the sign-off's preview of the letter).
    """
    if name not in (RESPONSE, REVIEW):
        return name, payload
    now = as_utc(now) or utcnow()
    preset = preset_of(complaint)
    rules = preset.letters
    kind, within = name, None
    if name == RESPONSE and _accepted(preset, data):
        if _within(complaint, rules.summary_resolution_within, now):
            kind = SUMMARY
            within = rules.summary_resolution_within
        elif not data.get(WRITTEN_REQUESTED) and _within(
            complaint, rules.written_response_optional_within, now
        ):
            kind = NOTICE
            within = rules.written_response_optional_within
    if record and kind != name:
        _record(complaint, preset, kind, within)
    text = recourse(preset, kind)
    if text:
        payload = {**(payload if isinstance(payload, Mapping) else {}), "recourse": text}
    return kind, payload


SUMMARIES = {
    SUMMARY: "Response sent as a summary resolution communication: resolved within {within}",
    NOTICE: "Written response not needed: resolved to the complainant's satisfaction "
    "within {within}; a short notice was sent and the response is kept on file",
}


def _record(complaint: Complaint, preset: presets.Preset, kind: str, within: str | None) -> None:
    audit.record(
        complaint.id,
        "letter_rule",
        task_name=kind,
        summary=SUMMARIES[kind].format(within=presets.describe(within or "", "en")),
        data={"preset": preset.id, "kind": kind, "within": within, "rule": preset.rule},
    )


def _sent(complaint: Complaint, kinds: frozenset[str]) -> bool:
    return (
        db.session.scalar(
            db.select(Notification.id)
            .where(Notification.complaint_id == complaint.id, Notification.kind.in_(kinds))
            .limit(1)
        )
        is not None
    )


def _both(function: Any) -> dict[str, str]:
    return {language: function(language) for language in presets.LANGUAGES}


def _local_date(calendar: business_calendar.Calendar, moment: datetime, language: str) -> str:
    """The day of `moment` in the organisation's time zone, as a letter writes it."""
    from services import message_templates

    return message_templates.long_date(calendar.local(moment).date(), language)


def on_clock_breached(clock: ServiceClock, now: datetime | None = None) -> Notification | None:
    """Send the letter the preset ties to this clock's breach, once; None when there is none.

    Called by the timer loop in the transaction that marks the breach; it never commits.
    Nothing is sent once the final response is out (or the case is closed), nor twice.
    """
    from services import documents, notifications  # they call letter_for: imported late

    now = as_utc(now) or utcnow()
    try:
        preset = presets.load(clock.preset) if clock.preset else presets.active()
    except presets.PresetError:
        preset = presets.active()
    kind = preset.letters.on_breach.get(clock.name)
    if not kind:
        return None
    complaint = clock.complaint
    if complaint.closed_at is not None or _sent(complaint, FINAL_RESPONSES | {kind}):
        return None
    calendar = business_calendar.current()
    expected = preset.letters.delay_expected_within
    expected_by = calendar.due(now, expected) if expected else None
    due = as_utc(clock.due_at)
    reasons = {
        language: REASONS[language].get(complaint.status or "", REASONS[language][""])
        for language in presets.LANGUAGES
    }
    payload = {
        "time_limit": _both(lambda lang: presets.describe(clock.target, lang)),
        "due_date": _both(lambda lang: _local_date(calendar, due, lang)) if due else "",
        "expected_by": _both(lambda lang: _local_date(calendar, expected_by, lang))
        if expected_by
        else "",
        "reason": reasons,
        "recourse": recourse(preset, kind) or "",
    }
    notice = notifications.send(complaint, kind, {}, payload)
    db.session.flush()
    documents.attach_letter(complaint, notice)
    audit.record(
        complaint.id,
        "letter_rule",
        task_name=kind,
        summary=f"{clock.name} time limit passed ({presets.describe(clock.target, 'en')}): "
        f"{kind} sent",
        data={"preset": preset.id, "clock": clock.name, "kind": kind, "rule": preset.rule},
    )
    return notice
