"""The ways a message leaves us: email over SMTP, SMS through an HTTP JSON gateway, and
webhooks (signed JSON POSTed to an integrator).

No database here: services/delivery.py claims a row, calls one of these, records the result.
Each transport returns the provider's id for the message, raises PermanentError when trying
again cannot help (the address is refused) and TransientError when it may (server down).
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import json
import smtplib
import socket
import ssl
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from email.header import Header
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from typing import Any


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


class _Subject(str):
    """A subject folded by the legacy email.header encoder.

    The email package's own folding (Python 3.11) splits a long non-ASCII subject between two
    encoded words at a space and leaves the space outside both, where RFC 2047 says readers
    drop it: "a bien été reçue" arrived as "a bien étéreçue". The legacy encoder keeps each
    space inside an encoded word. An object with `name` and `fold` is used as is by the
    message's policy (email.policy.EmailPolicy); ASCII subjects fold as usual."""

    name = "Subject"

    def fold(self, *, policy: Any) -> str:
        if self.isascii():
            return policy.header_factory(self.name, str(self)).fold(policy=policy)
        encoded = Header(str(self), "utf-8", header_name=self.name).encode(linesep=policy.linesep)
        return f"{self.name}: {encoded}{policy.linesep}"


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
    message["Subject"] = _Subject(subject)
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


# --- webhooks -------------------------------------------------------------------------------


@dataclass(frozen=True)
class WebhookSettings:
    """Where webhooks may go: public https addresses only, unless the operator allows
    private ones (WEBHOOK_ALLOW_PRIVATE_TARGETS: an internal integrator, the tests), which
    also allows plain http."""

    allow_private: bool = False
    timeout: float = 10.0


class TargetRefused(PermanentError):
    """The webhook's address is not one we send to; `reason` says why, for the words a
    person reads: "scheme" (not https, or no host), "port" (not 1 to 65535), "userinfo"
    (a user name or password in it) or "private" (loopback, private, reserved)."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


SIGNATURE_HEADER = "Complaintflow-Signature"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header's value: t=<unix time>,v1=<hex HMAC-SHA256 of "t.body">."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def check_target(url: str, *, allow_private: bool) -> list[str]:
    """The addresses `url`'s host resolves to, all of them public; else TargetRefused
    (TransientError when the name does not resolve now)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise TargetRefused("the address must be an https URL", "scheme")
    if parts.scheme == "http" and not allow_private:
        raise TargetRefused("the address must use https", "scheme")
    if parts.username is not None or parts.password is not None:
        raise TargetRefused("the address must not contain a user name or password", "userinfo")
    port = target_port(parts)
    try:
        found = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, ValueError) as exc:
        raise TransientError(f"the host name {parts.hostname} does not resolve: {exc}") from exc
    addresses = sorted({str(info[4][0]) for info in found})
    if not allow_private:
        for address in addresses:
            if not is_public(address):
                raise TargetRefused(f"{parts.hostname} is a private or reserved address", "private")
    return addresses


def target_port(parts: urllib.parse.SplitResult) -> int:
    """The port a webhook goes to: the address's own, else the scheme's; TargetRefused for
    one that is not a number from 1 to 65535 (":0" is not "no port")."""
    try:
        port = parts.port
    except ValueError as exc:  # not a number, or past 65535
        raise TargetRefused("the address's port is not a number from 1 to 65535", "port") from exc
    if port is None:
        return 443 if parts.scheme == "https" else 80
    if not 1 <= port <= 65535:
        raise TargetRefused("the address's port is not a number from 1 to 65535", "port")
    return port


# IPv6 prefixes that carry an IPv4 address a gateway may deliver to: NAT64's well-known prefix
# (RFC 6052, the last 32 bits) and its local-use one (RFC 8215, a network's own translator).
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")


def is_public(address: str) -> bool:
    """Whether a webhook may go to this address: a global one, and for IPv6 one whose
    embedded IPv4 address (mapped, IPv4-compatible, 6to4, Teredo, NAT64) is global too;
    Python calls ::127.0.0.1, 2002:7f00:1:: and 64:ff9b::7f00:1 global, yet each can reach
    127.0.0.1 through a host or gateway that translates."""
    found = ipaddress.ip_address(address.split("%")[0])
    if not found.is_global:
        return False
    if isinstance(found, ipaddress.IPv4Address):
        return True
    if found in _NAT64_LOCAL:
        return False
    low = ipaddress.IPv4Address(int(found) & 0xFFFFFFFF)
    embedded = [found.ipv4_mapped, found.sixtofour, *(found.teredo or ())]
    if int(found) >> 32 == 0 or found in _NAT64:  # ::a.b.c.d (IPv4-compatible), NAT64
        embedded.append(low)
    return all(v4 is None or v4.is_global for v4 in embedded)


def post_webhook(
    settings: WebhookSettings, *, url: str, body: bytes, secret: str, event_id: str, now: int
) -> str:
    """POST the signed event to `url` (checked again now: DNS may have changed since it was
    saved; the connection goes to the address checked); returns "HTTP <status>"."""
    addresses = check_target(url, allow_private=settings.allow_private)
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    port = target_port(parts)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connection = _PinnedConnection(
        host, port, addresses[0], https=parts.scheme == "https", timeout=settings.timeout
    )
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "complaintflow-webhooks/1",
        "Complaintflow-Event-Id": event_id,
        SIGNATURE_HEADER: sign(secret, now, body),
    }
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        answer = response.read(300)
    except (OSError, http.client.HTTPException) as exc:
        raise TransientError(f"{type(exc).__name__}: {exc}") from exc
    finally:
        connection.close()
    if 200 <= response.status < 300:
        return f"HTTP {response.status}"
    said = _text(answer).strip()  # an empty answer adds nothing ("HTTP 500:" had a colon)
    error = f"HTTP {response.status}: {said}" if said else f"HTTP {response.status}"
    if response.status == 410:  # the receiver says the endpoint is gone for good
        raise PermanentError(error)
    raise TransientError(error)


class _PinnedConnection(http.client.HTTPSConnection):
    """An HTTP(S) connection to the address checked, with the URL's host name in the Host
    header and (https) the certificate check: no second DNS answer can redirect it."""

    def __init__(self, host: str, port: int, address: str, *, https: bool, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address
        self._https = https

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        if self._https:
            sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]
        self.sock = sock
