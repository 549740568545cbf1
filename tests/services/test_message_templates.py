"""Message templates: one per kind and language, in the complainant's language, versioned."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from services import message_templates, notifications
from services.db import db
from services.errors import InvalidInput
from services.models import AuditEvent, MessageTemplate, Notification
from tests import journeys as j

BPMN = Path(__file__).resolve().parents[2] / "processes" / "complaint_handling.bpmn"


def thrown_message_kinds() -> set[str]:
    """The names of the messages the diagram throws (intermediate throw events)."""
    xml = BPMN.read_text(encoding="utf-8")
    names = dict(re.findall(r'<bpmn:message id="([^"]+)" name="([^"]+)"', xml))
    throws = re.findall(
        r"<bpmn:intermediateThrowEvent\b.*?</bpmn:intermediateThrowEvent>", xml, re.S
    )
    refs = {m for body in throws for m in re.findall(r'messageRef="([^"]+)"', body)}
    return {names[ref] for ref in refs}


def messages_of(complaint, kind: str) -> list[Notification]:
    """The complaint's messages of a kind, written as the delivery worker writes them."""
    j.write_messages()
    return [n for n in notifications.for_complaint(complaint.id) if n.kind == kind]


def test_every_message_the_diagram_throws_has_a_template_in_every_language():
    thrown = thrown_message_kinds()
    assert {"acknowledgement", "closure_letter", "response_letter"} <= thrown
    kinds = message_templates.kinds()
    for kind in sorted(thrown):
        assert kind in kinds, f"{kind} is thrown by the diagram but has no entry in kinds.toml"
        for language in message_templates.LANGUAGES:
            assert message_templates.default(kind, language) is not None, (
                f"no template processes/messages/{kind}.{language}.txt"
            )
    assert message_templates.missing() == []


def test_every_default_template_uses_only_its_documented_variables():
    for kind in message_templates.kinds():
        for language in message_templates.LANGUAGES:
            source = message_templates.default(kind, language)
            assert source is not None
            message_templates.check(kind, source)  # raises on an unknown variable
            rendered = message_templates.sample(kind, language, source)
            draft = message_templates.kind(kind).draft  # a draft has no subject
            assert bool(rendered.subject) != draft and rendered.text.strip()
            assert "{{" not in rendered.text and "{%" not in rendered.text


def test_a_french_complainant_gets_french_messages_with_a_tracking_link(app_context):
    complaint = j.file(language="fr")
    assert j.refreshed(complaint).language == "fr"
    j.complete(complaint, "register_complaint")
    [ack] = messages_of(complaint, "acknowledgement")
    assert ack.subject == f"Votre réclamation {complaint.reference} a bien été reçue"
    assert ack.body.startswith("Bonjour Aminata Diallo,")
    assert message_templates.long_date(complaint.received_at, "fr") in ack.body
    assert ack.language == "fr"
    assert re.search(r"http://localhost:5000/track/[\w-]{40,}", ack.body)
    assert '<a href="http://localhost:5000/track/' in ack.html_body


def test_an_english_complainant_gets_english_messages(app_context):
    complaint = j.file()
    j.complete(complaint, "register_complaint")
    [ack] = messages_of(complaint, "acknowledgement")
    assert ack.subject == f"Your complaint {complaint.reference} has been received"
    assert ack.language == "en"


@pytest.mark.parametrize(
    ("language", "sentence"),
    [
        ("en", "it is not a complaint about our products or services"),
        ("fr", "il ne s'agit pas d'une réclamation sur nos produits ou services"),
    ],
)
def test_the_closure_letter_says_why_in_a_sentence(app_context, language, sentence):
    complaint = j.file(language=language)
    j.complete(complaint, "register_complaint", registration_outcome="not_a_complaint")
    [letter] = messages_of(complaint, "closure_letter")
    assert sentence in letter.body
    assert "not_a_complaint" not in letter.body


def test_the_response_letter_quotes_the_recourse_in_the_complainants_language(app_context):
    complaint = j.file(language="fr")
    j.complete(complaint, "register_complaint")
    j.complete(complaint, "classify_complaint")
    j.complete(complaint, "resolve_minor")
    j.complete(complaint, "sign_off_minor")
    [letter] = messages_of(complaint, "response_letter")
    assert "médiateur de la consommation" in letter.body
    assert "consumer mediator" not in letter.body
    assert re.search(r"jusqu'au \d+ \w+ \d{4}", letter.body)  # the appeal window, in French


def test_a_template_using_an_unknown_variable_is_refused_naming_it(app_context):
    admin = j.user("admin")
    draft = message_templates.Source("Hello {{ reference }}", "Dear {{ nmae }},\n")
    with pytest.raises(InvalidInput) as refused:
        message_templates.save(admin, "acknowledgement", "en", draft)
    assert "nmae" in refused.value.message
    assert "nmae" in refused.value.details["body_text"][0]
    assert [v.version for v in message_templates.versions("acknowledgement", "en")] == [1]


@pytest.mark.parametrize("body", ["{{ range }}", "{{ cycler }}", "{{ namespace }}", "{{ lipsum }}"])
def test_jinjas_own_names_are_unknown_variables(app_context, body):
    # They passed the check and printed "<function ...>" in a complainant's message.
    draft = message_templates.Source("Hello {{ reference }}", f"Dear {{{{ name }}}}, {body}\n")
    with pytest.raises(InvalidInput) as refused:
        message_templates.save(j.user("admin"), "acknowledgement", "en", draft)
    assert refused.value.details["body_text"][0].startswith(f"Unknown variable '{body[3:-3]}'")
    assert [v.version for v in message_templates.versions("acknowledgement", "en")] == [1]


def test_a_template_naming_itself_is_refused(app_context):
    draft = message_templates.Source("Hello {{ reference }}", "Dear {{ self.x }},\n")
    with pytest.raises(InvalidInput) as refused:
        message_templates.save(j.user("admin"), "acknowledgement", "en", draft)
    assert "Line 1 uses self" in refused.value.details["body_text"][0]


def test_deploying_seeds_one_default_version_per_kind_and_language(app_context):
    # The test database was seeded as `make run` seeds it (flask seed-demo).
    rows = db.session.scalars(db.select(MessageTemplate)).all()
    expected = len(message_templates.kinds()) * len(message_templates.LANGUAGES)
    assert len(rows) == expected
    assert all(r.version == 1 and r.active and r.created_by_id is None for r in rows)
    assert message_templates.seed() == 0  # seeding again adds nothing


def test_each_save_is_a_new_version_and_the_newest_is_used(app_context):
    admin = j.user("admin")
    draft = message_templates.Source(
        "Received: {{ reference }}", "Hello {{ name }}, we have {{ reference }}.\n"
    )
    row = message_templates.save(admin, "acknowledgement", "en", draft, "Shorter")
    db.session.commit()
    versions = message_templates.versions("acknowledgement", "en")
    assert [v.version for v in versions] == [2, 1]  # the default was kept as version 1
    assert [v.active for v in versions] == [True, False]
    assert versions[1].created_by_id is None and row.created_by_id == admin.id
    assert row.comment == "Shorter"
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.kind == "template_saved"))
    assert event is not None and event.actor_id == admin.id

    complaint = j.file()
    j.complete(complaint, "register_complaint")
    [ack] = messages_of(complaint, "acknowledgement")
    assert ack.subject == f"Received: {complaint.reference}"
    assert ack.body == f"Hello Aminata Diallo, we have {complaint.reference}.\n"


def test_only_administrators_save_templates(app_context):
    draft = message_templates.Source("x {{ reference }}", "y\n")
    with pytest.raises(Exception, match="administrators"):
        message_templates.save(j.user("manager"), "acknowledgement", "en", draft)


def test_a_template_reaching_into_python_is_refused(app_context):
    draft = message_templates.Source("{{ reference.__class__.__mro__ }}", "x\n")
    with pytest.raises(InvalidInput, match="could not be rendered"):
        message_templates.save(j.user("admin"), "acknowledgement", "en", draft)


@pytest.mark.parametrize(
    ("body", "line", "what"),
    [
        ("Hello {{ name }}\n{{ 'a' * 50000000 }}\n", 2, "Mul"),
        ("{{ name|center(50000000) }}\n", 1, "|center"),
        ("{{ '%50000000s' % name }}\n", 1, "Mod"),
        ("{{ name.ljust(50000000) }}\n", 1, "Call"),
        (
            "{% for i in range(3000) %}{% for j in range(3000) %}{% endfor %}{% endfor %}\n",
            1,
            "for ... in (not a variable)",
        ),
        ("{% for i in name %}\n{% for j in name %}{% endfor %}{% endfor %}\n", 2, "inside another"),
    ],
)
def test_a_template_that_would_spin_or_swell_is_refused_naming_its_line(
    app_context, body, line, what
):
    """The sandbox keeps a template from Python's insides, not from building 50 MB of text or
    looping nine million times at every preview and every message of its kind."""
    draft = message_templates.Source("About {{ reference }}", body)
    with pytest.raises(InvalidInput) as refused:
        message_templates.save(j.user("admin"), "acknowledgement", "en", draft)
    [problem] = refused.value.details["body_text"]
    assert f"Line {line} uses " in str(problem) and what in str(problem)
    assert [v.version for v in message_templates.versions("acknowledgement", "en")] == [1]


def test_the_default_templates_and_a_loop_over_a_list_pass_the_check(app_context):
    for kind in message_templates.kinds():
        for language in message_templates.LANGUAGES:
            message_templates.check(kind, message_templates.default(kind, language))
    draft = message_templates.Source(
        "{{ tasks|length }} overdue",
        "{% for task in tasks %}{% if loop.first %}-{% endif %} {{ task.reference|upper ~ '!' }}"
        "{% endfor %}\n",
    )
    message_templates.save(j.user("admin"), "daily_digest", "en", draft)
    rendered = message_templates.sample("daily_digest", "en")
    assert rendered.subject == "1 overdue" and rendered.text == "- C-2026-000042!\n"


def test_a_stored_template_that_would_swell_is_not_rendered(app_context):
    """A version saved before templates were bounded is refused when a message is written."""
    db.session.add(
        MessageTemplate(
            kind="acknowledgement",
            language="en",
            version=2,
            subject="About {{ reference }}",
            body_text="{{ 'a' * 50000000 }}\n",
            active=True,
        )
    )
    db.session.execute(
        db.update(MessageTemplate)
        .where(MessageTemplate.kind == "acknowledgement", MessageTemplate.version == 1)
        .values(active=False)
    )
    with pytest.raises(InvalidInput, match="may not use Mul"):
        message_templates.render("acknowledgement", "en", {"reference": "C-2026-000042"})
