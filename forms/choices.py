"""Choice lists of the forms: (value stored in task data, translatable label)."""

from collections.abc import Iterable
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from wtforms import SelectChoice

Choices = tuple[tuple[Any, LazyString], ...]

PLACEHOLDER = _l("Choose…")

CHANNELS: Choices = (
    ("web", _l("Web form")),
    ("phone", _l("Telephone")),
    ("email", _l("Email")),
    ("letter", _l("Letter")),
    ("counter", _l("Counter or focal point")),
    ("social_media", _l("Social media")),
)

# The languages we write to complainants in (message templates exist in each).
LANGUAGES: Choices = (
    ("en", "English"),
    ("fr", "Français"),
)

CONTACT_CHANNELS: Choices = (
    ("email", _l("Email")),
    ("phone", _l("Telephone")),
    ("letter", _l("Letter")),
    ("none", _l("No contact (tracking link only)")),
)

# How the complainant of a confidential case can safely be reached.
SAFE_CONTACT_METHODS: Choices = (
    ("email", _l("Email")),
    ("phone", _l("Telephone")),
    ("post", _l("Post")),
    ("in_person", _l("In person")),
    ("none", _l("No contact (tracking link only)")),
)

CATEGORIES: Choices = (
    ("product_quality", _l("Product quality")),
    ("customer_service", _l("Customer service")),
    ("billing", _l("Billing")),
    ("delivery", _l("Delivery")),
    ("safety", _l("Safety")),
    ("gender_based_violence", _l("Gender-based violence")),
    ("other", _l("Other")),
)

SEVERITIES: Choices = (
    ("low", _l("Low")),
    ("medium", _l("Medium")),
    ("high", _l("High")),
    ("critical", _l("Critical")),
)

REGISTRATION_OUTCOMES: Choices = (
    ("complete", _l("Complete: register it")),
    ("incomplete", _l("Incomplete: ask the complainant for the missing information")),
    ("not_a_complaint", _l("Not a complaint: close it")),
    ("duplicate", _l("Duplicate of another complaint: close it")),
)

REMEDIES: Choices = (
    ("explanation", _l("Explanation")),
    ("apology", _l("Apology")),
    ("repair", _l("Repair")),
    ("replacement", _l("Replacement")),
    ("refund", _l("Refund")),
    ("price_reduction", _l("Price reduction")),
    ("repeat_performance", _l("Service performed again")),
    ("compensation", _l("Compensation")),
    ("staff_training", _l("Staff training")),
    ("process_change", _l("Process change")),
)

ESCALATION_TARGETS: Choices = (
    ("senior_management", _l("Senior management")),
    ("legal_counsel", _l("Legal counsel")),
    ("police", _l("Police")),
)

# What an investigation found at the root of a major complaint: a category reports count
# (the free-text root cause says the particulars).
ROOT_CAUSES: Choices = (
    ("process", _l("Process or procedure")),
    ("people", _l("People or training")),
    ("product", _l("Product or service defect")),
    ("supplier", _l("Supplier or third party")),
    ("communication", _l("Communication or information")),
    ("system", _l("System or IT")),
    ("policy", _l("Policy or terms")),
    ("external", _l("External cause (beyond our control)")),
    ("other", _l("Other")),
)

ESCALATION_DECISIONS: Choices = (
    ("approved", _l("Approve the escalation")),
    ("refused", _l("Refuse the escalation")),
)

LEGAL_ACTIONS: Choices = (
    ("none", _l("No legal action")),
    ("settlement", _l("Settlement")),
    ("litigation", _l("Litigation")),
    ("police_report", _l("Report to the police")),
)

SIGN_OFF_DECISIONS: Choices = (
    ("approved", _l("Approve and close")),
    ("sent_back", _l("Send back for more work")),
)

RESOLUTION_CODES: Choices = (
    ("resolved_in_favour", _l("Resolved in the complainant's favour")),
    ("partially_upheld", _l("Partially upheld")),
    ("not_upheld", _l("Not upheld")),
    ("remedy_delivered", _l("Remedy delivered")),
    ("complainant_informed", _l("Complainant informed of the outcome")),
    ("root_cause_fixed", _l("Root cause fixed")),
    ("lessons_recorded", _l("Lessons recorded")),
)

OVERDUE_ACTIONS: Choices = (
    ("reminded_handler", _l("Remind the person handling it")),
    ("reassigned", _l("Reassign it")),
    ("deadline_extended", _l("Extend the deadline")),
    ("escalated", _l("Escalate it to a named person")),
    ("taken_over", _l("Take it over myself")),
)

SENIOR_DECISIONS: Choices = (
    ("remedy_authorised", _l("Authorise the remedy proposed")),
    ("policy_change", _l("Order a change of policy or practice")),
    ("disciplinary_action", _l("Start disciplinary action")),
    ("no_further_action", _l("No further action at this level")),
)

POLICE_OUTCOMES: Choices = (
    ("charges_brought", _l("Charges brought")),
    ("under_investigation", _l("Still under police investigation: we go on without waiting")),
    ("no_further_action", _l("No further police action")),
    ("declined", _l("The police declined the referral")),
)

REVIEW_DECISIONS: Choices = (
    ("upheld", _l("Review upheld: the decision changes")),
    ("partially_upheld", _l("Partially upheld")),
    ("not_upheld", _l("Not upheld: the decision stands")),
)

FOLLOW_UP_ACTIONS: Choices = (
    ("contacted_complainant", _l("Contacted the complainant")),
    ("remedy_offered", _l("Offered a further remedy")),
    ("lesson_recorded", _l("Recorded a lesson for the service")),
    ("no_action", _l("No further action")),
)

PURCHASE_MODES: Choices = (
    ("in_store", _l("In a shop or office")),
    ("online", _l("Online")),
    ("phone", _l("By telephone")),
    ("mail_order", _l("By mail order")),
    ("door_to_door", _l("Door-to-door sale")),
    ("other", _l("Other")),
)

PAYMENT_MODES: Choices = (
    ("cash", _l("Cash")),
    ("card", _l("Bank card")),
    ("bank_transfer", _l("Bank transfer")),
    ("direct_debit", _l("Direct debit")),
    ("mobile_money", _l("Mobile money")),
    ("cheque", _l("Cheque")),
    ("other", _l("Other")),
)

DELIVERY_MODES: Choices = (
    ("collected", _l("Collected in person")),
    ("home_delivery", _l("Home delivery")),
    ("post", _l("Post")),
    ("courier", _l("Courier")),
    ("digital", _l("Digital (download, online service)")),
    ("other", _l("Other")),
)

SCORES: Choices = (
    (1, _l("1 – very dissatisfied")),
    (2, _l("2 – dissatisfied")),
    (3, _l("3 – neither satisfied nor dissatisfied")),
    (4, _l("4 – satisfied")),
    (5, _l("5 – very satisfied")),
)

# A complaint's status (the open task's BPMN "phase", or a waiting state) in plain words.
STATUSES: Choices = (
    ("received", _l("Received")),
    ("registration", _l("Being registered")),
    ("classification", _l("Being analysed")),
    ("investigation", _l("Under investigation")),
    ("escalation", _l("Escalation under review")),
    ("legal_review", _l("Under legal review")),
    ("resolution", _l("Being resolved")),
    ("sign_off", _l("Response being approved")),
    ("review", _l("Being reviewed at the complainant's request")),
    ("in_progress", _l("In progress")),
    ("awaiting_information", _l("Waiting for information from the complainant")),
    ("awaiting_feedback", _l("Waiting for the complainant's opinion on how we handled it")),
    ("closed", _l("Closed")),
)


def label(choices: Iterable[tuple[Any, LazyString]], value: Any) -> LazyString | str:
    """The label of `value` in `choices`; the value itself if it is not one of them."""
    if value is None:
        return ""
    for choice_value, choice_label in choices:
        if choice_value == value:
            return choice_label
    return str(value)


def options(choices: Choices, blank: LazyString | None = None) -> list[SelectChoice]:
    """WTForms options for `choices`, headed by an empty option labelled `blank` if given."""
    # WTForms 3.3 deprecates (value, label) tuples as field choices.
    head = [SelectChoice("", blank)] if blank is not None else []
    return head + [SelectChoice(value, text) for value, text in choices]
