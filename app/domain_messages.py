"""The messages of the domain errors services raise (in English, services know no locale),
listed for the catalogue: app/errors.py shows them in the reader's language.

tests/app/test_translations_complete.py checks every literal message raised in services/ is here.
"""

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from app import role_text
from forms.text import Text
from services.errors import DomainError

MESSAGES = (
    _l("This account is deactivated."),
    _l("Please correct the token's details."),
    _l("Only an administrator creates tokens for a service account."),
    _l("No such API token."),
    _l("A token of this account already has this name."),
    _l("A token cannot outlive the token that creates it."),
    _l("A description is required."),
    _l("An email to staff can only be retried."),
    _l("Another version of this process was activated at the same time; reload and retry."),
    _l("Both versions must belong to the same process."),
    _l("Choose an active support service."),
    _l("Choose another way to send it."),
    _l("Choose one of the presets."),
    _l("Choose two different versions."),
    _l("Complaint %(reference)s is closed; it stays on its version."),
    _l("Complaint %(reference)s is already on version %(number)s."),
    _l(
        "Complaint %(reference)s cannot move: version %(number)s does not define the form "
        "of its open task (%(forms)s)."
    ),
    _l("Choose what to do with the selected tasks."),
    _l("Choose who takes the selected tasks."),
    _l(
        "Four-eyes rule: someone other than the person who handled an earlier step of "
        "this complaint must do this task."
    ),
    _l("Give a name."),
    _l("Give the reason for reopening."),
    _l("Name the closure."),
    _l("No active staff member has this id."),
    _l("No email."),
    _l("No such closure day."),
    _l("No such complaint."),
    _l("No such department."),
    _l("No such file."),
    _l("No such message."),
    _l("No such process version."),
    _l("No such saved filter."),
    _l("No such service provider."),
    _l("No such task."),
    _l("No such team."),
    _l("No such user."),
    _l("Only a failed message can be retried."),
    _l("Only a failed message can be sent another way."),
    _l("Only a manager can reassign tasks."),
    _l("Only a manager reopens a case."),
    _l("Only administrators change the business calendar."),
    _l("Only administrators change the organisation's settings."),
    _l("Only administrators open the administration pages."),
    _l("Only administrators edit the message templates."),
    _l("Only administrators maintain the service providers."),
    _l("Only intake agents and managers handle deliveries."),
    _l("Only intake agents record complaints."),
    _l("Only intake agents, managers and administrators see failed deliveries."),
    _l("Only managers and administrators handle emails to staff."),
    _l("Only staff who work on complaints confirm the emails that name one."),
    _l("Only managers retry a complaint's timers."),
    _l("Only process owners and managers retry a complaint's timers."),
    _l("Only managers see every open task and the workload."),
    _l("Only managers see the service-level view."),
    _l("Only process owners change the procedure."),
    _l("Only the assignee or a manager can release this task."),
    _l("Nobody has claimed it yet."),
    _l("Own role."),
    _l("Your roles do not include this task's: you may read it, not work on it."),
    _l("Please correct the highlighted fields."),
    _l("Select at least one task."),
    _l("Select at most %(limit)s tasks at once."),
    _l("Some people cannot be mentioned on this complaint."),
    _l("Someone else changed this complaint at the same time; reload and try again."),
    _l("Taken."),
    _l("The calendar was not saved."),
    _l("The complaint has no address on file for that way."),
    _l("The complaint is busy; try again."),
    _l("The complaint of this message no longer exists."),
    _l("The posting date cannot be in the future."),
    _l("The procedure is not waiting for this right now."),
    _l("This case cannot be reopened any more: the appeal window is over."),
    _l("This cursor belongs to another order of the list."),
    _l("This cursor is not one this list gave."),
    _l("This document is not available."),
    _l("This email is not available."),
    _l("This email was already handled."),
    _l("This file is not available."),
    _l("This letter is not waiting to be posted."),
    _l("This link has expired or was already used."),
    _l("This person does not hold the task's role."),
    _l("This person handled an earlier step of this complaint: four-eyes rule."),
    _l("This person is not cleared to see confidential complaints."),
    _l("This process version has no BPMN diagram."),
    _l("This task is no longer open."),
    _l("This task is no longer open: someone may have completed it already."),
    _l("This tracking link is not valid."),
    _l("This user has no email address."),
    _l("This version is already the one in use."),
    _l("The shipped wording has not changed since this version was saved."),
    _l("Too long."),
    _l("Unknown preset."),
    _l("Unknown role."),
    _l("Unknown."),
    _l("Write the note."),
    _l("Your complaint is not waiting for this any more; nothing was saved."),
    _l("Yourself."),
    _l("Choose the action's owner."),
    _l("Give a due date."),
    _l("Give at least one complaint reference."),
    _l("Give both the first and the last day of the period."),
    _l("No complaint of the period has this value."),
    _l("No such age bucket."),
    _l("No such figure."),
    _l("No such improvement action."),
    _l("No such kind of cluster."),
    _l("No such period in this report."),
    _l("No such score."),
    _l("No such systemic issue."),
    _l("No such working time."),
    _l("Only managers open and change systemic issues and actions."),
    _l("Only managers write the review's narrative."),
    _l("Only managers, quality analysts and senior management read the review."),
    _l("Only the action's owner or a manager updates it."),
    _l("Say what was done before marking the action done."),
    _l("The period is too long (two years at most)."),
    _l("The period must start before it ends."),
    _l("This cluster is not found in the period."),
    _l("Unknown status."),
    _l("Your role does not give access to improvement actions."),
    _l("Your role does not give access to recurring problems and actions."),
    # Webhooks (services/webhooks.py).
    _l("No such webhook."),
    _l("Give the address."),
    _l("The address is too long (300 characters at most)."),
    _l("The address's port must be a number from 1 to 65535."),
    _l("The address must not hold a user name or password: use the signing secret."),
    _l(
        "Webhooks go to public https addresses only (no loopback, private, link-local "
        "or reserved address)."
    ),
    _l("The address's host name cannot be resolved."),
    _l("Choose the events to send, among the known types."),
    _l("The description is too long (300 characters at most)."),
    _l("Send a JSON object."),
    _l("A built-in role cannot be deleted."),
    _l("No such role."),
    _l("Only administrators change the roles."),
    # Naming someone (DomainError params): the sentence is translated, then filled in.
    _l("%(name)s has claimed it."),
    _l("This task was already completed by %(name)s."),
    _l("The procedure already went past this task."),
    _l("Someone has claimed it."),
    _l("%(name)s does not hold the role %(role)s."),
    _l("%(name)s handled an earlier step: four-eyes rule."),
    _l("Version %(version)s is already the active version."),
    # A refusal's words for the field it names (InvalidInput details), shown under the field.
    _l("Another user has this user name."),
    _l("Another user has this email address."),
    _l("There is already a department of that name."),
    _l("There is already a department of that French name."),
    _l("Give a name in English or in French."),
    _l("There is already a team of that name."),
    _l("Give an email address to send the invitation to."),
    _l("Give an email address to send the link to."),
    _l("You cannot deactivate yourself."),
    _l("You cannot remove your own administrator role."),
    _l("Not a valid choice."),
    _l("Required."),
    _l("At most 100 characters."),
)


def translate(error: DomainError) -> str:
    """A domain error in the reader's language, its placeholders filled in (a role by its
    label). A message that is a forms.text.Text carries its own parameters."""
    if isinstance(error.msgid, Text):
        return str(localize(error.msgid))
    params: dict[str, Any] = dict(error.params)
    if "role" in params:
        params["role"] = role_text.name_of(str(params["role"]))
    return gettext(error.msgid, **params)


def localize(value: Any) -> Any:
    """A forms.text.Text (a form definition's problem, found outside any request) in the
    reader's language, its Text parameters too; any other value as it is."""
    if not isinstance(value, Text):
        return value
    return gettext(value.msgid, **{k: localize(v) for k, v in value.params.items()})


def text(message: str) -> str:
    """A service's message in the reader's language: a Text with its parameters, or a msgid."""
    return localize(message) if isinstance(message, Text) else gettext(message)


def localize_all(value: Any) -> Any:
    """`value` with every Text in it (in lists and dicts, as error details hold them)
    translated."""
    if isinstance(value, Text):
        return localize(value)
    if isinstance(value, Mapping):
        return {k: localize_all(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [localize_all(v) for v in value]
    return value


def field_messages(details: Mapping[str, Any] | None) -> Any:
    """An InvalidInput's field → messages in the reader's language: each message a service
    wrote (a msgid, or a Text with its parameters), as `translate` does for its detail."""
    if not details:
        return details
    return {
        name: [text(m) if isinstance(m, str) and m else m for m in messages]
        if isinstance(messages, list)
        else messages
        for name, messages in details.items()
    }
