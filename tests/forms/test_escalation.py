"""The manager's escalation decision and the legal review."""

from forms import EscalationApprovalForm, LegalReviewForm

LEGAL = {
    "legal_opinion": "The consumer is entitled to a replacement.",
    "legal_action": "settlement",
    "legal_recommendations": "Offer a replacement and compensation.",
}


def test_approval_needs_no_comment(post):
    posted = post(EscalationApprovalForm, {"escalation_decision": "approved"})
    assert posted.valid, posted.errors
    assert posted.form.task_data() == {"escalation_decision": "approved", "escalation_comment": ""}


def test_refusal_must_say_why(post):
    posted = post(EscalationApprovalForm, {"escalation_decision": "refused"})
    assert posted.errors == {"escalation_comment": ["Say why the escalation is refused."]}
    posted = post(
        EscalationApprovalForm,
        {"escalation_decision": "refused", "escalation_comment": "Handle it internally."},
    )
    assert posted.valid, posted.errors


def test_decision_is_required_and_must_be_known(post):
    assert post(EscalationApprovalForm, {}).errors == {
        "escalation_decision": ["Approve or refuse the escalation."]
    }
    assert post(EscalationApprovalForm, {"escalation_decision": "maybe"}).errors == {
        "escalation_decision": ["Not a valid choice."]
    }


def test_legal_review_is_accepted(post):
    posted = post(LegalReviewForm, LEGAL)
    assert posted.valid, posted.errors
    assert posted.form.task_data() == LEGAL


def test_legal_review_needs_an_opinion_and_an_action(post):
    posted = post(LegalReviewForm, {"legal_recommendations": "None."})
    assert posted.errors == {
        "legal_opinion": ["Give the legal opinion."],
        "legal_action": ["Choose the legal action, or “No legal action”."],
    }


def test_no_legal_action_is_an_explicit_choice(post):
    assert post(LegalReviewForm, {**LEGAL, "legal_action": "none"}).valid
