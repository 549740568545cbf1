"""A form definition written back as TOML (forms.definitions.dumps, forms.toml_edit): a
new one in the shipped files' layout, an edited one into its own text so that comments,
key order and inline tables survive; never text that reads back as something else."""

from __future__ import annotations

import copy
import json
import tomllib
from typing import Any

import pytest

from forms import toml_edit
from forms.definitions import SHIPPED_DIR, as_json, dumps

COMMENTED = """\
# Calling the complainant back after a minor resolution.
title = { en = "Calling the complainant back", fr = "Rappeler le réclamant" }  # the heading
phase = { en = "Call-back", fr = "Rappel" }
context = ["action_taken", "resolution_summary"]

# Whether the call got through.
[[fields]]
name = "reached"
type = "checkbox"
label = { en = "The complainant was reached", fr = "Le réclamant a été joint" }  # short

# Only when reached.
[[fields]]
name = "call_outcome"
type = "choice"
label = { en = "Outcome of the call", fr = "Résultat de l'appel" }
choices = [
  { value = "satisfied", label = { en = "Satisfied", fr = "Satisfait" } },
  { value = "unsatisfied", label = { en = "Not satisfied", fr = "Pas satisfait" } },
]
shown_when = "reached"

# A rule the page checks.
[[rules]]
field = "call_outcome"
when = "reached"
message = { en = "Say how the call went.", fr = "Indiquez comment s'est passé l'appel." }
"""


def parsed(text: str = COMMENTED) -> dict[str, Any]:
    return as_json(tomllib.loads(text))


@pytest.mark.parametrize("path", sorted(SHIPPED_DIR.glob("*.toml")), ids=lambda p: p.stem)
def test_a_new_definition_is_laid_out_as_the_shipped_ones(path) -> None:
    text = path.read_text("utf-8")
    without_comments = "".join(line for line in text.splitlines(True) if not line.startswith("#"))
    assert dumps(parsed(text)).rstrip("\n") == without_comments.rstrip("\n")
    # Written into its own text, an unchanged definition is that text.
    assert dumps(parsed(text), text) == text


@pytest.mark.parametrize("sort_keys", [False, True], ids=["file order", "sorted keys"])
def test_a_changed_label_changes_that_line_only(sort_keys: bool) -> None:
    # JSON's key order does not move the settings the file has.
    spec = json.loads(json.dumps(parsed(), sort_keys=sort_keys))
    spec["fields"][0]["label"]["en"] = "Reached"
    assert dumps(spec, COMMENTED) == COMMENTED.replace(
        'en = "The complainant was reached"', 'en = "Reached"'
    )


def test_new_settings_go_after_the_one_before_them_and_removed_ones_go() -> None:
    spec = parsed()
    spec["context_title"] = {"en": "What was done", "fr": "Ce qui a été fait"}
    spec["fields"][0] = {
        "name": "reached",
        "type": "checkbox",
        "label": spec["fields"][0]["label"],
        "help": {"en": "Tick when you spoke.", "fr": "Cochez si vous avez parlé."},
    }
    del spec["fields"][1]["shown_when"]
    spec["fields"][1]["label"]["de"] = None  # JSON's null: not set
    written = dumps(spec, COMMENTED)
    assert written == (
        COMMENTED.replace(
            'context = ["action_taken", "resolution_summary"]\n',
            'context = ["action_taken", "resolution_summary"]\n'
            'context_title = { en = "What was done", fr = "Ce qui a été fait" }\n',
        )
        .replace(
            'fr = "Le réclamant a été joint" }  # short\n',
            'fr = "Le réclamant a été joint" }  # short\n'
            'help = { en = "Tick when you spoke.", fr = "Cochez si vous avez parlé." }\n',
        )
        .replace('shown_when = "reached"\n', "")
    )


def test_a_text_given_a_language_is_written_whole_in_the_inline_style() -> None:
    spec = parsed()
    spec["fields"][1]["label"] = {"en": "Outcome", "fr": "Résultat", "es": "Resultado"}
    written = dumps(spec, COMMENTED)
    assert 'label = { en = "Outcome", fr = "Résultat", es = "Resultado" }\n' in written
    assert tomllib.loads(written) == spec


def test_fields_moved_added_and_removed_keep_their_own_comments() -> None:
    spec = parsed()
    reached, outcome = spec["fields"]
    notes = {"name": "call_notes", "type": "long_text", "label": {"en": "Notes", "fr": "Notes"}}
    spec["fields"] = [outcome, notes, reached]
    written = dumps(spec, COMMENTED)
    assert tomllib.loads(written) == spec
    assert written.startswith("# Calling the complainant back after a minor resolution.\n")
    # Each comment stays above its own field, and the rules' above the rules.
    assert '\n\n# Only when reached.\n[[fields]]\nname = "call_outcome"\n' in written
    assert '"Pas satisfait" } },\n]\nshown_when = "reached"\n\n[[fields]]\nname = "call_notes"' in (
        written
    )
    assert '\n\n# Whether the call got through.\n[[fields]]\nname = "reached"\n' in written
    assert '"Le réclamant a été joint" }  # short\n' in written
    assert written.endswith(
        '\n\n# A rule the page checks.\n[[rules]]\nfield = "call_outcome"\nwhen = "reached"\n'
        'message = { en = "Say how the call went.", fr = "Indiquez comment s\'est passé '
        "l'appel.\" }\n"
    )
    # A field removed takes its comment with it; rules removed leave an empty list.
    spec["fields"] = [reached]
    spec["rules"] = []
    written = dumps(spec, COMMENTED)
    assert tomllib.loads(written) == spec
    assert "# Only when reached." not in written
    assert '\n\n# Whether the call got through.\n[[fields]]\nname = "reached"\n' in written
    assert "rules = []" in written and "[[rules]]" not in written


def test_an_edit_never_gives_text_that_reads_back_as_something_else() -> None:
    # Every single change to every setting of the commented definition reads back as sent.
    base = parsed()
    changes = []
    for key in base:
        changes.append(lambda s, k=key: s.pop(k))
        changes.append(lambda s, k=key: s.__setitem__(k, "changed"))
    for number in range(len(base["fields"])):
        for key in list(base["fields"][number]):
            changes.append(lambda s, n=number, k=key: s["fields"][n].pop(k))
            changes.append(lambda s, n=number, k=key: s["fields"][n].__setitem__(k, [1, 2]))
    for change in changes:
        spec = copy.deepcopy(base)
        change(spec)
        assert tomllib.loads(dumps(spec, COMMENTED)) == spec


def test_text_that_is_not_toml_is_written_anew() -> None:
    assert toml_edit.edit("title = ", parsed()) is None
    assert tomllib.loads(dumps(parsed(), "title = ")) == parsed()


LISTS = """\
# The lists.

# How it came in.
[channels]
web = { en = "Web form", fr = "Formulaire web" }  # set by the public form
# By telephone.
phone = { en = "Telephone", fr = "Téléphone" }
email = { en = "Email", fr = "E-mail" }

# What it is about.
[categories]
billing = { en = "Billing", fr = "Facturation" }
other = { en = "Other", fr = "Autre" }
"""


def lists_changed(change: Any) -> dict[str, Any]:
    value = tomllib.loads(LISTS)
    change(value)
    return value


def test_lists_edited_keep_their_comments_and_a_moved_value_takes_its_own() -> None:
    def edit(value: dict[str, Any]) -> None:
        channels = value["channels"]
        value["channels"] = {
            "email": channels["email"],
            "web": channels["web"],
            "phone": {"en": "Telephone", "fr": "Appel"},
        }
        value["categories"] = {
            "billing": value["categories"]["billing"],
            "water": {"en": "Water", "fr": "Eau"},
        }
        value["regions"] = {"north": {"en": "North", "fr": "Nord"}}

    value = lists_changed(edit)
    assert toml_edit.edit_tables(LISTS, value) == (
        "# The lists.\n\n# How it came in.\n[channels]\n"
        'email = { en = "Email", fr = "E-mail" }\n'
        'web = { en = "Web form", fr = "Formulaire web" }  # set by the public form\n'
        '# By telephone.\nphone = { en = "Telephone", fr = "Appel" }\n'
        "\n# What it is about.\n[categories]\n"
        'billing = { en = "Billing", fr = "Facturation" }\n'
        'water = { en = "Water", fr = "Eau" }\n'
        '\n[regions]\nnorth = { en = "North", fr = "Nord" }\n'
    )
    assert toml_edit.edit_tables(LISTS, tomllib.loads(LISTS)) == LISTS


def test_lists_written_anew_are_one_table_each_in_their_order() -> None:
    value = {"b": {"y": {"en": "Y", "fr": "Ygrec"}, "x": {"en": "X", "fr": "Ix"}}, "a": {}}
    assert toml_edit.write_tables(value) == (
        '[b]\ny = { en = "Y", fr = "Ygrec" }\nx = { en = "X", fr = "Ix" }\n\n[a]\n'
    )
    assert toml_edit.edit_tables("a = ", value) is None  # not TOML: written anew
