"""The procedure's choice lists (processes/choices.toml) deployed with it: each version keeps
its own, and a deploy refuses lists, forms, a routing table or a diagram that do not agree."""

from __future__ import annotations

import pytest

from forms import lists
from services import form_definitions, processes
from services.db import db
from services.errors import DeployRefused
from services.models import ProcessVersion
from tests import diagrams as d

pytestmark = pytest.mark.usefixtures("app_context")

LISTS_FILE = "choices.toml"


def shipped_lists() -> str:
    return (d.PROCESSES / LISTS_FILE).read_text("utf-8")


def messages(files: dict[str, bytes]) -> list[str]:
    result = processes.validate(files)
    assert result.specs is None, "the files should have been refused"
    return [f"{p.file}: {p.element}: {p.message}" for p in result.problems]


def test_the_lists_are_read_from_the_directory_and_stored_with_the_version():
    files = d.files()
    assert files[LISTS_FILE] == (d.PROCESSES / LISTS_FILE).read_bytes()
    version = processes.active_version()
    assert version.files[LISTS_FILE] == shipped_lists()
    assert form_definitions.lists_for_version(version).values("severities") == [
        "low",
        "medium",
        "high",
        "critical",
    ]


def test_a_deploy_without_lists_stores_the_shipped_ones():
    files = {n: c for n, c in d.files().items() if n != LISTS_FILE}
    files[d.DMN_FILE] = d.routing_threshold("2500").encode()
    result = processes.deploy(files, comment="no lists sent")
    db.session.commit()
    assert result.version.files[LISTS_FILE] == shipped_lists()


def test_a_version_without_lists_reads_the_shipped_ones():
    version = processes.active_version()
    older = ProcessVersion(
        process_id=version.process_id,
        version=version.version + 10,
        content_hash="0" * 64,
        files={n: c for n, c in version.files.items() if n != LISTS_FILE},
        spec=version.spec,
        comment="deployed before the lists were data",
    )
    assert form_definitions.lists_for_version(older) is lists.shipped()
    forms = form_definitions.for_version(older)
    category = forms["classify_complaint"].form_class().category
    assert [c.value for c in category.choices][1:] == lists.shipped().values("categories")


def test_a_version_with_its_own_lists_gives_its_forms_their_choices():
    text = d.edited(
        shipped_lists(),
        "[remedies]\n",
        '[remedies]\nvoucher = { en = "Voucher", fr = "Bon d\'achat" }\n',
    )
    result = processes.deploy({**d.files(), LISTS_FILE: text.encode()}, comment="vouchers")
    db.session.commit()
    forms = form_definitions.for_version(result.version)
    for key in ("resolve_minor", "resolve_complaint", "handle_confidential"):
        remedies = forms[key].form_class().remedies
        assert "voucher" in [c.value for c in remedies.choices], key
    # The version running before keeps its lists.
    first = db.session.scalar(db.select(ProcessVersion).where(ProcessVersion.version == 1))
    assert "voucher" not in form_definitions.lists_for_version(first).values("remedies")


def test_a_form_naming_an_unknown_list_is_refused_with_the_lists_it_may_name():
    form = (d.PROCESSES / "forms" / "classify_complaint.toml").read_text("utf-8")
    form = d.edited(form, 'choices = "severities"', 'choices = "gravities"')
    found = messages({**d.files(), "forms/classify_complaint.toml": form.encode()})
    (problem,) = [m for m in found if "gravities" in m]
    assert problem.startswith("forms/classify_complaint.toml: form classify_complaint: ")
    assert "field 'severity': unknown list 'gravities' (one of " in problem
    assert "categories" in problem and "severities" in problem and "contact_channels" in problem
    with pytest.raises(DeployRefused):
        processes.deploy({**d.files(), "forms/classify_complaint.toml": form.encode()})


def test_lists_that_cannot_be_used_are_refused_naming_the_file():
    text = d.edited(
        shipped_lists(),
        'billing = { en = "Billing", fr = "Facturation" }',
        'billing = { en = "Billing" }',
    )
    found = messages({**d.files(), LISTS_FILE: text.encode()})
    assert "choices.toml: choice lists: list categories: value 'billing' has no text in fr" in found


def test_a_routing_table_naming_a_category_the_lists_no_longer_have_is_refused():
    text = d.edited(shipped_lists(), "\nsafety = {", "\nhealth_and_safety = {")
    found = messages({**d.files(), LISTS_FILE: text.encode()})
    assert any(
        m.startswith("complaint_routing.dmn: ")
        and "compares category with 'safety', which the list categories does not have" in m
        for m in found
    ), found
    # A severity in a list of values ("high", "critical") is checked too.
    text = d.edited(shipped_lists(), "\ncritical = {", "\nsevere = {")
    found = messages({**d.files(), LISTS_FILE: text.encode()})
    assert any("compares severity with 'critical'" in m for m in found), found


def test_a_diagram_condition_naming_a_value_the_lists_no_longer_have_is_refused():
    approved = '\napproved = { en = "Approve the escalation"'
    text = d.edited(shipped_lists(), approved, approved.replace("approved", "yes"))
    found = messages({**d.files(), LISTS_FILE: text.encode()})
    assert any(
        m.startswith("complaint_handling.bpmn: ")
        and "compares escalation_decision with 'approved', which the list escalation_decisions "
        "does not have"
        in m
        for m in found
    ), found
    # Where a form's own rule names it, the form is refused, naming its rule.
    text = d.edited(shipped_lists(), "\nsent_back = {", "\nreturned = {")
    found = messages({**d.files(), LISTS_FILE: text.encode()})
    assert any(
        m.startswith("forms/sign_off.toml: ")
        and "rule 2 when compares sign_off_decision with 'sent_back'" in m
        for m in found
    ), found


def test_a_form_condition_naming_a_value_its_list_no_longer_has_is_refused():
    text = d.edited(shipped_lists(), "\nrefund = {", "\nmoney_back = {")
    found = messages({**d.files(), LISTS_FILE: text.encode()})
    assert any(
        m.startswith("forms/resolve_complaint.toml: ")
        and "shown_when compares remedies with 'refund', which the list remedies does not have" in m
        for m in found
    ), found


def test_a_value_the_application_acts_on_cannot_be_removed():
    text = d.edited(shipped_lists(), "\ndeadline_extended = {", "\nmore_time = {")
    found = messages({**d.files(), LISTS_FILE: text.encode()})
    assert (
        "choices.toml: choice lists: list overdue_actions: the value 'deadline_extended' is "
        "missing: the application acts on it" in found
    )


def test_the_version_diff_names_the_list_and_the_value_that_changed():
    first = processes.active_version()
    text = d.edited(
        shipped_lists(), "[categories]\n", '[categories]\nwater = { en = "Water", fr = "Eau" }\n'
    )
    text = d.edited(text, '"Billing", fr = "Facturation"', '"Invoices", fr = "Factures"')
    second = processes.deploy({**d.files(), LISTS_FILE: text.encode()}, comment="water").version
    db.session.commit()
    diff = processes.diff(first, second)
    (change,) = diff.elements
    assert (change.file, change.element_id, change.kind) == (
        LISTS_FILE,
        "choices.categories",
        "choice list",
    )
    assert {(c.what, c.old, c.new) for c in change.changes} >= {
        ("water", None, "en: Water; fr: Eau"),
        ("billing", "en: Billing; fr: Facturation", "en: Invoices; fr: Factures"),
    }
