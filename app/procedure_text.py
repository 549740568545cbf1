"""The default procedure's task names and instructions in the reader's language.

The diagrams in processes/ are written in English. Their task names and instructions are
listed here so that `make messages` puts them in the catalogue; a page shows a translation
when the catalogue has one, and the text as the diagram has it otherwise (a name or an
instruction a process owner writes or changes).
"""

from __future__ import annotations

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

TASK_NAMES = (
    _l("Register complaint"),
    _l("Classify complaint"),
    _l("Investigate complaint"),
    _l("Approve escalation"),
    _l("Legal review"),
    _l("Resolve major complaint"),
    _l("Sign off major complaint"),
    _l("Resolve minor complaint"),
    _l("Review overdue acknowledgement"),
    _l("Review overdue minor complaint"),
    _l("Sign off minor complaint"),
    _l("Review overdue major complaint"),
    _l("Handle confidential complaint"),
    _l("Sign off confidential complaint"),
)
INSTRUCTIONS = (
    _l("Check that the complaint is complete and signed, then record the registration outcome."),
    _l("Set the category, severity and risk flags of the complaint."),
    _l("Investigate the complaint, write the report and say whether it needs escalation."),
    _l("Approve or refuse the requested escalation."),
    _l("Review the escalated case and give a legal opinion and recommendations."),
    _l("Choose the remedies and write the resolution and the response letter."),
    _l("Check the resolution, tick the resolution codes and sign off or send it back."),
    _l("Resolve the complaint quickly following the TACTICS steps and record the remedy."),
    _l("The complaint was not acknowledged within 2 days: decide how to handle the delay."),
    _l("The minor complaint was not resolved within 5 days: decide how to handle the delay."),
    _l("The major complaint was not closed within 30 days: decide how to handle the delay."),
    _l("Handle the confidential complaint: findings, protective measures and resolution."),
)


def translated(text: str | None) -> str:
    """`text` from a diagram in the reader's language when the catalogue knows it."""
    if not text:
        return ""  # gettext("") would answer the catalogue's header
    return gettext(text)
