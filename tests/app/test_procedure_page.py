"""The public page that says how complaints are handled, with the limits of the deployed version."""

from __future__ import annotations

import re

from app.config import REPO_ROOT
from forms import FORMS
from services import procedure_summary, processes
from services.db import db

URL = "/how-we-handle-complaints"
MINOR_TIMER = re.compile(r'(id="minor_sla".*?<bpmn:timeDuration[^>]*>)"P\d+D"', re.DOTALL)


def deploy_minor_limit(app, duration: str) -> int:
    """Deploy the active version with resolve_minor's service level set to `duration`."""
    with app.app_context():
        active = processes.active_version()
        files = {name: text.encode() for name, text in active.files.items()}
        bpmn = files["complaint_handling.bpmn"].decode()
        changed, count = MINOR_TIMER.subn(rf'\1"{duration}"', bpmn)
        assert count == 1
        files["complaint_handling.bpmn"] = changed.encode()
        result = processes.deploy(files, FORMS, comment="minor limit")
        db.session.commit()
        return result.version.version


def minor_limit(page: str) -> str:
    """The text of the 'simple complaints' stage."""
    match = re.search(r"Simple complaints are resolved quickly</strong>(.*?)</li>", page, re.S)
    assert match, page
    return " ".join(re.sub(r"<[^>]+>", "", match.group(1)).split())


def test_the_page_lists_the_channels_the_stages_following_and_recourse(app, client):
    response = client.get(URL)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for text in (
        "How we handle complaints",
        app.config["COMPLAINTS_PHONE"],
        app.config["COMPLAINTS_FREE_PHONE"],
        app.config["COMPLAINTS_EMAIL"],
        "BP 1000, Dakar",
        "At our counter",
        'href="/complaints/new"',
        "private tracking link",
        "free of charge, to the consumer mediator",
    ):
        assert text in page, text
    assert "Acknowledgement within 2 days." in page
    assert minor_limit(page).endswith("Answer within 5 days.")
    assert "You have 14 days to answer" in page


def test_the_page_shows_the_limit_of_the_newly_deployed_version(app, client):
    assert "Answer within 5 days." in minor_limit(client.get(URL).get_data(as_text=True))
    version = deploy_minor_limit(app, "P7D")
    page = client.get(URL).get_data(as_text=True)
    assert minor_limit(page).endswith("Answer within 7 days.")
    assert f"version {version}" in page
    assert re.search(r"<td>[^<]*minor[^<]*</td><td>7 days</td>", page, re.I)


def test_the_page_is_linked_from_the_footer_of_every_page(client):
    for url in ("/", "/complaints/new", "/auth/login"):
        assert f'href="{URL}"' in client.get(url).get_data(as_text=True), url


def test_the_page_speaks_french(client):
    page = client.get(URL, headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert '<html lang="fr">' in page
    assert "gratuitement, au médiateur de la consommation" in page


def test_the_recourse_is_the_one_the_deployed_diagram_gives_its_letters(app, client):
    # One source: a process owner who names another body changes the page and the letters.
    with app.app_context():
        files = processes.read_directory(REPO_ROOT / "processes")
        bpmn = files["complaint_handling.bpmn"].decode()
        files["complaint_handling.bpmn"] = bpmn.replace(
            "to the consumer mediator or the ombudsman of our sector",
            "to the Banking Ombudsman (ombudsman@example.org)",
        ).encode()
        processes.deploy(files, FORMS, comment="new ombudsman")
        db.session.commit()
    page = client.get(URL).get_data(as_text=True)
    assert "to the Banking Ombudsman (ombudsman@example.org)" in page
    assert "consumer mediator" not in page


def test_the_summary_reads_service_levels_waits_and_due_times(app):
    with app.app_context():
        summary = procedure_summary.active_summary()
        minor = summary.for_timer("minor_sla")
        assert minor is not None and minor.kind == procedure_summary.SERVICE_LEVEL
        assert minor.duration.days == 5
        assert minor.element_id in ("resolve_minor", "minor_case")  # the step it watches
        wait = summary.for_timer("survey_reminder_due")
        assert wait is not None and wait.kind == procedure_summary.WAIT
        assert summary.version == processes.active_version().version


def test_a_due_in_property_and_an_expression_timer(app):
    bpmn = (
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core">'
        '<bpmn:process id="p"><bpmn:userTask id="t" name="Task">'
        "<bpmn:extensionElements><spiffworkflow:properties>"
        '<spiffworkflow:property name="dueIn" value="PT36H"/>'
        "</spiffworkflow:properties></bpmn:extensionElements></bpmn:userTask>"
        '<bpmn:boundaryEvent id="b" attachedToRef="t"><bpmn:timerEventDefinition>'
        "<bpmn:timeDuration>deadline</bpmn:timeDuration>"
        "</bpmn:timerEventDefinition></bpmn:boundaryEvent></bpmn:process></bpmn:definitions>"
    )

    class Version:
        version = 9
        files = {"p.bpmn": bpmn}

    summary = procedure_summary.summary_of(Version())
    # The expression timer states no limit; the dueIn does.
    assert [(x.element_id, x.kind, x.duration.total_seconds()) for x in summary.limits] == [
        ("t", procedure_summary.DUE, 36 * 3600)
    ]
