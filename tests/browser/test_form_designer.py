"""Issue 15's acceptance: the process owner adds "Call the complainant back" after the minor
resolution, designs its form of three fields in the editor's form designer, previews and
deploys it; a new complaint reaches the step, which is in the supervisor's inbox with its
page, its field errors and its API schema; a complaint started before never sees it."""

from __future__ import annotations

import re
import tomllib

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from services import form_definitions, processes
from services.db import db
from services.models import Complaint, Task
from tests import diagrams as d
from tests import journeys as j
from tests.app.api_helpers import API, bearer, issue_token
from tests.browser.conftest import AXE, WCAG, login, logout, screenshot
from tests.browser.test_editor import exported, open_editor

pytestmark = pytest.mark.browser

CALL_BACK = tomllib.loads(d.CALL_BACK_FORM)
SLOW = 30_000  # ms: Validate and Deploy run bpmnlint through Node, slow on a loaded machine

# The diagram surgery, through the modeler's API as a person would draw it: a user task
# below the minor resolution, in the supervisor's lane, on the flow to the minor sign-off.
ADD_CALL_BACK = """() => {
  const modeler = window.complaintflowEditor.editors[0].modeler;
  const registry = modeler.get("elementRegistry");
  const modeling = modeler.get("modeling");
  const resolve = registry.get("resolve_minor");
  const task = modeler.get("bpmnFactory").create("bpmn:UserTask", { id: "call_back" });
  const shape = modeler.get("elementFactory").createShape(
    { type: "bpmn:UserTask", businessObject: task });
  const created = modeling.createShape(shape, { x: 2418, y: 1205 }, resolve.parent);
  modeling.reconnectEnd(registry.get("flow_resolve_minor_to_sign_off_minor"), created,
    { x: 2418, y: 1165 });
  modeling.connect(created, registry.get("sign_off_minor"));
  const lane = registry.get("lane_supervisor");
  modeler.get("commandStack").execute("lane.updateRefs", {
    flowNodeShapes: [], laneShapes: [],
    updates: [{ flowNode: created.businessObject, remove: [], add: [lane.businessObject] }],
  });
  modeler.get("selection").select(created);
}"""


SELECT = """(id) => {
  const modeler = window.complaintflowEditor.editors[0].modeler;
  modeler.get("selection").select(modeler.get("elementRegistry").get(id));
}"""


def select(page: Page, element_id: str) -> None:
    """Select a task (Validate leaves the diagram without a selection)."""
    page.evaluate(SELECT, element_id)
    expect(page.locator("[data-panel-id]")).to_have_text(element_id)


def fill(page: Page, marker: str, value: str) -> None:
    """Type into a designer input and leave it (the designer saves on change)."""
    target = page.locator(f'[data-designer-input="{marker}"]')
    target.fill(value)
    target.press("Tab")


def texts(page: Page, marker: str, en: str, fr: str) -> None:
    fill(page, f"{marker}-en", en)
    fill(page, f"{marker}-fr", fr)


def click(page: Page, marker: str) -> None:
    page.click(f'[data-designer-button="{marker}"]')


def design_the_call_back_form(page: Page) -> None:
    """The three fields and two rules of CALL_BACK_FORM, through the designer only."""
    page.click("#form-new-button")
    page.fill("#form-new-key", "Call back")
    page.click("#form-new-create")
    expect(page.locator("#form-new-error")).to_contain_text("lower-case letters")
    page.fill("#form-new-key", "call_back")
    page.click("#form-new-create")
    expect(page.locator("#task-form-key")).to_have_value("call_back")
    expect(page.locator("#form-designer")).to_be_visible()
    expect(page.locator("[data-designer-key]")).to_have_text("call_back")
    # The new form is the selected task's: its key is on the diagram.
    assert 'name="formKey" value="call_back"' in exported(page)[d.BPMN_FILE]

    texts(page, "title", "Calling the complainant back", "Rappeler le réclamant")
    texts(page, "phase", "Call-back", "Rappel")
    fill(page, "context", "action_taken, resolution_summary")
    texts(page, "context-title", "What was done", "Ce qui a été fait")

    # Added in another order than the final one: the notes first, then moved down.
    click(page, "add-field")
    expect(page.locator('[data-designer-input="field-0-name"]')).to_be_focused()
    fill(page, "field-0-name", "call_notes")
    page.select_option('[data-designer-input="field-0-type"]', "long_text")
    texts(page, "field-0-label", "Call notes", "Notes d'appel")
    fill(page, "field-0-max_length", "2000")

    click(page, "add-field")
    fill(page, "field-1-name", "reached")
    page.select_option('[data-designer-input="field-1-type"]', "checkbox")
    texts(page, "field-1-label", "The complainant was reached", "Le réclamant a été joint")

    click(page, "add-field")
    fill(page, "field-2-name", "call_outcome")
    page.select_option('[data-designer-input="field-2-type"]', "choice")
    texts(page, "field-2-label", "Outcome of the call", "Résultat de l'appel")
    for number, (value, en, fr) in enumerate(
        [("satisfied", "Satisfied", "Satisfait"), ("unsatisfied", "Not satisfied", "Pas satisfait")]
    ):
        click(page, "field-2-add-choice")
        fill(page, f"field-2-choice-{number}-value", value)
        fill(page, f"field-2-choice-{number}-label-en", en)
        fill(page, f"field-2-choice-{number}-label-fr", fr)
    fill(page, "field-2-shown-when", "reached")

    # Reorder: the notes go last (down twice); focus follows the moved field's button.
    click(page, "field-0-down")
    expect(page.locator('[data-designer-input="field-1-name"]')).to_have_value("call_notes")
    click(page, "field-1-down")
    expect(page.locator('[data-designer-input="field-2-name"]')).to_have_value("call_notes")
    expect(page.locator('[data-designer-button="field-2-up"]')).to_be_focused()

    # A field added by mistake, removed again.
    click(page, "add-field")
    expect(page.locator(".designer-field")).to_have_count(4)
    click(page, "field-3-remove")
    expect(page.locator(".designer-field")).to_have_count(3)

    click(page, "add-rule")
    page.select_option('[data-designer-input="rule-0-field"]', "call_outcome")
    fill(page, "rule-0-when", "reached")
    texts(page, "rule-0-message", "Say how the call went.", "Indiquez comment s'est passé l'appel.")
    click(page, "add-rule")
    page.select_option('[data-designer-input="rule-1-field"]', "call_notes")
    fill(page, "rule-1-when", "not reached")
    texts(
        page,
        "rule-1-message",
        "Say when you tried to call.",
        "Indiquez quand vous avez essayé d'appeler.",
    )


def test_owner_adds_a_call_back_step_with_its_form_and_only_new_complaints_get_it(
    app: Flask, live_server: str, page: Page
) -> None:
    with app.app_context():
        before_id = j.to_minor_resolution().id  # started on version 1

    open_editor(page, live_server)
    page.evaluate(ADD_CALL_BACK)
    expect(page.locator("[data-panel-id]")).to_have_text("call_back")
    expect(page.locator("#task-role")).to_have_value("supervisor")
    page.fill("#task-name", "Call the complainant back")
    page.press("#task-name", "Tab")

    # Before its form exists, Validate says the step's form is unknown.
    page.click("#validate-button")
    expect(page.locator("#problem-list")).to_contain_text("call_back", timeout=SLOW)

    select(page, "call_back")
    design_the_call_back_form(page)
    assert page.evaluate("window.complaintflowEditor.forms().call_back") == CALL_BACK

    # A broken condition: Validate lists it in the designer, under the form's file.
    fill(page, "field-1-shown-when", "reached and __import__")
    page.click("#validate-button")
    expect(page.locator("#form-designer-problems")).to_contain_text("shown_when", timeout=SLOW)
    expect(page.locator("#problem-list")).to_contain_text("forms/call_back.toml")
    fill(page, "field-1-shown-when", "reached")

    # The preview: the form as staff will see it; the outcome shows once reached is ticked.
    page.click("#form-preview-button")
    preview = page.locator("#form-preview")
    expect(preview).to_contain_text("Stage: Call-back")
    expect(preview).to_contain_text("What was done")
    outcome = preview.locator('select[name="preview-call_outcome"]')
    expect(outcome).to_be_hidden()
    preview.get_by_label("The complainant was reached").check()
    expect(outcome).to_be_visible()
    screenshot(page, "editor-form-designer")

    page.click("#validate-button")
    expect(page.locator("#editor-status")).to_have_text(re.compile("No problems"), timeout=SLOW)
    expect(page.locator("#form-designer-problems")).to_be_hidden()
    page.fill("#comment", "Call the complainant back after a minor resolution")
    page.click("#deploy-button")
    expect(page.locator("#editor-status")).to_contain_text("Version 2 deployed", timeout=SLOW)

    with app.app_context():
        version = processes.active_version()
        assert version.version == 2
        assert tomllib.loads(version.files["forms/call_back.toml"]) == CALL_BACK
        shipped = form_definitions.shipped_files()
        for name, text in shipped.items():  # every other form deployed as it was
            assert version.files[name].encode() == text, name
        complaint = j.to_minor_resolution()
        j.complete(complaint, "resolve_minor")
        task = j.open_task(complaint, "call_back")
        assert task.role == "supervisor" and task.form_key == "call_back"
        task_id = task.id

        before = db.session.get(Complaint, before_id)
        j.complete(before, "resolve_minor")
        assert j.open_names(before) == ["sign_off_minor"]  # version 1 has no call-back

    # The supervisor finds it in the inbox, with its page and form.
    logout(page)
    login(page, live_server, "supervisor", then=None)
    page.goto(f"{live_server}/inbox")
    link = page.locator(f'a[href="/tasks/{task_id}"]').first
    expect(link).to_be_visible()
    expect(page.locator("main")).to_contain_text("Call the complainant back")
    link.click()
    expect(page.locator(".task-phase")).to_contain_text("Call-back")
    expect(page.locator("#context-title")).to_have_text("What was done")
    form = page.locator("form.work-form")
    expect(form.get_by_label("Call notes")).to_be_visible()
    expect(form.locator('[name="call_outcome"]')).to_be_hidden()
    form.get_by_label("The complainant was reached").check()
    expect(form.locator('[name="call_outcome"]')).to_be_visible()
    # Bad data: reached, but no outcome.
    form.locator("button.primary").click()
    expect(page.locator(".error-summary")).to_contain_text("Say how the call went.")
    expect(page.locator(".field.has-error")).to_contain_text("Say how the call went.")
    with app.app_context():
        assert db.session.get(Task, task_id).status == "open"  # nothing moved

    # Its API schema lists the three fields.
    client = app.test_client()
    headers = bearer(issue_token(app.test_cli_runner(), "supervisor"))
    schema = client.get(f"{API}/tasks/{task_id}", headers=headers).json["payload_schema"]
    assert set(schema["properties"]) == {"reached", "call_outcome", "call_notes"}


def test_the_designer_works_from_the_keyboard_in_french_and_passes_axe(
    open_page, live_server: str
) -> None:
    page = open_page(locale="fr-FR", axe=True)
    open_editor(page, live_server)
    select(page, "resolve_minor")
    designer = page.locator("#form-designer")
    expect(designer.locator("h2")).to_contain_text("Concepteur de formulaires")
    expect(page.locator("[data-designer-key]")).to_have_text("resolve_minor")
    expect(designer).to_contain_text(re.compile(r"Champ 1\s:"))
    fields = designer.locator(".designer-field")
    count = fields.count()
    # Keyboard only: Enter on "Ajouter un champ" adds a field and puts the cursor in its name.
    add = designer.get_by_role("button", name="Ajouter un champ")
    add.focus()
    page.keyboard.press("Enter")
    expect(fields).to_have_count(count + 1)
    name = page.locator(f'[data-designer-input="field-{count}-name"]')
    expect(name).to_be_focused()
    page.keyboard.type("rappel_fait")
    page.keyboard.press("Tab")
    expect(designer.locator("legend").filter(has_text="rappel_fait")).to_have_count(1)
    remove = designer.get_by_role("button", name="Retirer le champ rappel_fait")
    remove.focus()
    page.keyboard.press("Enter")
    expect(fields).to_have_count(count)
    expect(add).to_be_focused()
    # The preview speaks the page's language.
    designer.get_by_role("button", name="Aperçu").click()
    expect(page.locator("#form-preview")).to_contain_text(re.compile(r"Aperçu\s:\sle formulaire"))
    expect(
        page.locator("#form-preview form select, #form-preview form input").first
    ).to_be_attached()
    page.add_script_tag(content=AXE.read_text())
    violations = page.evaluate(
        """async (tags) => (await axe.run("#form-designer", {runOnly: {type: "tag",
            values: tags}})).violations.map(v => ({id: v.id, help: v.help,
            nodes: v.nodes.map(n => n.target.join(" "))}))""",
        WCAG,
    )
    assert violations == []
