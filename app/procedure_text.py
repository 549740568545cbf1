"""The default procedure's task names and instructions in the reader's language.

The diagrams in processes/ are written in English. Their task names and instructions are
listed here so that `make messages` puts them in the catalogue; a page shows a translation
when the catalogue has one, and the text as the diagram has it otherwise (a name or an
instruction a process owner writes or changes).
"""

from __future__ import annotations

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from app import role_text
from forms.text import msgid_of

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
    _l("Confidential case (survivor-centred)"),
    _l("Follow up a low satisfaction score"),
    _l("Follow up a low satisfaction score (confidential)"),
    _l("Handle the escalated delay"),
    _l("Major complaint case"),
    _l("Minor complaint resolution"),
    _l("Record informed consent"),
    _l("Record police outcome"),
    _l("Refer to support services"),
    _l("Refer to the police"),
    _l("Registration"),
    _l("Review overdue confidential complaint"),
    _l("Review the reopened case"),
    _l("Review the reopened confidential case"),
    _l("Senior management decision"),
)
# The diagram's other names (events, gateways, flows), for the diagrams drawn on pages.
DIAGRAM_NAMES = (
    _l("Complaint handling"),
    _l("Complaint received"),
    _l("Acknowledgement target passed"),
    _l("No reply in 14 days"),
    _l("Minor resolution target passed"),
    _l("Major case target passed"),
    _l("Confidential case target passed"),
    _l("No answer in 7 days"),
    _l("No answer in 14 more days"),
    _l("Appeal window over (8 weeks)"),
    _l("Case reopened"),
    _l("Confidential case opened"),
    _l("yes"),
    _l("no"),
    _l("Complainant withdraws"),
    _l("Route complaint"),
    _l("Appeal window closed"),
    _l("Closed after review"),
    _l("Closed with survey"),
    _l("Closed with survey after reminder"),
    _l("Closed without survey"),
    _l("Closed: incomplete"),
    _l("Closed: not a complaint"),
    _l("Closed: withdrawn"),
    _l("Confidential case resolved (an open overdue review is withdrawn)"),
    _l("Followed up"),
    _l("Major case closed (an open overdue review is withdrawn)"),
    _l("Minor complaint resolved (an open overdue review is withdrawn)"),
    _l("Overdue reviewed"),
    _l("Registered (an open overdue review is withdrawn)"),
    _l("Appeal window: wait for a review request"),
    _l("Wait for information"),
    _l("Wait for survey answer"),
    _l("Wait for survey answer after reminder"),
    _l("Complaint resolved"),
    _l("Confidential handling (re)starts"),
    _l("Confidential handling starts"),
    _l("Confidential?"),
    _l("Escalated to whom?"),
    _l("Legal counsel recommends a police report?"),
    _l("Escalated?"),
    _l("Escalation approved?"),
    _l("Escalation requested?"),
    _l("Investigation (re)starts"),
    _l("Low score"),
    _l("Minor resolution (re)starts"),
    _l("Registration (re)starts"),
    _l("Registration outcome?"),
    _l("Resolution (re)starts"),
    _l("Reviewed"),
    _l("Route?"),
    _l("Score 1 or 2?"),
    _l("Signed off?"),
    _l("Violence, abuse or harassment flagged at receipt?"),
    _l("Within request limit?"),
    _l("Complainant asks for a review"),
    _l("Information received"),
    _l("Staff reopen the case"),
    _l("Survey answered"),
    _l("Survey answered after reminder"),
    _l("Confirm the withdrawal"),
    _l("Request missing information"),
    _l("Send acknowledgement"),
    _l("Send closure letter"),
    _l("Send response letter (with recourse)"),
    _l("Send satisfaction survey"),
    _l("Send survey reminder"),
    _l("Send the review letter"),
    _l("Close and follow up"),
    _l("Start the overdue-review timer"),
    _l("Survey and appeal window"),
    _l("Count information request"),
    _l("Mark confidential from receipt"),
    _l("approved"),
    _l("complete"),
    _l("confidential"),
    _l("escalated"),
    _l("escalation requested"),
    _l("incomplete"),
    _l("legal counsel"),
    _l("major"),
    _l("minor"),
    _l("no escalation"),
    _l("no: close"),
    _l("not a complaint or duplicate"),
    _l("not confidential"),
    _l("police"),
    _l("report to the police"),
    _l("otherwise"),
    _l("refused"),
    _l("senior management"),
    _l("sent back"),
    _l("Major case opened"),
    _l("Minor resolution opened"),
    _l("Registration opened"),
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
    _l("A delay was escalated to you by name: act on the case and say what you did."),
    _l(
        "A second focal point (not the handler) checks the resolution, ticks the resolution "
        "codes and signs off or sends it back."
    ),
    _l(
        "Before any action or disclosure: record what the complainant consents to and how and"
        " when they can be reached safely."
    ),
    _l("Decide on the escalated case: what the organisation does and who carries it out."),
    _l(
        "Handle the confidential complaint without any mediation or confrontation: findings, "
        "protective measures and resolution."
    ),
    _l(
        "Offer a referral to a support service (medical, psychosocial, legal, safety); record"
        " the referral or that the complainant declined."
    ),
    _l("Record what the police decided, or that the case goes on without waiting for them."),
    _l(
        "Refer the case to the police and record the date, the police service and its "
        "reference number."
    ),
    _l(
        "The complainant asked for a review, or staff reopened the case: a focal point who "
        "did not handle it reviews the decision and writes the letter."
    ),
    _l(
        "The complainant asked for a review, or staff reopened the case: someone who did not "
        "resolve it reviews the decision and writes the letter."
    ),
    _l("The complainant gave a score of 1 or 2: find out why and record what you do about it."),
    _l(
        "The complainant gave a score of 1 or 2: find out why, contacting them only in the "
        "safe way they chose, and record what you do about it."
    ),
    _l(
        "The complaint was not acknowledged within 2 days: decide how to handle the delay: "
        "remind, extend the deadline (days), reassign the step, or escalate it to a named "
        "person. This review is withdrawn by itself when the step is done."
    ),
    _l(
        "The confidential complaint was not resolved within 30 days (a second focal point "
        "reviews it): decide how to handle the delay: remind, extend the deadline (days), "
        "reassign the step, or escalate it to a named person. This review is withdrawn by "
        "itself when the step is done."
    ),
    _l(
        "The major complaint was not closed within 30 days: decide how to handle the delay: "
        "remind, extend the deadline (days), reassign the step, or escalate it to a named "
        "person. This review is withdrawn by itself when the step is done."
    ),
    _l(
        "The minor complaint was not resolved within 5 days: decide how to handle the delay: "
        "remind, extend the deadline (days), reassign the step, or escalate it to a named "
        "person. This review is withdrawn by itself when the step is done."
    ),
    # Since the service-level presets: the target is the preset's, extensions in working days.
    _l(
        "The complaint was not acknowledged by its target time: decide how to handle the "
        "delay: remind, extend the deadline (working days), reassign the step, or escalate it "
        "to a named person. This review is withdrawn by itself when the step is done."
    ),
    _l(
        "The confidential complaint was not resolved by its target time (a second focal point "
        "reviews it): decide how to handle the delay: remind, extend the deadline (working "
        "days), reassign the step, or escalate it to a named person. This review is withdrawn "
        "by itself when the step is done."
    ),
    _l(
        "The major complaint was not closed by its target time: decide how to handle the "
        "delay: remind, extend the deadline (working days), reassign the step, or escalate it "
        "to a named person. This review is withdrawn by itself when the step is done."
    ),
    _l(
        "The minor complaint was not resolved by its target time: decide how to handle the "
        "delay: remind, extend the deadline (working days), reassign the step, or escalate it "
        "to a named person. This review is withdrawn by itself when the step is done."
    ),
)
# The service-level timers of the overdue reviews (their names show in the case history).
TIMER_NAMES = (
    _l("Acknowledgement target passed"),
    _l("Minor resolution target passed"),
    _l("Major case target passed"),
    _l("Confidential case target passed"),
)


def translated(text: str | None) -> str:
    """`text` from a diagram in the reader's language when the catalogue knows it."""
    if not text:
        return ""  # gettext("") would answer the catalogue's header
    return gettext(text)


# The decision table's input columns (complaint_routing.dmn), shown in the what-if table.
DECISION_INPUTS = (_l("Sensitive"),)


def lane_names() -> dict[str, str]:
    """Each lane's role in words, for diagrams drawn on pages (the BPMN names lanes by id)."""
    return role_text.labels()


def element_names() -> dict[str, str]:
    """The diagram's names the catalogue translates (English → the reader's language), for
    diagrams drawn on pages; names a process owner wrote or changed are shown as written."""
    names = (msgid_of(text) for text in (*TASK_NAMES, *DIAGRAM_NAMES))
    return {name: shown for name in names if (shown := gettext(name)) != name}
