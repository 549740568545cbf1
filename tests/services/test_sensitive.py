"""Sensitive complaints: confidential from receipt, safe contact for every message, referrals,
the contact preference default, and the record of who opened a confidential case."""

from __future__ import annotations

from datetime import date

import pytest

from services import (
    complaints,
    notifications,
    permissions,
    providers,
    sensitive,
    tasks,
    workflows,
)
from services.db import db
from services.errors import InvalidInput
from services.models import AuditEvent, Notification, Referral, ServiceProvider, Task
from tests import journeys as j

pytestmark = pytest.mark.usefixtures("app_context")

GBV = (
    "My supervisor touched me against my will and threatens to fire me if I speak about it. "
    "He reads my work email."
)
STAFF = (
    "agent",
    "supervisor",
    "investigator",
    "manager",
    "counsel",
    "senior",
    "police",
    "owner",
    "analyst",
    "admin",
)


def flagged(**overrides: object):
    return j.file(description=GBV, sensitive_at_intake=True, **overrides)


def test_a_flagged_complaint_is_confidential_from_its_first_task():
    complaint = flagged()
    complaint = j.refreshed(complaint)
    assert complaint.confidential is True
    assert complaint.sensitive_at_intake is True
    rows = db.session.scalars(db.select(Task).where(Task.complaint_id == complaint.id)).all()
    assert rows, "the procedure opened no task"
    assert all(row.confidential for row in rows)
    assert workflows.case_data(complaint)["sensitive_at_intake"] is True


@pytest.mark.parametrize("username", STAFF)
def test_nobody_but_the_focal_point_sees_a_flagged_complaint(username):
    complaint = flagged()
    user = j.user(username)
    assert not permissions.can_view_complaint(user, complaint)
    assert complaint.id not in {c.id for c in complaints.list_for(user).complaints}
    assert not [
        t for t in tasks.inbox(user, tasks.InboxFilter()).tasks if t.complaint_id == complaint.id
    ]


def test_the_focal_point_sees_the_flagged_complaint_and_its_first_task():
    complaint = flagged()
    focal = j.user("focal")
    assert permissions.can_view_complaint(focal, complaint)
    assert complaint.id in {c.id for c in complaints.list_for(focal).complaints}
    first = j.open_tasks(complaint)[0]
    assert (first.name, first.role, first.confidential) == (
        "record_consent",
        "confidential_focal_point",
        True,
    )
    assert permissions.can_view_task(focal, first)
    assert [t.id for t in tasks.inbox(focal, tasks.InboxFilter()).tasks] == [first.id]


def test_an_unflagged_complaint_stays_visible_to_readers():
    complaint = j.file()
    assert j.refreshed(complaint).confidential is False
    assert permissions.can_view_complaint(j.user("supervisor"), complaint)


@pytest.mark.parametrize(
    ("details", "expected"),
    [
        ({"email": "a@example.org", "phone": "+221 77 000 00 00"}, "email"),
        ({"email": "", "phone": "+221 77 000 00 00"}, "phone"),
        ({"email": "", "phone": "", "postal_address": "BP 12, Dakar"}, "letter"),
    ],
)
def test_the_contact_preference_defaults_to_the_first_detail_given(details, expected):
    complaint = j.file(**{"postal_address": "", **details, "preferred_contact": ""})
    assert j.refreshed(complaint).preferred_contact == expected
    assert notifications.send(complaint, "acknowledgement", {}).channel == expected


def test_no_contact_is_kept_when_chosen_and_anonymity_clears_everything():
    chosen = j.file(preferred_contact="none")
    assert j.refreshed(chosen).preferred_contact == "none"
    assert notifications.send(chosen, "acknowledgement", {}).channel == "tracking_page"
    anonymous = j.file(anonymous=True, preferred_contact="")
    assert j.refreshed(anonymous).preferred_contact == "none"


def test_a_sensitive_complaint_is_not_written_to_its_ordinary_address():
    complaint = flagged()
    assert j.refreshed(complaint).preferred_contact == "email"
    notice = notifications.send(complaint, "acknowledgement", {})
    assert (notice.channel, notice.recipient) == ("tracking_page", "")


def test_every_message_goes_to_the_safe_contact_once_recorded():
    complaint = flagged()
    sensitive.record_safe_contact(
        complaint,
        {
            "safe_contact_method": "phone",
            "safe_contact_details": "+221 76 555 55 55",
            "safe_times": "10:00-12:00",
            "shared_contact_safe": False,
        },
    )
    for name in ("information_request", "response_letter", "survey_invitation"):
        notice = notifications.send(complaint, name, {})
        assert (notice.channel, notice.recipient) == ("phone", "+221 76 555 55 55"), name
    db.session.commit()
    stored = j.refreshed(complaint)
    assert (stored.safe_contact_method, stored.safe_times) == ("phone", "10:00-12:00")
    assert stored.shared_contact_safe is False


def test_the_address_given_is_used_only_when_declared_safe():
    complaint = flagged()
    unsafe = {"safe_contact_method": "email", "safe_contact_details": ""}
    sensitive.record_safe_contact(complaint, {**unsafe, "shared_contact_safe": False})
    assert notifications.send(complaint, "survey_invitation", {}).channel == "tracking_page"
    sensitive.record_safe_contact(complaint, {**unsafe, "shared_contact_safe": True})
    notice = notifications.send(complaint, "survey_invitation", {})
    assert (notice.channel, notice.recipient) == ("email", "aminata@example.org")


def test_a_safe_postal_contact_becomes_a_letter_and_no_contact_the_tracking_page():
    complaint = flagged()
    sensitive.record_safe_contact(
        complaint, {"safe_contact_method": "post", "safe_contact_details": "c/o a friend, BP 9"}
    )
    notice = notifications.send(complaint, "response_letter", {})
    assert (notice.channel, notice.recipient) == ("letter", "c/o a friend, BP 9")
    sensitive.record_safe_contact(complaint, {"safe_contact_method": "none"})
    assert notifications.send(complaint, "response_letter", {}).channel == "tracking_page"


def test_a_referral_with_a_provider_is_recorded_with_date_consent_and_actor():
    complaint = flagged()
    provider = db.session.scalars(db.select(ServiceProvider)).first()
    focal = j.user("focal")
    sensitive.apply_task_data(
        complaint,
        "refer_support",
        {
            "provider": str(provider.id),
            "referral_date": date(2026, 11, 20),
            "consent_confirmed": True,
            "declined": False,
            "referral_notes": "Appointment on Monday.",
        },
        focal,
    )
    db.session.commit()
    referral = db.session.scalars(db.select(Referral)).one()
    assert (referral.complaint_id, referral.provider_id) == (complaint.id, provider.id)
    assert (referral.referred_at, referral.consent) == (date(2026, 11, 20), True)
    assert referral.created_by_id == focal.id
    assert sensitive.referrals(complaint.id) == [referral]


def test_a_declined_referral_records_nothing_and_an_inactive_provider_is_refused():
    complaint = flagged()
    focal = j.user("focal")
    sensitive.apply_task_data(complaint, "refer_support", {"provider": "", "declined": True}, focal)
    assert db.session.scalar(db.select(db.func.count()).select_from(Referral)) == 0
    provider = db.session.scalars(db.select(ServiceProvider)).first()
    providers.set_active(j.user("admin"), provider.id, False)
    with pytest.raises(InvalidInput):
        sensitive.apply_task_data(
            complaint,
            "refer_support",
            {
                "provider": str(provider.id),
                "consent_confirmed": True,
                "referral_date": date.today(),
            },
            focal,
        )


def test_opening_a_confidential_case_is_recorded_but_not_an_ordinary_one():
    complaint = flagged()
    ordinary = j.file()
    focal, supervisor = j.user("focal"), j.user("supervisor")
    sensitive.record_opening(focal, complaint, "complaint")
    sensitive.record_opening(supervisor, ordinary, "complaint")
    db.session.commit()
    events = db.session.scalars(
        db.select(AuditEvent).where(AuditEvent.kind == "confidential_opened")
    ).all()
    assert [(e.complaint_id, e.actor_id, e.public) for e in events] == [
        (complaint.id, focal.id, False)
    ]


def test_the_focal_point_records_consent_and_a_referral_through_the_procedure():
    complaint = flagged()
    assert [t.name for t in j.open_tasks(complaint) if t.role == "confidential_focal_point"] == [
        "record_consent"
    ]
    j.complete(
        complaint,
        "record_consent",
        safe_contact_method="email",
        safe_contact_details="awa.safe@example.org",
        safe_times="After 18:00",
    )
    stored = j.refreshed(complaint)
    assert (stored.safe_contact_method, stored.safe_contact, stored.safe_times) == (
        "email",
        "awa.safe@example.org",
        "After 18:00",
    )
    provider = db.session.scalars(
        db.select(ServiceProvider).where(ServiceProvider.kind == "psychosocial")
    ).one()
    task = j.open_task(stored, "refer_support")
    offered = workflows.task_form(task).provider.choices
    assert str(provider.id) in [choice.value for choice in offered]
    j.complete(
        stored,
        "refer_support",
        declined=False,
        provider=str(provider.id),
        referral_date=date.today(),
        consent_confirmed=True,
    )
    referral = db.session.scalars(db.select(Referral)).one()
    assert (referral.complaint_id, referral.provider_id, referral.consent) == (
        complaint.id,
        provider.id,
        True,
    )
    assert referral.created_by_id == j.user("focal").id
    # Every message of the case now goes to the safe address, never to aminata@example.org.
    notices = db.session.scalars(
        db.select(Notification).where(Notification.complaint_id == complaint.id)
    ).all()
    assert all(n.recipient in ("", "awa.safe@example.org") for n in notices)
