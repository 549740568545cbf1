"""What-if replay of a candidate routing table on past classifications."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest

from forms import definitions
from services import replay
from services.engine import limits
from services.errors import InvalidInput, NotAllowed
from tests import diagrams as d
from tests import journeys as j

pytestmark = pytest.mark.usefixtures("app_context")

CLASSIFY = (d.PROCESSES / "forms" / "classify_complaint.toml").read_text()
URGENT = """
[[fields]]
name = "urgent"
type = "checkbox"
label = { en = "Urgent", fr = "Urgent" }
"""


def classified(amount: str, **answers) -> str:
    complaint = j.to_classification()
    j.complete(complaint, "classify_complaint", financial_impact=amount, **answers)
    return complaint.reference


def test_lowering_the_financial_threshold_shows_which_routes_change():
    small, medium, large = classified("50.00"), classified("500.00"), classified("5000.00")
    rows = replay.routing(d.routing_threshold("100"), 10, viewer=j.user("owner"))
    by_reference = {row.reference: row for row in rows}
    assert [row.reference for row in rows] == [large, medium, small]  # newest first
    assert by_reference[medium].actual_route == "minor"
    assert by_reference[medium].new_route == "major" and by_reference[medium].changed
    assert by_reference[large].new_route == "major" and not by_reference[large].changed
    assert by_reference[small].new_route == "minor" and not by_reference[small].changed
    assert by_reference[medium].inputs["Financial impact"] == Decimal("500.00")
    assert by_reference[medium].inputs["Severity"] == "low"


def test_the_deployed_table_reproduces_every_actual_route():
    classified("120.00")
    classified("2000.00")
    classified("", severity="critical")
    rows = replay.routing(d.dmn(), 10, viewer=j.user("owner"))
    assert len(rows) == 3
    assert not any(row.changed for row in rows)


def test_only_the_last_n_classifications_are_replayed():
    classified("10.00")
    newest = classified("20.00")
    rows = replay.routing(d.dmn(), 1, viewer=j.user("owner"))
    assert [row.reference for row in rows] == [newest]


def test_confidential_complaints_are_left_out_for_the_process_owner():
    visible = classified("10.00")
    classified("10.00", sensitive=True)
    rows = replay.routing(d.dmn(), 10, viewer=j.user("owner"))
    assert [row.reference for row in rows] == [visible]


def test_invalid_decision_table_gives_a_problem_list():
    broken = d.edited(d.dmn(), '"major"', '__import__("os")')
    with pytest.raises(InvalidInput) as caught:
        replay.routing(broken, 10, viewer=j.user("owner"))
    [item] = caught.value.details["items"]
    assert item["element_id"] == "rule_breach_of_law_route"
    assert "__import__" in caught.value.details["problems"][0]


def test_unreadable_decision_table_gives_a_problem_list():
    with pytest.raises(InvalidInput) as caught:
        replay.routing("<definitions", 10, viewer=j.user("owner"))
    assert "not well-formed XML" in caught.value.details["problems"][0]


def test_a_row_whose_evaluation_fails_carries_the_error():
    reference = classified("10.00")
    failing = d.edited(d.dmn(), "<text>category</text>", "<text>category + 1</text>")
    [row] = replay.routing(failing, 10, viewer=j.user("owner"))
    assert row.reference == reference and row.changed
    assert row.new_route is None and "category + 1" in row.error


def test_a_name_no_past_complaint_has_is_said_per_input_and_tried_empty():
    classified("10.00")
    misspelt = d.edited(d.dmn(), "<text>category</text>", "<text>catgory</text>")
    result = replay.replay(misspelt, 10, viewer=j.user("owner"))
    assert result.missing == [replay.MissingInput("Category", "catgory", in_form=False)]
    [row] = result.rows
    assert row.error is None and row.inputs["Category"] is None
    # Nothing classified yet: nothing to say.
    assert replay.replay(misspelt, 0, viewer=j.user("owner")).missing == []


def test_a_field_new_in_the_edited_classification_form_is_named_as_such():
    reference = classified("5000.00")
    form = definitions.loads("classify_complaint", CLASSIFY + URGENT)
    table = d.edited(d.dmn(), "<text>safety_issue</text>", "<text>urgent or safety_issue</text>")
    result = replay.replay(table, 10, viewer=j.user("owner"), form=form)
    assert result.missing == [replay.MissingInput("Safety issue", "urgent", in_form=True)]
    [row] = result.rows
    assert row.reference == reference and row.error is None and not row.changed
    # Without that form, the same name may as well be misspelt.
    without = replay.replay(table, 10, viewer=j.user("owner"))
    assert without.missing == [replay.MissingInput("Safety issue", "urgent", in_form=False)]


def test_values_are_typed_by_the_classification_form_before_the_columns_type():
    reference = classified("5000.00")
    # The column says string: the form's amount still compares as a number.
    table = d.edited(
        d.dmn(),
        '<inputExpression id="input_expression_financial_impact" typeRef="number">',
        '<inputExpression id="input_expression_financial_impact" typeRef="string">',
    )
    [row] = replay.routing(table, 10, viewer=j.user("owner"))
    assert row.reference == reference and row.error is None
    assert row.inputs["Financial impact"] == Decimal("5000.00") and row.new_route == "major"
    # An edited form where it is text: typed as the column says, the comparison fails.
    as_text = definitions.loads(
        "classify_complaint",
        d.edited(
            CLASSIFY,
            'name = "financial_impact"\ntype = "amount"',
            'name = "financial_impact"\ntype = "text"',
        ),
    )
    [row] = replay.routing(table, 10, viewer=j.user("owner"), form=as_text)
    assert row.inputs["Financial impact"] == "5000.00" and row.error is not None


def test_only_process_owners_replay():
    with pytest.raises(NotAllowed):
        replay.routing(d.dmn(), 10, viewer=j.user("analyst"))


def test_a_runaway_cell_stops_the_replay_with_a_problem_naming_the_complaint():
    earlier = [classified(amount) for amount in ("10.00", "20.00", "30.00", "40.00")]
    newest = classified("50.00")
    spinning = "len([0 for i in range(10**6) for j in range(10**6)])"
    table = d.edited(d.dmn(), "<text>category</text>", f"<text>{spinning}</text>")
    started = time.monotonic()
    with pytest.raises(InvalidInput) as caught:
        replay.routing(table, 10, viewer=j.user("owner"))
    # One row stopped, not every row: five rows would take five time limits. (Two rows and
    # twice the limit was too close on a loaded machine: 2.8 s for one row's 1 s.)
    assert time.monotonic() - started < 4 * limits.TIME_LIMIT
    [problem] = caught.value.details["problems"]
    assert f"stopped on complaint {newest}: " in problem  # the newest is replayed first
    assert not any(reference in problem for reference in earlier)
    assert "diagram code was stopped: it ran longer than 1 s" in problem


def test_a_cell_that_obviously_explodes_is_refused_before_it_runs():
    table = d.edited(d.dmn(), '"major"', '"major" * 10**10')
    with pytest.raises(InvalidInput) as caught:
        replay.routing(table, 10, viewer=j.user("owner"))
    [item] = caught.value.details["items"]
    assert item["element_id"] == "rule_breach_of_law_route"
    assert "'major' * 10 ** 10 is too large: a repeated sequence would have" in item["message"]
