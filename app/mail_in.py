"""`flask receive-mail`: the SMTP (or LMTP) server an MTA forwards the complaints address to.

LMTP (`--lmtp`, RFC 2033) is what an MTA such as Postfix speaks to a local mailbox
(`lmtp:inet:127.0.0.1:8026`): the same checks, with one answer per recipient after DATA.

Refused at SMTP level, so the sending server tells its user: mail larger than
INBOUND_MAX_SIZE (552, aiosmtpd's "Too much mail data" / "message size exceeds fixed maximum
message size"), mail for any other address than COMPLAINTS_EMAIL (with or without a
+tag) (550 5.1.1), and spam (550 5.7.1): mail whose X-Spam-Flag header says YES (added by
SpamAssassin or rspamd in front of us) or whose sender, or sender's @domain, is in
INBOUND_BLOCKLIST. Everything else is handed to services/inbound_mail.py and committed
before we answer 250, so an accepted message is never lost.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, cast

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from services import inbound_mail
from services.db import db, write_transactions

if TYPE_CHECKING:  # aiosmtpd (and asyncio) are loaded by this command, not by every worker
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import SMTP, Envelope, Session


class ComplaintsMailbox:
    """aiosmtpd handler: accept mail for the complaints address, refuse spam, store the rest."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.address = str(app.config["COMPLAINTS_EMAIL"]).lower()
        self.rule = inbound_mail.SpamRule.from_setting(app.config["INBOUND_BLOCKLIST"])

    async def handle_MAIL(  # noqa: N802 - aiosmtpd's hook name
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        mail_options: list[str],
    ) -> str:
        """Refuse a blocklisted sender before the message is sent."""
        if self.rule.blocks_sender(address):
            return "550 5.7.1 Refused as spam: the sender is on our blocklist"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(  # noqa: N802
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        """Take mail for the complaints address (complaints+anything@ too), nothing else."""
        local, _, domain = address.lower().partition("@")
        wanted_local, _, wanted_domain = self.address.partition("@")
        if domain != wanted_domain or local.split("+", 1)[0] != wanted_local:
            return f"550 5.1.1 No such mailbox here; write to {self.address}"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        """Refuse spam; store the message and take it to its case, committed before 250."""
        from aiosmtpd.lmtp import LMTP

        status = self._store(envelope)
        if isinstance(server, LMTP):
            # LMTP answers DATA once per accepted recipient; every one of ours is the
            # complaints mailbox, which keeps the message once.
            return "\r\n".join([status] * max(1, len(envelope.rcpt_tos)))
        return status

    def _store(self, envelope: Envelope) -> str:
        """The answer to the message: refused as spam, kept (250), or try later (451)."""
        raw = envelope.original_content or b""
        spam = self.rule.refusal(envelope.mail_from or "", raw)
        if spam is not None:
            return f"550 5.7.1 Refused as spam: {spam}"
        # One message at a time on the event loop's thread: a complaints mailbox is not busy
        # enough to need a pool, and the sender waits for our answer either way.
        with self.app.app_context():
            try:
                mail = inbound_mail.receive(
                    raw,
                    sender=envelope.mail_from or "",
                    recipients=list(envelope.rcpt_tos),
                    mail_dir=self.app.config["INBOUND_MAIL_DIR"],
                    upload_dir=self.app.config["UPLOAD_DIR"],
                    secret=self.app.config["SECRET_KEY"],
                )
                db.session.commit()
                status = mail.status
            except Exception:  # noqa: BLE001 - the sender must retry, not lose the message
                db.session.rollback()
                current_app.logger.exception("receive-mail: could not store a message")
                return "451 4.3.0 Could not store the message now; please try again later"
            finally:
                db.session.remove()
        return f"250 2.0.0 Received ({status})"


def controller(app: Flask, host: str, port: int, *, lmtp: bool = False) -> Controller:
    """An SMTP (or LMTP) server for the complaints mailbox, not yet started."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.lmtp import LMTP

    class LmtpController(Controller):
        """aiosmtpd's threaded controller, speaking LMTP instead of SMTP."""

        def factory(self) -> LMTP:
            """An LMTP server for each connection, with the controller's settings."""
            return LMTP(self.handler, **self.SMTP_kwargs)

    return (LmtpController if lmtp else Controller)(
        ComplaintsMailbox(app),
        hostname=host,
        port=port,
        data_size_limit=int(app.config["INBOUND_MAX_SIZE"]),
        server_hostname="complaintflow",
    )


@click.command("receive-mail")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
# Not 8025: the demo's mail catcher (flask mail-catcher) listens there.
@click.option("--port", default=8026, show_default=True, help="Port the MTA forwards to.")
@click.option("--lmtp", is_flag=True, help="Speak LMTP (RFC 2033) instead of SMTP.")
@with_appcontext
def receive_mail(host: str, port: int, lmtp: bool) -> None:
    """Receive the complaints mailbox by SMTP or LMTP: new complaints, replies to cases."""
    # The handler outlives this context: it needs the application itself, not the proxy.
    app: Flask = cast(Any, current_app)._get_current_object()
    write_transactions(db.engine)
    server = controller(app, host, port, lmtp=lmtp)
    server.start()
    click.echo(
        f"Receiving mail for {app.config['COMPLAINTS_EMAIL']} by {'LMTP' if lmtp else 'SMTP'} "
        f"on {host}:{port}; Ctrl-C to stop."
    )
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        click.echo("Mail receiver stopped.")
    finally:
        server.stop()
