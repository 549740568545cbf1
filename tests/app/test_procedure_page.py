"""The public page that says how complaints are handled, with the limits of the deployed version."""

from __future__ import annotations

import re

from app.config import REPO_ROOT
from services import presets, procedure_summary, processes
from services.db import db

URL = "/how-we-handle-complaints"
MINOR_TIMER = re.compile(
    r'(id="minor_sla".*?<bpmn:timeDuration[^>]*>)(?:"P\d+D"|target\("resolve_minor"\))', re.DOTALL
)


def deploy_minor_limit(app, duration: str) -> int:
    """Deploy the active version with resolve_minor's timer set to `duration` (an expression)."""
    with app.app_context():
        active = processes.active_version()
        files = {name: text.encode() for name, text in active.files.items()}
        bpmn = files["complaint_handling.bpmn"].decode()
        changed, count = MINOR_TIMER.subn(lambda m: m.group(1) + duration, bpmn)
        assert count == 1
        files["complaint_handling.bpmn"] = changed.encode()
        result = processes.deploy(files, comment="minor limit")
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
        # Seeds 001 and 002: complaints also come through social media.
        "On social media",
        app.config["COMPLAINTS_SOCIAL_MEDIA"],
        'href="/complaints/new"',
        "private tracking link",
        "free of charge, to the consumer mediator",
    ):
        assert text in page, text
    # The service levels are the grievance preset's working days; waits are plain days.
    assert "Acknowledgement within 2 working days." in page
    assert minor_limit(page).endswith("Answer within 5 working days.")
    assert "You have 14 days to answer" in page
    assert re.search(r'id="whole-complaint"><td>[^<]+</td><td>45 calendar days</td>', page)
    assert "These time limits follow: Grievance mechanism (World Bank practice)." in page


def test_the_page_shows_the_limit_of_the_newly_deployed_version(app, client):
    assert "Answer within 5 working days." in minor_limit(client.get(URL).get_data(as_text=True))
    version = deploy_minor_limit(app, '"P7D"')
    page = client.get(URL).get_data(as_text=True)
    assert minor_limit(page).endswith("Answer within 7 days.")
    assert f"version {version}" in page
    assert re.search(r"<td>[^<]*minor[^<]*</td><td>7 days</td>", page, re.I)
    # A calendar function written in the diagram is told in words too.
    deploy_minor_limit(app, "working_days(4)")
    page = client.get(URL).get_data(as_text=True)
    assert minor_limit(page).endswith("Answer within 4 working days.")


def test_the_page_is_linked_from_the_footer_of_every_page(client):
    for url in ("/", "/complaints/new", "/auth/login"):
        assert f'href="{URL}"' in client.get(url).get_data(as_text=True), url


def test_the_page_speaks_french(client):
    page = client.get(URL, headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert '<html lang="fr">' in page
    # The grievance preset's rule: "réclamant", as everywhere else, not "plaignant".
    assert "informer le réclamant des recours" in page
    assert "plaignant" not in page
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
        processes.deploy(files, comment="new ombudsman")
        db.session.commit()
    page = client.get(URL).get_data(as_text=True)
    assert "to the Banking Ombudsman (ombudsman@example.org)" in page
    assert "consumer mediator" not in page


def test_the_summary_reads_service_levels_waits_and_due_times(app):
    with app.app_context():
        summary = procedure_summary.active_summary()
        minor = summary.for_timer("minor_sla")
        assert minor is not None and minor.kind == procedure_summary.SERVICE_LEVEL
        # target("resolve_minor"): the active preset's target, counted on the calendar.
        assert (minor.clock, minor.target, minor.duration) == (
            "resolve_minor",
            "working_days(5)",
            None,
        )
        assert minor.words("fr") == "5 jours ouvrés"
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

    with app.app_context():  # the recourse text comes from the organisation's settings
        summary = procedure_summary.summary_of(Version())
    # The expression timer states no limit; the dueIn does.
    assert [(x.element_id, x.kind, x.duration.total_seconds()) for x in summary.limits] == [
        ("t", procedure_summary.DUE, 36 * 3600)
    ]


def test_the_page_follows_the_preset_the_process_owner_chose(app, client):
    with app.app_context():
        presets.set_active("fca")
        db.session.commit()
    page = client.get(URL).get_data(as_text=True)
    assert "Acknowledgement within 5 working days." in page
    assert minor_limit(page).endswith("Answer within 3 working days.")
    assert re.search(r'id="whole-complaint"><td>[^<]+</td><td>8 weeks</td>', page)
    assert "These time limits follow: UK FCA: DISP 1.6" in page
    assert "DISP 1.6.2R" in page
    # The recourse is the preset's: the Financial Ombudsman Service, with its contact details.
    assert "within six months of the date of this letter" in page
    assert "Exchange Tower, London E14 9SR" in page
    assert "consumer mediator" not in page


def test_the_preset_targets_in_french_count_saturdays_for_jours_ouvrables(app, client):
    with app.app_context():
        presets.set_active("acpr")
        db.session.commit()
    page = client.get(URL, headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "10 jours ouvrables (du lundi au samedi)" in page
    assert re.search(r'id="whole-complaint"><td>[^<]+</td><td>2 mois</td>', page)
    assert "le médiateur : La Médiation de l&#39;Assurance" in page


def test_a_labels_colon_follows_each_reader_whoever_read_the_page_first(client):
    """`""|colon` is a filter of a constant: Jinja's compiler worked it out once, in the first
    reader's language, and every later French reader got "Sur ce site: …"."""
    english = client.get("/how-we-handle-complaints", headers={"Accept-Language": "en"})
    assert "On this website</a>: no account" in english.get_data(as_text=True)
    french = client.get("/how-we-handle-complaints", headers={"Accept-Language": "fr"})
    assert "Sur ce site</a>\u00a0: aucun compte" in french.get_data(as_text=True)
