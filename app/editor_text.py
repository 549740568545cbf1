"""The words of the process owner's pages that are not in a template: what the editor's
JavaScript says (filled in the browser: keep the %(name)s placeholders), and readable names
for the element types a version diff lists."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

# Readable names of the element types a diff lists (others show their BPMN/DMN type).
KINDS = {
    "userTask": _l("User task"),
    "scriptTask": _l("Script task"),
    "businessRuleTask": _l("Business rule task"),
    "subProcess": _l("Subprocess"),
    "sequenceFlow": _l("Flow"),
    "exclusiveGateway": _l("Gateway"),
    "parallelGateway": _l("Parallel gateway"),
    "startEvent": _l("Start event"),
    "endEvent": _l("End event"),
    "boundaryEvent": _l("Boundary event"),
    "intermediateCatchEvent": _l("Waiting event"),
    "intermediateThrowEvent": _l("Message sent"),
    "lane": _l("Lane (role)"),
    "decision": _l("Decision table"),
    "input": _l("Table input"),
    "output": _l("Table output"),
    "rule": _l("Decision table row"),
    "form": _l("Form"),
    "form field": _l("Form field"),
    "form rule": _l("Form rule"),
    "choice list": _l("Choice list"),
}

# Readable names of the form settings a diff lists as changed (others show their key).
SETTINGS = {
    "title": _l("What the form is for (title)"),
    "phase": _l("Stage the task page names (phase)"),
    "context": _l("Case data shown above the form"),
    "context_title": _l("Heading of the case data (optional)"),
    "field order": _l("Fields, in the order the page shows them"),
    "value order": _l("Values, in the order the options show them"),
    "type": _l("Type"),
    "label": _l("Label"),
    "help": _l("Help (optional)"),
    "required": _l("Required"),
    "min_length": _l("Shortest length (characters)"),
    "max_length": _l("Longest length (characters)"),
    "min": _l("Smallest value"),
    "max": _l("Largest value"),
    "whole": _l("Whole numbers only"),
    "not_in_future": _l("Not in the future"),
    "choices": _l("Choices"),
    "shown_when": _l("Shown only when (optional)"),
    "when": _l("When (optional)"),
    "check": _l("Check (optional)"),
    "message": _l("Message"),
}

# What the lists the application reads by name (forms.lists.REQUIRED) are for, as the lists
# editor says it (the other lists are what the forms offering them make of them).
LIST_DESCRIPTIONS = {
    "channels": _l(
        "How a complaint came in (intake, inbox, reports). The public form files with web, "
        "the complaints mailbox with email."
    ),
    "categories": _l(
        "What a complaint is about (classification, routing table, inbox and report filters, API)."
    ),
    "severities": _l("How serious a complaint is (classification, routing table, reports)."),
    "registration_outcomes": _l(
        "The outcome of registration (the diagram's gateways); duplicate links the complaint "
        "to the one it repeats."
    ),
    "remedies": _l("What the complainant is offered (resolutions, reports)."),
    "escalation_targets": _l("Who an escalation goes to (the diagram's gateways)."),
    "root_causes": _l("What an investigation found at the root of a complaint (reports)."),
    "escalation_decisions": _l("The manager's answer to an escalation request."),
    "resolution_codes": _l("How a closed complaint was resolved (sign-off, reports)."),
    "overdue_actions": _l(
        "What the review of an overdue step does; deadline_extended moves the step's time limits."
    ),
    "purchase_modes": _l("How it was bought (the public and staff intake forms)."),
    "payment_modes": _l("How it was paid (the public and staff intake forms)."),
    "delivery_modes": _l("How it was delivered (the public and staff intake forms)."),
}

# What editor.js says; %(name)s placeholders are filled in the browser.
EDITOR_MESSAGES = {
    "loading": _l("Loading the diagrams…"),
    "loadFailed": _l("The editor could not open the diagrams: %(reason)s"),
    "lostContent": _l(
        "Some content of %(file)s is not understood by the editor and would be lost if you "
        "deploy from here:"
    ),
    "validating": _l("Checking the procedure…"),
    "valid": _l("No problems: the procedure can be deployed."),
    "problemFound": _l("1 problem blocks a deploy; it is marked on the diagram."),
    "problemsFound": _l("%(count)s problems block a deploy; they are marked on the diagram."),
    "requestFailed": _l("The request failed (%(reason)s). Nothing was saved."),
    "deploying": _l("Deploying…"),
    "seeVersions": _l("See the versions"),
    "unknownFormKey": _l("%(key)s (unknown form)"),
    "noFormKey": _l("(no form)"),
    "roleIsLane": _l("The task is drawn in the lane “%(role)s”: choose a role to move it."),
    "roleNoneYet": _l("The task is in no lane: choose a role to move it into that lane."),
    "roleNoLane": _l(
        "The diagram has no lane “%(role)s”: add a lane with that name to the pool first."
    ),
    "roleOutsideSubprocess": _l(
        "This task is inside a subprocess that does not reach the lane “%(role)s”: "
        "resize the subprocess into that lane first."
    ),
    "roleMoved": _l("Moved into the lane “%(role)s”: this role now does the task."),
    "dueTimer": _l("Due time (service-level timer “%(name)s”)"),
    "dueTimerHint": _l(
        "The duration of the boundary timer %(id)s: ISO 8601 (P5D is five days, PT4H four "
        "hours), working time such as working_days(2), or a step's service-level target such "
        'as target("resolve_minor").'
    ),
    "dueProperty": _l("Due time (dueIn)"),
    "duePropertyHint": _l(
        "An ISO 8601 duration such as P3D (three days) or PT4H (four hours); empty: no due time."
    ),
    "dueInvalid": _l("Not an ISO 8601 duration such as P3D: Validate will refuse it."),
    "dueTimerInvalid": _l(
        'Not a duration such as P3D, working_days(2) or target("resolve_minor"): '
        "Validate will refuse it."
    ),
    "versionActive": _l("Version %(number)s, deployed from here"),
    "draftRestored": _l("Your unsaved changes are back. Deploy them, or leave to discard them."),
    "replaying": _l("Replaying…"),
    "replaySummary": _l("%(changed)s of %(total)s complaints would take another route."),
    "replayEmpty": _l("No complaint has been classified yet: nothing to replay."),
    "reference": _l("Reference"),
    "routeTaken": _l("Route taken"),
    "newRoute": _l("Route with this table"),
    "changed": _l("changed"),
    # The form designer.
    "inEnglish": _l("English"),
    "inFrench": _l("French"),
    "formUsedBy": _l("Used by: %(tasks)s"),
    "formSettings": _l("The form"),
    "formTitle": _l("What the form is for (title)"),
    "formPhase": _l("Stage the task page names (phase)"),
    "formContext": _l("Case data shown above the form"),
    "formContextHint": _l(
        "Names of answers of earlier steps, separated by commas, for example action_taken, "
        "resolution_summary."
    ),
    "formContextTitle": _l("Heading of the case data (optional)"),
    "fieldsTitle": _l("Fields, in the order the page shows them"),
    "addField": _l("Add a field"),
    "rulesTitle": _l("Rules"),
    "rulesHint": _l(
        "A rule makes a field required (or checks it) when its condition holds, with the "
        "message staff see. Conditions use field names, for example: not reached, "
        "amount > 100 and remedy == 'refund'."
    ),
    "addRule": _l("Add a rule"),
    "fieldLegend": _l("Field %(number)s: %(name)s"),
    "fieldName": _l("Name"),
    "fieldNameHint": _l(
        "Lower-case letters, digits and _: the name the diagram, rules and reports use."
    ),
    "fieldType": _l("Type"),
    "type_text": _l("Text"),
    "type_long_text": _l("Long text"),
    "type_number": _l("Number"),
    "type_amount": _l("Amount"),
    "type_date": _l("Date"),
    "type_choice": _l("Choice"),
    "type_multiple_choice": _l("Multiple choice"),
    "type_checkbox": _l("Checkbox"),
    "type_checklist": _l("Checklist"),
    "type_file": _l("File"),
    "fieldRequired": _l("Required"),
    "fieldLabel": _l("Label"),
    "fieldHelp": _l("Help (optional)"),
    "min_length": _l("Shortest length (characters)"),
    "max_length": _l("Longest length (characters)"),
    "min": _l("Smallest value"),
    "max": _l("Largest value"),
    "whole": _l("Whole numbers only"),
    "notInFuture": _l("Not in the future"),
    "shownWhen": _l("Shown only when (optional)"),
    "shownWhenHint": _l(
        "A condition on other fields, for example: reached, or outcome == 'refund'. Empty: "
        "always shown."
    ),
    "moveUp": _l("Move up"),
    "moveUpField": _l("Move up: %(name)s"),
    "moveDown": _l("Move down"),
    "moveDownField": _l("Move down: %(name)s"),
    "removeField": _l("Remove the field"),
    "removeFieldNamed": _l("Remove the field %(name)s"),
    "choicesTitle": _l("Choices"),
    "choicesFromData": _l("Filled from the application's data (%(source)s)."),
    "choicesSource": _l("List of choices"),
    "choicesInline": _l("Written here"),
    "choicesList": _l("Managed list: %(name)s"),
    "asRadio": _l("Show as radio buttons"),
    "choiceValue": _l("Value"),
    "choiceLabelEn": _l("Label in English"),
    "choiceLabelFr": _l("Label in French"),
    "removeChoice": _l("Remove"),
    "removeChoiceNamed": _l("Remove the choice %(value)s"),
    "addChoice": _l("Add a choice"),
    "addChoiceTo": _l("Add a choice to %(name)s"),
    "ruleLegend": _l("Rule %(number)s"),
    "ruleFromCode": _l("A rule written in code: %(name)s."),
    "ruleField": _l("Field"),
    "ruleWhen": _l("When (optional)"),
    "ruleWhenHint": _l("The rule applies when this holds; empty: always."),
    "ruleCheck": _l("Check (optional)"),
    "ruleCheckHint": _l("What must hold; empty: the field must be filled."),
    "ruleMessage": _l("Message"),
    "removeRule": _l("Remove the rule"),
    "removeRuleNumber": _l("Remove rule %(number)s"),
    "previewing": _l("Preparing the preview…"),
    "formKeyInvalid": _l("A form key is lower-case letters, digits and _, starting with a letter."),
    "formKeyTaken": _l("There is already a form %(key)s: choose it in the list."),
    "formCreated": _l("Form %(key)s created for this task: add its fields below the diagram."),
    # The choice lists.
    "listReadByApp": _l("read by the application"),
    "listValueCount": _l("%(count)s values"),
    "listUsedBy": _l("Offered by the forms: %(forms)s"),
    "listUnused": _l("No form offers this list yet: choose it for a field in the form designer."),
    "listValuesTitle": _l("Values of %(name)s, in the order the options show them"),
    "valueNew": _l("Value (stored, not shown)"),
    "valueHint": _l("Lower-case letters, digits and _, for example drinking_water."),
    "valueActedOn": _l("The application acts on this value."),
    "valueInvalid": _l(
        "A value is lower-case letters, digits and _ (63 at most), for example drinking_water."
    ),
    "valueTaken": _l("The list already has the value %(value)s."),
    "labelMissing": _l("Give the label in English and in French."),
    "labelMarkup": _l('A label is plain text: no < > or ".'),
    "valueRequired": _l("The application acts on %(value)s: it cannot be removed."),
    "valueChecking": _l("Checking where %(value)s is used…"),
    "valueUsed": _l("%(value)s is still used: a deploy would be refused until this changes."),
    "listUsed": _l(
        "The list %(name)s is still used: a deploy would be refused until this changes."
    ),
    "removeAnyway": _l("Remove it anyway"),
    "keepIt": _l("Keep it"),
    "addValue": _l("Add a value"),
    "addValueTo": _l("Add a value to %(name)s"),
    "removeList": _l("Remove the list"),
    "removeListNamed": _l("Remove the list %(name)s"),
    "listNameInvalid": _l(
        "A list name is lower-case letters, digits and _, starting with a letter."
    ),
    "listNameTaken": _l("There is already a list %(name)s."),
    "listAdded": _l(
        "List %(name)s added: give it its values, then choose it for a field in the form designer."
    ),
}
