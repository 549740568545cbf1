"""bpmn-js's and dmn-js's own words in French: the dictionary served beside the editor
(app/static/i18n/modelers.fr.json) holds every word the installed versions pass to their
`translate` service, and only those, with the same {placeholders}; the page points French
readers to it and English readers to nothing."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from tests.app.helpers import login
from tests.app.test_form_designer import editor_config

ROOT = Path(__file__).resolve().parents[2]
DICTIONARY = ROOT / "app" / "static" / "i18n" / "modelers.fr.json"
MODULES = ROOT / "node_modules"
# The libraries' sources the editor's bundles are built from (dist/*.production.min.js).
SOURCES = ("bpmn-js/lib", "diagram-js/lib", "table-js/lib") + tuple(
    f"{p.name}/lib" for p in sorted(MODULES.glob("dmn-js*"))
)
LITERAL = re.compile(r"""translate\(\s*(['"])((?:\\.|(?!\1).)+?)\1""")
# Words the libraries translate through a variable: the replace menu's entries, the hit
# policies and their explanations, two modelling warnings.
CATALOGUES = {
    "bpmn-js/lib/features/popup-menu/PopupEntries.js": re.compile(r"label: '([^']+)'"),
    "bpmn-js/lib/features/replace/ReplaceOptions.js": re.compile(r"label: '([^']+)'"),
    "dmn-js-decision-table/lib/features/hit-policy/HitPolicies.js": re.compile(
        r"(?:label|explanation): '([^']+)'"
    ),
    "bpmn-js/lib/features/modeling-feedback/ModelingFeedback.js": re.compile(
        r"_ERR_MSG = '([^']+)'"
    ),
}
# What the regular expression finds that is not a word: an SVG transform, a documentation
# example, two sample values shown as they are.
NOT_WORDS = {" + shift + ", "HELLO {you}", '"value"', '"value", "value", ...'}
PLACEHOLDER = re.compile(r"{\s*([^}]+?)\s*}")


def without_comments(source: str) -> str:
    return "\n".join(line for line in source.splitlines() if not line.lstrip().startswith("//"))


def library_words() -> dict[str, str]:
    """Every word the installed bpmn-js and dmn-js translate, with the file that says it."""
    found: dict[str, str] = {}
    for folder in SOURCES:
        for path in sorted((MODULES / folder).rglob("*.js")):
            for match in LITERAL.finditer(without_comments(path.read_text("utf-8"))):
                found.setdefault(match.group(2), str(path.relative_to(MODULES)))
    for name, pattern in CATALOGUES.items():
        for word in pattern.findall(without_comments((MODULES / name).read_text("utf-8"))):
            found.setdefault(word, name)
    for word in NOT_WORDS:
        found.pop(word, None)
    return found


@pytest.fixture(scope="module")
def french() -> dict[str, str]:
    return json.loads(DICTIONARY.read_text("utf-8"))


def test_every_word_of_the_installed_libraries_has_its_french(french: dict[str, str]) -> None:
    words = library_words()
    assert len(words) > 250  # the sources were read (palette, menus, decision table…)
    for expected in ("Create start event", "Append task", "Remove rule", "User task", "First"):
        assert expected in words
    missing = {word: where for word, where in words.items() if word not in french}
    assert not missing, f"words the libraries show in English: {missing}"
    unknown = sorted(set(french) - set(words))
    assert not unknown, f"words no installed library asks for (renamed upstream?): {unknown}"


def test_each_translation_keeps_the_placeholders_and_french_typography(
    french: dict[str, str],
) -> None:
    assert french["Create start event"] == "Créer un événement de début"
    for english, text in french.items():
        assert text.strip(), english
        assert sorted(PLACEHOLDER.findall(text)) == sorted(PLACEHOLDER.findall(english)), english
        assert not re.search(r"[ \w][:;?!]", text), f"no-break space before the sign: {text!r}"
        assert "’" not in text, f"straight apostrophes: {text!r}"


def test_the_page_points_french_readers_to_the_dictionary_and_english_ones_to_none(
    client: FlaskClient,
) -> None:
    login(client, "owner")
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr-FR,fr;q=0.9"
    config = editor_config(client)
    assert config["library"] == "/static/i18n/modelers.fr.json"
    with client.get(config["library"]) as served:
        assert served.status_code == 200 and served.mimetype == "application/json"
        assert served.get_json()["Append task"] == "Ajouter une tâche"
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en-GB,en;q=0.9"
    assert editor_config(client)["library"] is None
