"""French everywhere: every text of the sources has a French translation in the catalogue, and
the pages of the journeys, rendered in French, show none of the English texts."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from app.domain_messages import MESSAGES as DOMAIN_MESSAGES
from services import complaints, tracking
from services.db import db
from tests import journeys
from tests.app.helpers import login

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "app/translations/fr/LC_MESSAGES/messages.po"
FRENCH = {"Accept-Language": "fr-FR,fr;q=0.9"}
DOMAIN_ERRORS = {
    "NotFound",
    "NotAllowed",
    "Conflict",
    "InvalidInput",
    "TaskAlreadyCompleted",
    "NoteRefused",
}
# Said the same way in both languages, or names: not a sign of an untranslated page.
SAME_IN_FRENCH = {"Notes", "Actions", "Date", "Service", "Documents", "Description", "Type"}
# Seen English in the French interface before (issue 12): each must stay translated.
SEEN_ENGLISH = (
    "Complaint received",
    "File added",
    "Response sent",
    "More information requested",
    "No such complaint",
    "Not Found",
    "The requested URL was not found",
    "information_received",
    "survey_answered",
    "Channel",
    "I want to stay anonymous",
)


def _catalogue() -> dict[str, object]:
    with CATALOGUE.open("rb") as handle:
        return {
            (m.id[0] if isinstance(m.id, tuple) else m.id): m
            for m in read_po(handle, locale="fr")
            if m.id
        }


def _source_messages() -> dict[str, str]:
    """Every msgid `make messages` extracts (babel.cfg, keywords _ _l lazy_gettext ngettext)."""
    with (ROOT / "babel.cfg").open() as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
    found: dict[str, str] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=keywords
    ):
        key = message[0] if isinstance(message, tuple) else message
        if key:
            found.setdefault(key, f"{filename}:{lineno}")
    return found


def _translated(entry: object) -> bool:
    string = entry.string  # type: ignore[attr-defined]
    return bool(all(string) if isinstance(string, tuple | list) else string)


@pytest.mark.filterwarnings("ignore::UserWarning")  # babel skips f-strings, with a warning
def test_every_text_of_the_sources_has_a_french_translation_in_the_catalogue():
    catalogue = _catalogue()
    missing = sorted(
        f"{where}: {msgid}"
        for msgid, where in _source_messages().items()
        if msgid not in catalogue or not _translated(catalogue[msgid])
    )
    assert missing == []


def test_every_domain_error_message_is_listed_for_the_catalogue():
    # Services word errors in English; app/errors.py translates them through this list.
    listed = {str(message._args[0]) for message in DOMAIN_MESSAGES}
    raised = set()
    for path in (ROOT / "services").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Raise)
                and isinstance(node.exc, ast.Call)
                and isinstance(node.exc.func, ast.Name)
                and node.exc.func.id in DOMAIN_ERRORS
            ):
                raised |= _literal_messages(node.exc)
    assert sorted(raised - listed) == []


def _literal_messages(error: ast.Call) -> set[str]:
    """The literal message of a raised error and those of its `details` fields (pages show
    them under the field they name: "Another user has this email address." was English on
    French pages)."""
    found = set()
    if error.args and isinstance(error.args[0], ast.Constant):
        found.add(error.args[0].value)
    for keyword in error.keywords:
        if keyword.arg == "details" and isinstance(keyword.value, ast.Dict):
            for value in keyword.value.values:
                if isinstance(value, ast.List):
                    # Sentences; a code for programs ("required", "order") is not shown as is.
                    found |= {
                        item.value
                        for item in value.elts
                        if isinstance(item, ast.Constant) and str(item.value).endswith(".")
                    }
    return {text for text in found if isinstance(text, str)}


def _visible_text(html: str) -> str:
    html = re.sub(r"<(script|style|pre|code)\b.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r"<[^>]+>", " ", html)
    return re.sub(r"\s+", " ", html.replace("&#39;", "'").replace("&amp;", "&"))


def _english_texts() -> list[str]:
    """English msgids a French page must not show: those whose French differs, long enough
    not to be a name or a word both languages share."""
    texts = []
    for msgid, entry in _catalogue().items():
        string = entry.string  # type: ignore[attr-defined]
        french = string[0] if isinstance(string, tuple | list) else string
        if "%" in msgid or msgid in SAME_IN_FRENCH or not french or french == msgid:
            continue
        if len(msgid) >= 12 and " " in msgid:
            texts.append(msgid)
    return texts


def _journey_pages(app, client, tmp_path) -> dict[str, str]:
    """The main staff and public pages of a complaint that went the whole way, in French."""
    # Filed in French, so the letters to the complainant are French too; the department is
    # the organisation's own name for it (data, not interface text).
    filed = {"language": "fr", "department": "Service client"}
    with app.app_context():
        complaint = journeys.to_information_request("Photo du colis", **filed)
        tracking.reply_information(complaint, "Voici la photo.", upload_dir=tmp_path)
        db.session.commit()
        journeys.complete(complaint, "register_complaint")
        journeys.complete(complaint, "classify_complaint")
        task_id = journeys.open_task(complaint, "resolve_minor").id
        complaint_id = complaint.id
        open_case = journeys.to_classification(**filed)
        open_id = open_case.id
        closed = journeys.to_classification(**filed)
        for step in ("classify_complaint", "resolve_minor", "sign_off_minor"):
            journeys.complete(closed, step)
        journeys.write_messages()
        tracking.answer_survey(closed, 4, "Bien")
        db.session.commit()
        closed_id = closed.id
        token = complaints.file_complaint({**journeys.INTAKE, **filed}).tracking_token
        db.session.commit()
    urls = {
        "public form": "/complaints/new",
        "tracking page": f"/track/{token}",
        "missing page": "/no-such-page",
    }
    pages = {name: client.get(url, headers=FRENCH) for name, url in urls.items()}
    login(client, "manager")
    urls = {
        "inbox": "/inbox",
        "complaints": "/complaints",
        "task": f"/tasks/{task_id}",
        "case page": f"/complaints/{complaint_id}",
        "open case page": f"/complaints/{open_id}",
        "closed case page": f"/complaints/{closed_id}",
        "unknown complaint": "/complaints/999999",
        "intake form": "/intake",
    }
    pages |= {name: client.get(url, headers=FRENCH) for name, url in urls.items()}
    return {name: _visible_text(page.get_data(as_text=True)) for name, page in pages.items()}


def test_the_pages_of_the_journeys_show_no_english_text_in_french(app, client, tmp_path):
    pages = _journey_pages(app, client, tmp_path)
    english = _english_texts()
    found = {
        name: sorted(
            {t for t in english if re.search(rf"(?<![\w']){re.escape(t)}(?![\w'])", text)}
            | {t for t in SEEN_ENGLISH if t in text}
        )
        for name, text in pages.items()
    }
    assert {name: texts for name, texts in found.items() if texts} == {}
    assert "Cette page n'existe pas" in pages["missing page"]
    assert "Cette réclamation n'existe pas." in pages["unknown complaint"]
