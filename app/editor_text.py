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
    "problemsFound": _l("%(count)s problem(s) block a deploy; they are marked on the diagram."),
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
        "The duration of the boundary timer %(id)s, as ISO 8601: P5D is five days, PT4H four hours."
    ),
    "dueProperty": _l("Due time (dueIn)"),
    "duePropertyHint": _l(
        "An ISO 8601 duration such as P3D (three days) or PT4H (four hours); empty: no due time."
    ),
    "dueInvalid": _l("Not an ISO 8601 duration such as P3D: Validate will refuse it."),
    "versionActive": _l("Version %(number)s, deployed from here"),
    "draftRestored": _l("Your unsaved changes are back. Deploy them, or leave to discard them."),
    "replaying": _l("Replaying…"),
    "replaySummary": _l("%(changed)s of %(total)s complaints would take another route."),
    "replayEmpty": _l("No complaint has been classified yet: nothing to replay."),
    "reference": _l("Reference"),
    "routeTaken": _l("Route taken"),
    "newRoute": _l("Route with this table"),
    "changed": _l("changed"),
}
