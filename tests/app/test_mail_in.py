"""Email in: a real SMTP receiver (aiosmtpd, in a thread), mail sent with smtplib."""

from __future__ import annotations

import html
import re
import smtplib
import socket
from email.message import EmailMessage
from pathlib import Path

import pytest

from app.delivery_cli import deliver_once, mail_catcher
from app.mail_in import controller, receive_mail
from services import inbound_mail, workflows
from services.db import db
from services.models import Attachment, AuditEvent, Complaint, InboundMail
from tests import journeys as j
from tests.app.helpers import login, post_form
from tests.samples import EXECUTABLE, png
from tests.servers import free_port
from tests.services.test_delivery import settings_for

PNG = png()

ADDRESS = "reclamations@example.org"


@pytest.fixture
def mailbox(app, tmp_path):
    """The complaints mailbox on a free local port; its port."""
    app.config.update(
        INBOUND_MAIL_DIR=str(tmp_path / "inbound"),
        INBOUND_MAX_SIZE=200_000,
        INBOUND_BLOCKLIST="pest@nuisance.example, @spam.example",
        COMPLAINTS_EMAIL=ADDRESS,
    )
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = controller(app, "127.0.0.1", port)
    server.start()
    yield port
    server.stop()


def email(sender="Aminata Diallo <aminata@example.org>", subject="Leaking machine", **extra):
    message = EmailMessage()
    message["From"] = sender
    message["To"] = extra.pop("to", ADDRESS)
    message["Subject"] = subject
    message["Message-ID"] = extra.pop("message_id", "<m1@mail.example.org>")
    for name, value in extra.pop("headers", {}).items():
        message[name] = value
    message.set_content(extra.pop("text", "My washing machine leaks from the first wash."))
    for content, name, kind in extra.pop("files", ()):
        maintype, subtype = kind.split("/")
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=name)
    return message


def send(port, message, to=ADDRESS, sender=None):
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        return smtp.send_message(message, from_addr=sender, to_addrs=[to])


def rows(app):
    with app.app_context():
        found = list(db.session.scalars(db.select(InboundMail).order_by(InboundMail.id)))
        db.session.expunge_all()
        return found


def test_a_new_email_waits_for_intake_and_becomes_a_complaint_with_its_photo(app, client, mailbox):
    send(
        mailbox,
        email(
            files=[
                (PNG, "leak.png", "image/png"),
                (EXECUTABLE, "x.exe", "application/octet-stream"),
            ]
        ),
    )
    [mail] = rows(app)
    assert (mail.status, mail.sender, mail.subject) == (
        "new",
        "aminata@example.org",
        "Leaking machine",
    )
    assert (
        (Path(app.config["INBOUND_MAIL_DIR"]) / mail.stored_name).read_bytes().startswith(b"From")
    )

    login(client, "agent")
    listing = client.get("/intake/mail").get_data(as_text=True)
    assert "Leaking machine" in listing and "leaks from the first wash" in listing
    assert "leak.png" in listing
    form = html.unescape(client.get(f"/intake?mail={mail.id}").get_data(as_text=True))
    assert 'value="aminata@example.org"' in form and 'value="Aminata Diallo"' in form
    assert "My washing machine leaks from the first wash." in form
    fields = {
        "channel": "email",
        "complainant_name": "Aminata Diallo",
        "email": "aminata@example.org",
        "preferred_contact": "email",
        "description": "Leaking machine\n\nMy washing machine leaks from the first wash.",
        "attestation": "y",
        "consent_recorded": "y",
        "language": "en",
    }
    response = post_form(
        client, f"/intake?mail={mail.id}", fields, form_url=f"/intake?mail={mail.id}"
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    with app.app_context():
        handled = db.session.get(InboundMail, mail.id)
        assert handled.status == "intake" and handled.complaint_id is not None
        assert "x.exe" in handled.reason
        complaint = db.session.get(Complaint, handled.complaint_id)
        assert complaint.channel == "email"
        files = db.session.scalars(
            db.select(Attachment).where(Attachment.complaint_id == complaint.id)
        ).all()
        assert [f.filename for f in files] == ["leak.png"]
    assert "Leaking machine" not in client.get("/intake/mail").get_data(as_text=True)


def _awaiting_information(app):
    with app.app_context():
        complaint = j.file()
        j.complete(
            complaint,
            "register_complaint",
            registration_outcome="incomplete",
            form_complete=False,
            missing_information="A copy of your invoice.",
        )
        return complaint.reference, complaint.id


def test_an_email_naming_the_reference_answers_the_information_request_once_confirmed(
    app, client, mailbox
):
    """From the address on file with the reference in the subject: it waits on the case's
    page, answers nothing, until someone working on the case confirms it."""
    reference, complaint_id = _awaiting_information(app)
    send(
        mailbox,
        email(
            subject=f"Re: We need more information about complaint {reference}",
            text="Invoice number 4711, paid on 1 October.",
            files=[(PNG, "invoice.png", "image/png")],
        ),
    )
    [mail] = rows(app)
    assert (mail.status, mail.complaint_id) == ("unconfirmed", complaint_id)
    with app.app_context():
        complaint = db.session.get(Complaint, complaint_id)
        assert "information_reply" not in workflows.case_data(complaint)
        assert "register_complaint" not in j.open_names(complaint)  # still waiting
    assert "Invoice number 4711" not in client.get("/intake/mail").get_data(as_text=True)
    login(client, "supervisor")
    page = client.get(f"/complaints/{complaint_id}").get_data(as_text=True)
    assert "Emails that name this case" in page and "Invoice number 4711" in page
    url = f"/complaints/{complaint_id}/emails/{mail.id}/confirm"
    response = post_form(client, url, {}, form_url=f"/complaints/{complaint_id}")
    assert response.status_code == 302
    [mail] = rows(app)
    assert (mail.status, mail.complaint_id) == ("attached", complaint_id)
    with app.app_context():
        complaint = db.session.get(Complaint, complaint_id)
        data = workflows.case_data(complaint)
        assert "Invoice number 4711" in str(data.get("information_reply"))
        assert "register_complaint" in j.open_names(complaint)  # registration resumes
        assert [
            a.filename
            for a in db.session.scalars(
                db.select(Attachment).where(Attachment.complaint_id == complaint_id)
            )
        ] == ["invoice.png"]
        confirmed = db.session.scalar(
            db.select(AuditEvent).where(
                AuditEvent.complaint_id == complaint_id, AuditEvent.kind == "email_confirmed"
            )
        )
        assert confirmed.actor.username == "supervisor"
    page = client.get(f"/complaints/{complaint_id}").get_data(as_text=True)
    assert "Emails that name this case" not in page
    assert "Email confirmed as the complainant&#39;s" in page
    assert post_form(client, url, {}, form_url=f"/complaints/{complaint_id}").status_code == 404


def test_a_forged_sender_naming_the_reference_reaches_nothing_and_can_be_set_aside(
    app, client, mailbox
):
    """Anyone can write the complainant's address in From: (the envelope is another's):
    the email neither answers the procedure nor joins the case until staff look at it."""
    reference, complaint_id = _awaiting_information(app)
    send(
        mailbox,
        email(subject=f"Re: {reference}", text="Never mind, all is fine."),
        sender="attacker@evil.example",
    )
    [mail] = rows(app)
    assert mail.status == "unconfirmed"
    with app.app_context():
        complaint = db.session.get(Complaint, complaint_id)
        assert complaint.status == "awaiting_information"
        assert "information_reply" not in workflows.case_data(complaint)
        assert not db.session.scalars(
            db.select(AuditEvent).where(
                AuditEvent.complaint_id == complaint_id, AuditEvent.kind == "message_received"
            )
        ).all()
    # An analyst reads complaints but works on none: not theirs to confirm.
    login(client, "analyst")
    url = f"/complaints/{complaint_id}/emails/{mail.id}"
    assert "Never mind" not in client.get(f"/complaints/{complaint_id}").get_data(as_text=True)
    refused = post_form(client, url + "/confirm", {}, form_url=f"/complaints/{complaint_id}")
    assert refused.status_code == 403
    assert rows(app)[0].status == "unconfirmed"
    login(client, "supervisor")
    post_form(client, "/lang/fr", {}, form_url="/inbox")
    page = client.get(f"/complaints/{complaint_id}").get_data(as_text=True)
    assert "Courriels qui citent ce dossier" in page
    response = post_form(client, url + "/set-aside", {}, form_url=f"/complaints/{complaint_id}")
    assert response.status_code == 302
    [mail] = rows(app)
    assert (mail.status, mail.handled_by_id is not None) == ("refused", True)
    with app.app_context():
        complaint = db.session.get(Complaint, complaint_id)
        assert complaint.status == "awaiting_information"
        kinds = [e.kind for e in db.session.scalars(
            db.select(AuditEvent).where(AuditEvent.complaint_id == complaint_id)
        )]  # fmt: skip
        assert "email_set_aside" in kinds and "message_received" not in kinds


def test_a_reply_to_the_tagged_address_goes_on_the_timeline(app, mailbox):
    with app.app_context():
        complaint = j.to_classification()
        complaint_id = complaint.id
        tagged = inbound_mail.reply_address(complaint, ADDRESS, app.config["SECRET_KEY"])
    assert re.fullmatch(r"reclamations\+c-\d{4}-\d{6}\.[0-9a-f]{16}@example\.org", tagged)
    send(
        mailbox,
        email(sender="someone.else@example.net", subject="Thanks", text="Any news?"),
        to=tagged,
    )
    [mail] = rows(app)
    assert (mail.status, mail.complaint_id) == ("attached", complaint_id)
    with app.app_context():
        event = db.session.scalar(
            db.select(AuditEvent).where(
                AuditEvent.complaint_id == complaint_id, AuditEvent.task_name == "email_received"
            )
        )
        assert event.kind == "message_received" and event.public
        assert event.data["text"] == "Any news?"
    forged = re.sub(r"\.[0-9a-f]{16}@", "." + "0" * 16 + "@", tagged)
    send(mailbox, email(subject="Forged", message_id="<m2@x>"), to=forged)
    assert rows(app)[-1].status == "new"


def test_the_intake_form_opens_only_emails_waiting_for_intake(app, client, mailbox):
    """A reply that reached a confidential case is the focal point's to read: the intake
    form (?mail=ID) does not open it for an intake agent, nor an email already recorded."""
    with app.app_context():
        complaint = j.file(sensitive_at_intake=True, email="aminata@example.org")
        assert complaint.confidential
        reference = complaint.reference
    send(mailbox, email(subject=f"Re: {reference}", text="He waited for me outside again."))
    send(mailbox, email(message_id="<m2@mail.example.org>"))
    reply, new = rows(app)
    assert (reply.status, new.status) == ("unconfirmed", "new")
    login(client, "agent")
    answer = client.get(f"/intake?mail={reply.id}")
    assert answer.status_code == 404
    assert "He waited for me" not in answer.get_data(as_text=True)
    assert "aminata@example.org" not in answer.get_data(as_text=True)
    fields = {
        "channel": "email",
        "complainant_name": "Aminata Diallo",
        "email": "aminata@example.org",
        "preferred_contact": "email",
        "description": "My washing machine leaks from the first wash.",
        "attestation": "y",
        "consent_recorded": "y",
        "language": "en",
    }
    url = f"/intake?mail={new.id}"
    assert post_form(client, url, fields, form_url=url).status_code == 302
    assert client.get(url).status_code == 404  # recorded: its page is the complaint's now


def test_a_reference_from_an_address_not_on_file_waits_for_staff(app, client, mailbox):
    with app.app_context():
        reference = j.to_classification().reference
    send(mailbox, email(sender="stranger@example.net", subject=f"About {reference}"))
    [mail] = rows(app)
    assert mail.status == "new" and mail.complaint_id is None
    assert "not on file" in mail.reason
    login(client, "agent")
    post_form(client, "/lang/fr", {}, form_url="/inbox")
    listed = html.unescape(client.get("/intake/mail").get_data(as_text=True))
    assert f"Cite {reference}, mais vient d'une adresse qui n'est pas celle du dossier." in listed


def test_oversized_mail_is_refused_with_552(app, mailbox):
    big = email(files=[(b"%PDF-1.4\n" + b"0" * 300_000, "big.pdf", "application/pdf")])
    with pytest.raises((smtplib.SMTPSenderRefused, smtplib.SMTPDataError)) as refused:
        send(mailbox, big)
    assert refused.value.smtp_code == 552
    assert rows(app) == []


def test_spam_is_refused_clearly(app, mailbox):
    with pytest.raises(smtplib.SMTPDataError) as flagged:
        send(mailbox, email(headers={"X-Spam-Flag": "YES"}))
    assert flagged.value.smtp_code == 550
    assert b"spam (X-Spam-Flag: YES)" in flagged.value.smtp_error
    with pytest.raises(smtplib.SMTPSenderRefused) as blocked:
        send(mailbox, email(sender="x@spam.example"), sender="x@spam.example")
    assert blocked.value.smtp_code == 550 and b"blocklist" in blocked.value.smtp_error
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        send(mailbox, email(), to="someone@example.org")
    assert rows(app) == []


@pytest.fixture
def lmtp_mailbox(app, tmp_path):
    """The complaints mailbox speaking LMTP (`flask receive-mail --lmtp`); its port."""
    app.config.update(
        INBOUND_MAIL_DIR=str(tmp_path / "inbound-lmtp"),
        INBOUND_MAX_SIZE=200_000,
        COMPLAINTS_EMAIL=ADDRESS,
    )
    port = free_port()
    server = controller(app, "127.0.0.1", port, lmtp=True)
    server.start()
    yield port
    server.stop()


def test_a_reply_to_our_message_reaches_its_case_by_in_reply_to(app, mailbox, smtp_server):
    # Our acknowledgement goes out with our Message-ID; the reply names it in In-Reply-To,
    # from an address not on file, to the untagged address, without the reference.
    with app.app_context():
        complaint = j.to_classification()
        complaint_id = complaint.id
        deliver_once(settings_for(app, smtp_server))
    [ours] = smtp_server.messages
    reply = email(
        sender="a.friend@example.net",
        subject="Re: hello",
        text="My neighbour's machine leaks too.",
        message_id="<reply-1@example.net>",
        headers={"In-Reply-To": ours["Message-ID"], "References": ours["Message-ID"]},
    )
    send(mailbox, reply)

    [mail] = rows(app)
    assert (mail.status, mail.complaint_id) == ("attached", complaint_id)
    assert "answers our message" in mail.reason
    with app.app_context():
        event = db.session.scalar(
            db.select(AuditEvent).where(
                AuditEvent.complaint_id == complaint_id, AuditEvent.task_name == "email_received"
            )
        )
        assert event.public and event.data["text"] == "My neighbour's machine leaks too."
    # A Message-ID that is not one of ours leads nowhere.
    send(mailbox, email(subject="Re: hello", headers={"In-Reply-To": "<not-ours@x>"}))
    assert rows(app)[-1].status == "new"


def test_the_receiver_speaks_lmtp_with_one_answer_per_recipient(app, lmtp_mailbox):
    with app.app_context():
        complaint = j.file()
        j.complete(
            complaint,
            "register_complaint",
            registration_outcome="incomplete",
            form_complete=False,
            missing_information="A copy of your invoice.",
        )
        reference, complaint_id = complaint.reference, complaint.id
        tagged = inbound_mail.reply_address(complaint, ADDRESS, app.config["SECRET_KEY"])
    reply = email(subject=f"Re: complaint {reference}", text="Invoice number 4711.", to=tagged)
    with smtplib.LMTP("127.0.0.1", lmtp_mailbox) as lmtp:
        assert lmtp.docmd("HELO", "example.org")[0] == 500  # LMTP greets with LHLO only
        assert lmtp.ehlo("mta.example.org")[0] == 250  # LHLO
        assert lmtp.mail("aminata@example.org")[0] == 250
        assert lmtp.rcpt(tagged)[0] == 250  # our reply address, as our messages give it
        assert lmtp.rcpt("reclamations+archive@example.org")[0] == 250
        assert lmtp.rcpt("someone@example.org")[0] == 550  # not our mailbox
        first = lmtp.data(reply.as_bytes())  # the answer for the first recipient…
        second = lmtp.getreply()  # …and one for the second
        assert first[0] == second[0] == 250 and b"attached" in first[1]

    [mail] = rows(app)  # kept once
    assert (mail.status, mail.complaint_id) == ("attached", complaint_id)
    with app.app_context():
        data = workflows.case_data(db.session.get(Complaint, complaint_id))
        assert "Invoice number 4711" in str(data.get("information_reply"))


def test_receive_mail_has_an_lmtp_option(runner):
    result = runner.invoke(args=["receive-mail", "--help"])
    assert result.exit_code == 0 and "--lmtp" in result.output


def test_receive_mail_does_not_default_to_the_mail_catchers_port(runner):
    """Both run in the demo: started with their defaults, the second would not bind."""

    def default_port(command):
        return next(p.default for p in command.params if p.name == "port")

    assert default_port(receive_mail) == 8026 != default_port(mail_catcher)
    result = runner.invoke(args=["receive-mail", "--help"])
    assert "[default: 8026]" in result.output
