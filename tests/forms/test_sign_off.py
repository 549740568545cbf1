"""Sign-off: close with resolution codes, or send back."""

from forms import SignOffForm


def test_approved_closure_with_codes_is_accepted(post):
    data = {"sign_off_decision": "approved", "resolution_codes": ["not_upheld", "lessons_recorded"]}
    posted = post(SignOffForm, data)
    assert posted.valid, posted.errors
    assert posted.form.task_data() == {
        "sign_off_decision": "approved",
        "resolution_codes": ["not_upheld", "lessons_recorded"],
        "sign_off_comment": "",
    }


def test_approved_closure_needs_a_resolution_code(post):
    posted = post(SignOffForm, {"sign_off_decision": "approved"})
    assert posted.errors == {"resolution_codes": ["Tick at least one resolution code."]}


def test_sending_back_must_say_what_needs_more_work(post):
    posted = post(SignOffForm, {"sign_off_decision": "sent_back"})
    assert posted.errors == {"sign_off_comment": ["Say what needs more work."]}
    posted = post(
        SignOffForm, {"sign_off_decision": "sent_back", "sign_off_comment": "Letter is unclear."}
    )
    assert posted.valid, posted.errors
    assert posted.form.task_data()["resolution_codes"] == []


def test_decision_is_required(post):
    assert post(SignOffForm, {}).errors == {
        "sign_off_decision": ["Approve the closure or send it back."]
    }


def test_unknown_resolution_code_is_refused(post):
    posted = post(SignOffForm, {"sign_off_decision": "approved", "resolution_codes": ["lost"]})
    assert list(posted.errors) == ["resolution_codes"]


def test_resolution_codes_render_as_a_checklist():
    html = str(SignOffForm().resolution_codes())
    assert html.count('type="checkbox"') == 7
