"""WTForms classes of the complaint procedure; FORMS maps a BPMN form key to its class."""

from forms.base import TaskForm, formdata_from_json
from forms.classification import ClassificationForm
from forms.complainant import InformationReplyForm, SurveyForm
from forms.escalation import (
    EscalationApprovalForm,
    LegalReviewForm,
    PoliceOutcomeForm,
    PoliceReferralForm,
    SeniorManagementDecisionForm,
)
from forms.intake import ComplaintForm, StaffIntakeForm
from forms.investigation import InvestigationForm
from forms.overdue import OverdueReviewForm
from forms.registration import RegistrationForm
from forms.resolution import ConfidentialCaseForm, MinorResolutionForm, ResolutionForm
from forms.review import CaseReviewForm, EscalatedDelayForm, SatisfactionFollowUpForm
from forms.sensitive import ConsentForm, ReferralForm
from forms.sign_off import SignOffForm

FORMS: dict[str, type[TaskForm]] = {
    "register_complaint": RegistrationForm,
    "classify_complaint": ClassificationForm,
    "resolve_minor": MinorResolutionForm,
    "investigate_complaint": InvestigationForm,
    "approve_escalation": EscalationApprovalForm,
    "legal_review": LegalReviewForm,
    "resolve_complaint": ResolutionForm,
    "handle_confidential": ConfidentialCaseForm,
    "sign_off": SignOffForm,
    "review_overdue": OverdueReviewForm,
    "handle_escalated_delay": EscalatedDelayForm,
    "senior_management_decision": SeniorManagementDecisionForm,
    "police_referral": PoliceReferralForm,
    "police_outcome": PoliceOutcomeForm,
    "follow_up_satisfaction": SatisfactionFollowUpForm,
    "review_case": CaseReviewForm,
    "record_consent": ConsentForm,
    "refer_support": ReferralForm,
}

__all__ = [
    "FORMS",
    "CaseReviewForm",
    "ClassificationForm",
    "ComplaintForm",
    "ConsentForm",
    "ConfidentialCaseForm",
    "EscalatedDelayForm",
    "EscalationApprovalForm",
    "InformationReplyForm",
    "InvestigationForm",
    "LegalReviewForm",
    "MinorResolutionForm",
    "OverdueReviewForm",
    "PoliceOutcomeForm",
    "PoliceReferralForm",
    "ReferralForm",
    "RegistrationForm",
    "ResolutionForm",
    "SatisfactionFollowUpForm",
    "SeniorManagementDecisionForm",
    "SignOffForm",
    "StaffIntakeForm",
    "SurveyForm",
    "TaskForm",
    "formdata_from_json",
]
