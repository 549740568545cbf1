"""The process owner edits the procedure in the browser: bpmn-js and dmn-js keep our
SpiffWorkflow extensions, the side panel changes a task's due time and role, Validate marks
problems on the diagram, Deploy makes a new version that only new complaints follow."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from lxml import etree
from playwright.sync_api import Page, expect

from services import processes
from services.db import db
from services.models import Complaint
from tests import journeys as j
from tests.browser.conftest import login, screenshot

pytestmark = pytest.mark.browser

REPO_ROOT = Path(__file__).resolve().parents[2]
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
BPMN = "complaint_handling.bpmn"
DMN = "complaint_routing.dmn"


def open_editor(page: Page, base_url: str) -> None:
    login(page, base_url, "owner", then=None)
    page.goto(f"{base_url}/processes/editor")
    page.wait_for_selector("#editor.is-ready")


def shape(page: Page, element_id: str) -> str:
    return f'#pane-1 .djs-element[data-element-id="{element_id}"]'


def select_task(page: Page, element_id: str) -> None:
    """Select a task on the diagram (clicking a selected element again would unselect it)."""
    page.click("#tab-1")
    fields = page.locator("[data-panel-fields]")
    if not (fields.is_visible() and page.text_content("[data-panel-id]") == element_id):
        page.click(shape(page, element_id))
    expect(fields).to_be_visible()
    expect(page.locator("[data-panel-id]")).to_have_text(element_id)


def exported(page: Page) -> dict[str, str]:
    """The files as the editor would send them to the server."""
    return page.evaluate("window.complaintflowEditor.exportFiles()")


def spiff_extensions(xml: str) -> dict[str, list[tuple]]:
    """Every spiffworkflow element (tag, attributes, text) under each BPMN element id."""
    root = etree.fromstring(xml.encode())
    found: dict[str, list[tuple]] = {}
    for node in root.iter(f"{{{SPIFF}}}*"):
        owner = next(a for a in node.iterancestors() if a.get("id"))
        text = (node.text or "").strip()
        found.setdefault(owner.get("id"), []).append(
            (etree.QName(node).localname, dict(node.attrib), text)
        )
    return found


def test_editor_round_trip_keeps_the_spiffworkflow_extensions(live_server: str, page: Page) -> None:
    open_editor(page, live_server)
    files = exported(page)
    original = (REPO_ROOT / "processes" / BPMN).read_text()
    assert spiff_extensions(files[BPMN]) == spiff_extensions(original)
    assert len(spiff_extensions(original)) > 10
    assert page.locator("#editor-notice").is_hidden()  # nothing the editor would drop
    screenshot(page, "editor")


def test_choosing_a_role_moves_the_task_into_that_lane(live_server: str, page: Page) -> None:
    open_editor(page, live_server)
    select_task(page, "legal_review")  # inside the major-case subprocess
    expect(page.locator("#task-role")).to_have_value("legal_counsel")
    page.select_option("#task-role", "manager")
    expect(page.locator("#task-role-hint")).to_contain_text("manager")
    lanes = etree.fromstring(exported(page)[BPMN].encode())
    manager = lanes.find(".//{*}lane[@name='manager']")
    counsel = lanes.find(".//{*}lane[@name='legal_counsel']")
    assert "legal_review" in [ref.text for ref in manager]
    assert "legal_review" not in [ref.text for ref in counsel]
    page.click("#validate-button")
    expect(page.locator("#editor-status")).to_have_class(re.compile("editor-status-ok"))


def test_owner_edits_validates_and_deploys_and_only_new_complaints_follow(
    app: Flask, live_server: str, page: Page
) -> None:
    with app.app_context():
        before = j.to_classification().id  # filed before the deploy: stays on version 1
        routed = j.to_classification()  # classified already: the what-if replays it
        j.complete(routed, "classify_complaint", financial_impact="700.00")
        routed_reference = routed.reference

    open_editor(page, live_server)

    # A due time that is not a duration: Validate marks the timer on the diagram.
    select_task(page, "resolve_minor")
    # The minor case's overdue-review timer follows its clock: target("resolve_minor").
    expect(page.locator("#task-due")).to_have_value('target("resolve_minor")')
    page.fill("#task-due", "five days")
    page.press("#task-due", "Tab")
    page.click("#validate-button")
    marked = page.locator(f"{shape(page, 'minor_sla')}.has-error")
    expect(marked).to_be_visible()
    expect(page.locator(".problem-overlay")).to_contain_text("five days")
    expect(page.locator("#problem-list")).to_contain_text("minor_sla")
    expect(page.locator("#editor-status")).to_have_text(
        "1 problem blocks a deploy; it is marked on the diagram."
    )
    # test-artifacts/ only: the README's screenshot is made by tools/screenshots.py.
    screenshot(page, "editor-validation")
    page.click("#problem-list button")  # goes to the task whose timer it is
    expect(page.locator("[data-panel-id]")).to_have_text("resolve_minor")
    expect(page.locator("#task-due")).to_have_value("five days")

    # The minor resolution's service level: 5 days -> 4 days.
    select_task(page, "resolve_minor")
    page.fill("#task-due", "P4D")
    page.press("#task-due", "Tab")

    # The routing table: investigate above 500 instead of 1000, typed into the cell.
    page.click("#tab-2")
    cell = page.locator(
        '#pane-2 td[data-element-id="rule_financial_impact_financial_impact"] [contenteditable]'
    )
    cell.click()
    page.keyboard.press("Control+A")
    page.keyboard.type("? is not None and ? > 500")
    page.keyboard.press("Tab")
    screenshot(page, "editor-decision-table")

    # What if: the 700 complaint, routed minor, would now be investigated.
    page.fill("#last_n", "20")
    page.click("#replay-button")
    changed = page.locator("#replay-result tr.changed")
    expect(changed).to_have_count(1)
    expect(changed).to_contain_text(routed_reference)
    expect(changed).to_contain_text("Major")
    screenshot(page, "editor-what-if")

    page.click("#validate-button")
    expect(page.locator("#editor-status")).to_have_text(re.compile("No problems"))
    expect(page.locator(".has-error")).to_have_count(0)

    page.fill("#comment", "Minor complaints within 4 days; investigate above 500")
    page.click("#deploy-button")
    expect(page.locator("#editor-status")).to_contain_text("Version 2 deployed")
    screenshot(page, "editor-deployed")

    with app.app_context():
        active = processes.active_version()
        assert active.version == 2
        assert active.created_by.username == "owner"
        assert active.comment == "Minor complaints within 4 days; investigate above 500"
        assert re.search(r'minor_sla_timer">\s*<bpmn:timeDuration[^>]*>"P4D"<', active.files[BPMN])
        assert "? is not None and ? &gt; 500" in active.files[DMN]

        old = db.session.get(Complaint, before)
        j.complete(old, "classify_complaint", financial_impact="700.00")
        old = j.refreshed(old)
        assert old.instance.process_version.version == 1
        assert old.route == "minor"  # version 1 investigates above 1000 only

        new = j.to_classification()
        j.complete(new, "classify_complaint", financial_impact="700.00")
        new = j.refreshed(new)
        assert new.instance.process_version.version == 2
        assert new.route == "major"

        minor = j.to_minor_resolution()
        task = j.open_task(minor, "resolve_minor")
        # The overdue review now comes after 4 days; the task's due time stays the one of the
        # resolve_minor clock, whose target is the service-level preset's.
        review_due = j.refreshed(minor).instance.next_timer_due
        assert abs(review_due - task.created_at - timedelta(days=4)) < timedelta(minutes=1)
        assert (
            task.clock == "resolve_minor" and task.due_at == j.clock(minor, "resolve_minor").due_at
        )


def test_a_refused_decision_table_cell_is_marked_in_the_table(live_server: str, page: Page) -> None:
    open_editor(page, live_server)
    page.click("#tab-2")
    target = '#pane-2 td[data-element-id="rule_financial_impact_financial_impact"]'
    page.locator(f"{target} [contenteditable]").click()
    page.keyboard.press("Control+A")
    page.keyboard.type("__import__('os')")
    page.keyboard.press("Tab")
    page.click("#validate-button")
    expect(page.locator("#editor-status")).to_have_class(re.compile("editor-status-error"))
    expect(page.locator(f"{target}.has-error")).to_be_visible()
    expect(page.locator("#problem-list")).to_contain_text(DMN)


def test_side_panel_sets_the_form_name_and_due_in_of_a_task(live_server: str, page: Page) -> None:
    open_editor(page, live_server)
    select_task(page, "classify_complaint")  # no service-level timer: its due time is dueIn
    expect(page.locator("#task-due-label")).to_contain_text("dueIn")
    page.fill("#task-due", "P2D")
    page.press("#task-due", "Tab")
    page.select_option("#task-form-key", "review_overdue")
    page.fill("#task-name", "Classify the complaint")
    page.press("#task-name", "Tab")
    properties = spiff_extensions(exported(page)[BPMN])["classify_complaint"]
    assert ("property", {"name": "dueIn", "value": "P2D"}, "") in properties
    assert ("property", {"name": "formKey", "value": "review_overdue"}, "") in properties
    assert ("property", {"name": "phase", "value": "classification"}, "") in properties
    assert 'name="Classify the complaint"' in exported(page)[BPMN]


DRAFT_KEPT = "Object.keys(localStorage).some((k) => k.startsWith('complaintflow-editor-draft:'))"


def eventually(page: Page, expression: str, seconds: float = 5) -> bool:
    """Poll an expression (wait_for_function evaluates strings, which our CSP refuses)."""
    for _ in range(int(seconds * 10)):
        if page.evaluate(expression):
            return True
        page.wait_for_timeout(100)
    return False


def test_unsaved_changes_are_kept_as_a_draft_and_leaving_asks_first(
    live_server: str, page: Page
) -> None:
    open_editor(page, live_server)
    select_task(page, "classify_complaint")
    page.fill("#task-name", "Classify it carefully")
    page.press("#task-name", "Tab")
    assert page.evaluate("window.complaintflowEditor.isDirty()")
    assert eventually(page, DRAFT_KEPT)
    # Leaving asks first (the browser's own "Leave site?" question).
    dialogs: list[str] = []
    page.once("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.accept()))
    page.goto(f"{live_server}/processes/editor")
    page.wait_for_selector("#editor.is-ready")
    assert dialogs == ["beforeunload"]
    # Back in the editor: the draft is offered, and restored on request.
    expect(page.locator("#editor-draft")).to_be_visible()
    page.click("[data-draft-restore]")
    assert eventually(page, "window.complaintflowEditor.isDirty()")
    assert 'name="Classify it carefully"' in exported(page)[BPMN]
    page.once("dialog", lambda dialog: dialog.accept())
    page.goto(f"{live_server}/processes/editor")
    page.wait_for_selector("#editor.is-ready")
    page.click("[data-draft-discard]")
    expect(page.locator("#editor-draft")).to_be_hidden()
    assert not page.evaluate(DRAFT_KEPT)


def test_a_fixed_problem_clears_the_error_and_a_deploy_updates_the_header(
    live_server: str, page: Page
) -> None:
    open_editor(page, live_server)
    expect(page.locator("#editor-version")).to_have_text("Opened from version 1")
    select_task(page, "resolve_minor")
    page.fill("#task-due", "five days")
    page.press("#task-due", "Tab")
    page.click("#validate-button")
    expect(page.locator("#editor-status.editor-status-error")).to_be_visible()
    expect(page.locator("#problem-list")).to_contain_text("minor_sla")
    # The fix alone clears the error: the editor checks again after a change.
    select_task(page, "resolve_minor")
    page.fill("#task-due", "P4D")
    page.press("#task-due", "Tab")
    expect(page.locator("#editor-status")).to_have_text(
        "No problems: the procedure can be deployed."
    )
    expect(page.locator("#problem-list")).not_to_contain_text("minor_sla")
    page.fill("#comment", "Minor complaints in four days")
    page.click("#deploy-button")
    expect(page.locator("#editor-status")).to_contain_text("Version 2 deployed")
    expect(page.locator("#editor-version")).to_have_text("Version 2, deployed from here")
    expect(page.locator("#editor-active")).to_be_visible()
    assert not page.evaluate("window.complaintflowEditor.isDirty()")


def test_a_timer_named_after_its_duration_says_the_new_one(live_server: str, page: Page) -> None:
    open_editor(page, live_server)
    # Give the minor case's timer a plain duration and a name that says it.
    page.evaluate(
        """() => {
          const modeler = window.complaintflowEditor.editors[0].modeler;
          const timer = modeler.get("elementRegistry").get("minor_sla");
          const definition = timer.businessObject.eventDefinitions[0];
          modeler.get("modeling").updateModdleProperties(timer, definition.timeDuration,
            { body: '"P5D"' });
          modeler.get("modeling").updateLabel(timer, "Not resolved in 5 days");
        }"""
    )
    select_task(page, "resolve_minor")
    expect(page.locator("#task-due")).to_have_value("P5D")
    page.fill("#task-due", "P10D")
    page.press("#task-due", "Tab")
    assert 'name="Not resolved in 10 days"' in exported(page)[BPMN]
    expect(page.locator("#task-due-label")).to_contain_text("Not resolved in 10 days")


def test_the_editor_speaks_french_to_a_french_owner(live_server: str, open_page) -> None:
    page = open_page(locale="fr-FR", fresh=True)  # its listener stays
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    open_editor(page, live_server)
    # bpmn-js's own words come from the French dictionary served beside the editor.
    assert any(url.endswith("/static/i18n/modelers.fr.json") for url in asked)
    palette = page.locator("#pane-1 .djs-palette")
    start = palette.locator("[data-action='create.start-event']")
    start.hover()
    expect(start).to_have_attribute("aria-label", "Créer un événement de début")
    expect(palette.locator("[aria-label='Créer une tâche']")).to_have_count(1)
    expect(palette.locator("[aria-label='Create task']")).to_have_count(0)
    # The context pad of a task, and its replace menu.
    select_task(page, "resolve_minor")
    pad = page.locator("#pane-1 .djs-context-pad")
    expect(pad.locator("[data-action='append.append-task']")).to_have_attribute(
        "title", "Ajouter une tâche"
    )
    expect(pad.locator("[data-action='delete']")).to_have_attribute("title", "Supprimer")
    expect(pad.locator("[data-action='replace']")).to_have_attribute(
        "title", "Changer le type d'élément"
    )
    pad.locator("[data-action='replace']").click()
    menu = page.locator(".djs-popup")
    expect(menu.locator("[data-id='replace-with-service-task']")).to_contain_text(
        "Tâche de service"
    )
    expect(menu.locator("[title='Multi-instance parallèle']")).to_have_count(1)
    expect(menu).not_to_contain_text("Service task")
    page.keyboard.press("Escape")
    # dmn-js's decision table: its head, hit policy and context menu.
    page.click("#tab-2")
    table = page.locator("#pane-2 .tjs-table")
    expect(table).to_contain_text("Quand")
    expect(page.locator("#pane-2")).to_contain_text("Politique de résultat\u00a0:")
    expect(page.locator("#pane-2 .hit-policy")).to_have_attribute(
        "title", re.compile("^Aucun chevauchement n'est possible")
    )
    expect(page.locator("#pane-2")).not_to_contain_text("Hit policy")
    page.locator("#pane-2 td[data-row-id]").first.click(button="right")
    context_menu = page.locator("#pane-2 .context-menu")
    expect(context_menu).to_contain_text("Ajouter une règle au-dessus")
    expect(context_menu).to_contain_text("Supprimer la règle")
    expect(context_menu).not_to_contain_text("Remove rule")
    page.keyboard.press("Escape")
    page.locator("#pane-2 th.input-cell").first.click(button="right")
    expect(context_menu).to_contain_text("Ajouter une colonne d'entrée à gauche")
    expect(context_menu).to_contain_text("Supprimer la colonne d'entrée")


def test_the_editor_speaks_the_libraries_english_to_an_english_owner(
    live_server: str, open_page
) -> None:
    page = open_page(fresh=True)  # its listener stays
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    open_editor(page, live_server)
    assert not any("/static/i18n/" in url for url in asked)  # no dictionary to fetch
    start = page.locator("#pane-1 .djs-palette [data-action='create.start-event']")
    expect(start).to_have_attribute("aria-label", "Create start event")
    select_task(page, "resolve_minor")
    expect(page.locator("#pane-1 .djs-context-pad [data-action='delete']")).to_have_attribute(
        "title", "Delete"
    )
    page.click("#tab-2")
    expect(page.locator("#pane-2")).to_contain_text("Hit policy:")
    page.locator("#pane-2 td[data-row-id]").first.click(button="right")
    expect(page.locator("#pane-2 .context-menu")).to_contain_text("Add rule above")


def test_a_timer_takes_a_time_limit_as_well_as_a_duration(
    app: Flask, live_server: str, page: Page
) -> None:
    """The procedure's own timers read target("resolve_minor"): the side panel said "Not an
    ISO 8601 duration such as P3D: Validate will refuse it." on opening them, and a time limit
    typed there (working_days(3)) was saved as the string "working_days(3)", which Validate
    then refused."""
    open_editor(page, live_server)
    select_task(page, "resolve_minor")
    expect(page.locator("#task-due")).to_have_value('target("resolve_minor")')
    expect(page.locator("#task-due-error")).to_be_hidden()

    page.fill("#task-due", "working_days(3)")
    page.press("#task-due", "Tab")
    expect(page.locator("#task-due-error")).to_be_hidden()
    assert re.search(
        r'minor_sla_timer">\s*<bpmn:timeDuration[^>]*>working_days\(3\)<', exported(page)[BPMN]
    )
    page.click("#validate-button")
    expect(page.locator("#editor-status")).to_have_text(
        "No problems: the procedure can be deployed."
    )

    # What is neither still says so, and names the forms a timer takes.
    page.fill("#task-due", "three working days")
    page.press("#task-due", "Tab")
    expect(page.locator("#task-due-error")).to_have_text(
        'Not a duration such as P3D, working_days(2) or target("resolve_minor"): '
        "Validate will refuse it."
    )

    page.fill("#task-due", "working_days(3)")
    page.press("#task-due", "Tab")
    page.fill("#comment", "Minor complaints in three working days")
    page.click("#deploy-button")
    expect(page.locator("#editor-status")).to_contain_text("Version 2 deployed")
    with app.app_context():
        deployed = processes.active_version().files[BPMN]
        assert re.search(
            r'minor_sla_timer">\s*<bpmn:timeDuration[^>]*>working_days\(3\)<', deployed
        )
