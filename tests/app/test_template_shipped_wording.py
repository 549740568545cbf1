"""Saved message templates follow the shipped wording unless an administrator edited them.

The "at risk" message's shipped wording changed (its time left now names its unit, so "of
working time" went). A database seeded before holds the earlier wording: where nobody edited
it (the saved copy is an earlier shipped wording), a deploy makes the shipped file's wording
the one in use; an edited one is kept, and the template's page says the shipped wording
changed, compares the two and offers to take it or to keep the edit. The migration
a13s00000021 records, for each version seeded before, the hash of the wording it copied.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from services import message_templates
from services.db import db
from services.models import AuditEvent, MessageTemplate
from tests import journeys as j
from tests.app.helpers import login, post_form

KIND = "clock_at_risk"
# The wordings shipped before this release (git history of processes/messages/).
OLD_TEXT = {
    "en": ("({{ time_left }} left)", "({{ time_left }} of working time left)"),
    "fr": ("(il reste {{ time_left }})", "(il reste {{ time_left }} de temps ouvré)"),
}
MIGRATION = (
    Path(__file__).resolve().parents[2]
    / "migrations"
    / "versions"
    / "a13s00000021_message_template_shipped_sha256.py"
)


def old_source(language: str) -> message_templates.Source:
    shipped = message_templates.default(KIND, language)
    assert shipped is not None
    new, old = OLD_TEXT[language]
    assert new in shipped.body_text
    return message_templates.Source(shipped.subject, shipped.body_text.replace(new, old))


def seeded_before(language: str, *, recorded: bool) -> None:
    """The template as a deploy of the earlier release seeded it: version 1, no author, the
    earlier wording; `recorded`: with its hash (as the migration writes it), else none (the
    earlier wordings' list alone tells)."""
    db.session.execute(
        db.delete(MessageTemplate).where(
            MessageTemplate.kind == KIND, MessageTemplate.language == language
        )
    )
    src = old_source(language)
    db.session.add(
        MessageTemplate(
            kind=KIND,
            language=language,
            version=1,
            subject=src.subject,
            body_text=src.body_text,
            active=True,
            comment="Default template",
            shipped_sha256=message_templates.source_hash(src) if recorded else None,
        )
    )
    db.session.commit()


def in_use(language: str) -> MessageTemplate:
    row = message_templates.active(KIND, language)
    assert row is not None
    return row


def edit(language: str, text: str, *, recorded: bool = True) -> None:
    """An administrator's edit of the template in use (its earlier wording), version 2, made
    while the earlier wording was the shipped one: beside it (`recorded`), or before versions
    recorded it (none)."""
    src = old_source(language)
    row = message_templates.save(
        j.user("admin"),
        KIND,
        language,
        message_templates.Source(src.subject, src.body_text + text),
        "Our own words",
    )
    row.shipped_sha256 = message_templates.source_hash(src) if recorded else None
    db.session.commit()


def test_a_template_nobody_edited_follows_the_shipped_wording(app):
    with app.app_context():
        seeded_before("en", recorded=False)
        seeded_before("fr", recorded=True)
        assert message_templates.seed() >= 2
        db.session.commit()
        for language in ("en", "fr"):
            row = in_use(language)
            shipped = message_templates.default(KIND, language)
            assert (row.version, row.body_text) == (2, shipped.body_text)
            assert row.created_by_id is None and row.comment == "Shipped wording"
            assert not message_templates.shipped_changed(KIND, language)
        # The message sent now says the time left with its unit, without "of working time".
        rendered = message_templates.render(KIND, "en", {"time_left": "27 calendar days 22 h"})
        assert "(27 calendar days 22 h left)" in rendered.text
        assert "working time" not in rendered.text
        french = message_templates.render(KIND, "fr", {"time_left": "27 jours calendaires 22 h"})
        assert "(il reste 27 jours calendaires 22 h)" in french.text
        assert "temps ouvré" not in french.text
        events = db.session.scalars(
            db.select(AuditEvent).where(AuditEvent.kind == "template_shipped")
        ).all()
        assert len(events) == 2
        # A second deploy adds nothing.
        assert message_templates.seed() == 0


def test_an_edited_template_is_kept_and_its_page_says_the_shipped_wording_changed(app, client):
    with app.app_context():
        seeded_before("en", recorded=True)
        edit("en", "\nCall the manager if you cannot do it in time.\n")
        assert message_templates.seed() == 0
        db.session.commit()
        row = in_use("en")
        assert row.version == 2 and "of working time left" in row.body_text
        assert "Call the manager" in row.body_text
        assert message_templates.shipped_changed(KIND, "en")
    login(client, "admin")
    page = client.get(f"/admin/templates/{KIND}/en").get_data(as_text=True)
    assert 'id="shipped-changed"' in page
    assert "The shipped wording of this message changed" in page
    diff = page[page.index('class="shipped-diff"') :]
    diff = diff[: diff.index("</pre>")]
    assert "-The service level" in diff and "of working time left" in diff
    assert "+The service level" in diff and "-Call the manager" in diff
    index = client.get("/admin/templates").get_data(as_text=True)
    link = index.index(f'href="/admin/templates/{KIND}/en"')
    row_html = index[link : index.index("</tr>", link)]
    assert "shipped wording changed" in row_html
    # The French one was not edited: nothing said.
    french = client.get(f"/admin/templates/{KIND}/fr").get_data(as_text=True)
    assert 'id="shipped-changed"' not in french
    # Use the shipped wording: a new version, the notice gone.
    response = post_form(
        client,
        f"/admin/templates/{KIND}/en/shipped",
        {"action": "shipped"},
        form_url=f"/admin/templates/{KIND}/en",
    )
    assert response.status_code == 302
    with app.app_context():
        row = in_use("en")
        assert row.version == 3
        assert row.body_text == message_templates.default(KIND, "en").body_text
        assert row.created_by_id == j.user("admin").id
    page = client.get(f"/admin/templates/{KIND}/en").get_data(as_text=True)
    assert 'id="shipped-changed"' not in page


def test_an_administrator_may_keep_the_edited_wording(app, client):
    with app.app_context():
        seeded_before("en", recorded=False)  # seeded before hashes were recorded
        edit("en", "\nCall the manager.\n", recorded=False)
        assert message_templates.shipped_changed(KIND, "en")
    login(client, "admin")
    response = post_form(
        client,
        f"/admin/templates/{KIND}/en/shipped",
        {"action": "keep"},
        form_url=f"/admin/templates/{KIND}/en",
    )
    assert response.status_code == 302
    with app.app_context():
        row = in_use("en")
        assert row.version == 3 and "Call the manager." in row.body_text
        assert not message_templates.shipped_changed(KIND, "en")
        assert message_templates.seed() == 0  # still edited: kept
    page = client.get(f"/admin/templates/{KIND}/en").get_data(as_text=True)
    assert 'id="shipped-changed"' not in page


def test_restoring_the_earlier_shipped_version_follows_the_shipped_file_again(app):
    with app.app_context():
        seeded_before("en", recorded=True)
        edit("en", "\nOur words.\n")
        message_templates.restore(j.user("admin"), KIND, "en", 1)
        db.session.commit()
        assert in_use("en").version == 3
        assert not message_templates.shipped_changed(KIND, "en")
        assert message_templates.seed() == 1  # an earlier shipped wording: updated
        db.session.commit()
        assert in_use("en").body_text == message_templates.default(KIND, "en").body_text


def test_the_migration_records_the_wording_of_each_seeded_version(app):
    spec = importlib.util.spec_from_file_location("a13s", MIGRATION)
    assert spec is not None and spec.loader is not None
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    with app.app_context():
        src = old_source("en")
        # The migration's hash is the service's.
        assert migration._hash(src.subject, src.body_text, None) == (
            message_templates.source_hash(src)
        )
        db.session.remove()
        downgrade(revision="a13r00000020")
        db.session.execute(sa.text("DELETE FROM message_template WHERE kind = :k"), {"k": KIND})
        admin_id = db.session.execute(
            sa.text("SELECT id FROM \"user\" WHERE username = 'admin'")
        ).scalar()
        insert = sa.text(
            "INSERT INTO message_template (kind, language, version, subject, body_text, "
            "active, comment, created_at, created_by_id) "
            "VALUES (:k, 'en', :v, :s, :b, :a, :c, '2026-11-01 09:00:00', :u)"
        )
        db.session.execute(
            insert,
            [
                {
                    "k": KIND,
                    "v": 1,
                    "s": src.subject,
                    "b": src.body_text,
                    "a": False,
                    "c": "Default template",
                    "u": None,
                },
                {
                    "k": KIND,
                    "v": 2,
                    "s": src.subject,
                    "b": src.body_text + "\nMine.\n",
                    "a": True,
                    "c": "Edited",
                    "u": admin_id,
                },
            ],
        )
        db.session.commit()
        db.session.remove()
        upgrade()
        rows = db.session.execute(
            sa.text(
                "SELECT version, shipped_sha256 FROM message_template WHERE kind = :k "
                "ORDER BY version"
            ),
            {"k": KIND},
        ).all()
        assert [tuple(r) for r in rows] == [(1, message_templates.source_hash(src)), (2, None)]
        db.session.remove()
        # The edit was made beside the earlier wording: its page will say it changed.
        assert message_templates.shipped_changed(KIND, "en")
