"""The ways a message leaves us: email over SMTP and SMS through an HTTP JSON gateway.

No database here: services/delivery.py claims a row, calls one of these, records the result.
Each transport returns the provider's id for the message, raises PermanentError when trying
again cannot help (the address is refused) and TransientError when it may (server down).
"""

from __future__ import annotations

import json
import smtplib
import ssl
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, parseaddr


class DeliveryError(Exception):
    """A message could not be handed over."""


class PermanentError(DeliveryError):
    """Trying again will not help: the provider refused the message or its address."""


class TransientError(DeliveryError):
    """Trying again later may help: the provider was unreachable or busy."""


@dataclass(frozen=True)
class MailSettings:
    """How to reach the SMTP server (from the environment, see app/config.py)."""

    server: str = "localhost"
    port: int = 25
    use_tls: bool = False  # STARTTLS after connecting
    use_ssl: bool = False  # TLS from the first byte (port 465)
    username: str = ""
    password: str = ""
    sender: str = "complaints@example.org"
    reply_to: str = ""
    timeout: float = 30.0


@dataclass(frozen=True)
class SmsSettings:
    """The HTTP JSON gateway: POST {"to", "text"} with a bearer token; answers {"id": …}."""

    url: str = ""
    token: str = ""
    timeout: float = 15.0


@dataclass(frozen=True)
class Attachment:
    """A file sent with an email."""

    filename: str
    content_type: str
    content: bytes


def build_email(
    settings: MailSettings,
    *,
    to: str,
    subject: str,
    text: str,
    html: str = "",
    attachment: Attachment | None = None,
    id_hint: str = "",
) -> EmailMessage:
    """The email: a plain-text part, an HTML alternative when given, the file attached."""
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    domain = parseaddr(settings.sender)[1].rpartition("@")[2] or "localhost"
    # Our own Message-ID, so the id we record is known before the server answers and
    # replies (In-Reply-To) can be matched to the message.
    # Short enough never to be folded onto a second line.
    message["Message-ID"] = f"<{id_hint}{'.' if id_hint else ''}{uuid.uuid4().hex}@{domain}>"
    if settings.reply_to:
        message["Reply-To"] = settings.reply_to
    message.set_content(text)
    if html:
        message.add_alternative(html, subtype="html")
    if attachment is not None:
        maintype, _, subtype = attachment.content_type.partition("/")
        message.add_attachment(
            attachment.content,
            maintype=maintype or "application",
            subtype=subtype or "octet-stream",
            filename=attachment.filename,
        )
    return message


def send_email(settings: MailSettings, message: EmailMessage) -> str:
    """Hand the email to the SMTP server over a connection of its own; returns its Message-ID."""
    with Mailer(settings) as mailer:
        return mailer.send(message)


class Mailer:
    """One SMTP connection reused for a round of messages, opened on the first one.

    A connection per message costs a TCP and TLS handshake and a login each time; after an
    error the connection is dropped and the next message opens a fresh one.
    """

    def __init__(self, settings: MailSettings) -> None:
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> Mailer:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _connect(self) -> smtplib.SMTP:
        settings = self.settings
        smtp: smtplib.SMTP
        if settings.use_ssl:
            smtp = smtplib.SMTP_SSL(
                settings.server,
                settings.port,
                timeout=settings.timeout,
                context=ssl.create_default_context(),
            )
        else:
            smtp = smtplib.SMTP(settings.server, settings.port, timeout=settings.timeout)
        try:
            if settings.use_tls and not settings.use_ssl:
                smtp.starttls(context=ssl.create_default_context())
            if settings.username:
                smtp.login(settings.username, settings.password)
        except BaseException:
            smtp.close()
            raise
        return smtp

    def send(self, message: EmailMessage) -> str:
        """Send one email; returns its Message-ID. Raises PermanentError or TransientError."""
        try:
            if self._smtp is None:
                self._smtp = self._connect()
            self._smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            self.close()
            codes = [code for code, _reason in exc.recipients.values()]
            error = f"recipient refused: {_describe(exc.recipients)}"
            if all(code >= 500 for code in codes):
                raise PermanentError(error) from exc
            raise TransientError(error) from exc
        except smtplib.SMTPDataError as exc:
            self.close()
            error = f"message refused: {exc.smtp_code} {_text(exc.smtp_error)}"
            if exc.smtp_code >= 500:
                raise PermanentError(error) from exc
            raise TransientError(error) from exc
        except (smtplib.SMTPException, OSError) as exc:
            # Connection refused, timeouts, TLS and authentication problems: the settings or
            # the server may be fixed before the last attempt.
            self.close()
            raise TransientError(f"{type(exc).__name__}: {exc}") from exc
        return str(message["Message-ID"])

    def close(self) -> None:
        """Say goodbye to the server, if connected; errors here change nothing."""
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()


def send_sms(settings: SmsSettings, *, to: str, text: str) -> str:
    """POST the text to the gateway; returns the gateway's id for it."""
    if not settings.url:
        raise TransientError("no SMS gateway configured (SMS_GATEWAY_URL)")
    body = json.dumps({"to": to, "text": text}).encode()
    request = urllib.request.Request(  # noqa: S310 - the URL comes from the operator's settings
        settings.url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "Accept": "application/json"},
    )
    if settings.token:
        request.add_header("Authorization", f"Bearer {settings.token}")
    try:
        with urllib.request.urlopen(request, timeout=settings.timeout) as response:  # noqa: S310
            answer = response.read()
    except urllib.error.HTTPError as exc:
        error = f"gateway answered {exc.code}: {_text(exc.read()[:300])}"
        # 4xx: the request itself is wrong (a bad number), except "slow down" and timeouts.
        if 400 <= exc.code < 500 and exc.code not in (408, 425, 429):
            raise PermanentError(error) from exc
        raise TransientError(error) from exc
    except (urllib.error.URLError, OSError) as exc:
        raise TransientError(f"gateway unreachable: {exc}") from exc
    try:
        data = json.loads(answer or b"{}")
    except ValueError:
        data = {}
    identifier = data.get("id") or data.get("message_id") if isinstance(data, dict) else None
    # Accepted without an id: still accepted, and must not be sent twice.
    return str(identifier) if identifier else "accepted-without-id"


def _describe(recipients: dict[str, tuple[int, bytes]]) -> str:
    return "; ".join(f"{to}: {code} {_text(reason)}" for to, (code, reason) in recipients.items())


def _text(value: bytes | str) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)
