"""HTTP hardening: secure cookies, security headers, trusted hosts, proxies, limiter storage."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Flask, Response, current_app, request
from flask_babel import get_locale
from werkzeug.exceptions import SecurityError
from werkzeug.middleware.proxy_fix import ProxyFix

from app.core import loading_commands
from services import sealing

if TYPE_CHECKING:
    from cryptography.fernet import Fernet

# Every script and style comes from app/static (bpmn-js and dmn-js included); nothing inline.
# img-src allows data: and blob: for the diagram exports and bpmn-js's icons.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
# dmn-js (through min-dom's domify) builds parts of the decision-table editor from HTML with
# style="..." attributes, so the editor page alone allows inline style *attributes*: they
# cannot run script, and img-src keeps url() on our origin. <style> elements stay refused.
RELAXED_STYLE_ENDPOINTS = frozenset({"processes.editor"})
EDITOR_CONTENT_SECURITY_POLICY = (
    CONTENT_SECURITY_POLICY + "; style-src-elem 'self'; style-src-attr 'unsafe-inline'"
)
HSTS = "max-age=31536000"
DEFAULT_HOSTS = ["localhost", "127.0.0.1"]
# The answers whose words are in the reader's language: pages, and errors for programs.
JSON_TYPES = frozenset({"application/json", "application/problem+json"})


def apply_security(app: Flask) -> None:
    """Apply the security settings that depend on the final configuration."""
    relaxed = bool(app.config["DEMO"] or app.testing or app.debug)
    _check_limiter_storage(app, relaxed)
    secure = app.config.get("SECURE_COOKIES")
    if secure is None:
        secure = not relaxed
    app.config["SESSION_COOKIE_SECURE"] = secure
    app.config["REMEMBER_COOKIE_SECURE"] = secure
    if app.config.get("TRUSTED_HOSTS") is None:
        server_name = app.config.get("SERVER_NAME")
        app.config["TRUSTED_HOSTS"] = [server_name.split(":")[0]] if server_name else DEFAULT_HOSTS
    counts = {
        "x_for": app.config.get("PROXY_FIX_X_FOR", 0),
        "x_proto": app.config.get("PROXY_FIX_X_PROTO", 0),
        "x_host": app.config.get("PROXY_FIX_X_HOST", 0),
    }
    if any(counts.values()):
        # Trust exactly this many proxies' X-Forwarded-* headers, no more (spoofing).
        app.wsgi_app = ProxyFix(app.wsgi_app, **counts)  # type: ignore[method-assign]
    app.after_request(security_headers)
    app.after_request(content_language)
    app.register_error_handler(SecurityError, untrusted_host)


def untrusted_host(exc: SecurityError) -> Any:
    """A Host header outside TRUSTED_HOSTS: a bare answer, since no URL can be built for it."""
    return Response("Bad Request: unknown host.", status=400, mimetype="text/plain")


def security_headers(response: Any) -> Any:
    """Headers on every answer; a blueprint's own choice (Referrer-Policy) is kept."""
    headers = response.headers
    editor = request.endpoint in RELAXED_STYLE_ENDPOINTS
    policy = EDITOR_CONTENT_SECURITY_POLICY if editor else CONTENT_SECURITY_POLICY
    headers.setdefault("Content-Security-Policy", policy)
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    if current_app.config["SESSION_COOKIE_SECURE"]:
        headers.setdefault("Strict-Transport-Security", HSTS)
    if request.endpoint != "static":
        # Words (pages, errors) follow Accept-Language: caches must keep one copy per language.
        response.vary.add("Accept-Language")
    if not _says_when_to_retry(response.status_code):
        # Flask-Limiter sends Retry-After on every answer of a limited route: a client reading
        # it on a 201 would wait for nothing. It belongs to a refusal (429, 503) or a redirect.
        headers.pop("Retry-After", None)
    return response


def _says_when_to_retry(status: int) -> bool:
    return status in (429, 503) or 300 <= status < 400


def content_language(response: Any) -> Any:
    """Content-Language (en or fr, as the words were chosen) on pages and JSON answers (their
    errors and labels, such as a complaint's status_label, are in the reader's language);
    security_headers adds Vary: Accept-Language, where the language may come from."""
    if request.endpoint == "static":
        return response
    if response.mimetype == "text/html" or response.mimetype in JSON_TYPES:
        response.headers.setdefault("Content-Language", str(get_locale() or "en"))
    return response


def _check_limiter_storage(app: Flask, relaxed: bool) -> None:
    # In-memory counters are per process: n workers would each allow the full limit. The
    # flask CLI's commands serve no request, and `flask check-config` (run with the stack's
    # WEB_CONCURRENCY) names this among every other problem instead of stopping on it.
    storage = str(app.config.get("RATELIMIT_STORAGE_URI", "memory://"))
    workers = int(app.config.get("WEB_CONCURRENCY") or 1)
    if relaxed or loading_commands():
        return
    if workers > 1 and storage.startswith("memory://"):
        raise RuntimeError(
            f"RATELIMIT_STORAGE_URI is {storage} with WEB_CONCURRENCY={workers}: each worker "
            "would count on its own. Set RATELIMIT_STORAGE_URI=redis://HOST:6379 (shared)."
        )


def seal(text: str) -> str:
    """Encrypt a secret for the (signed, not encrypted) session cookie."""
    return _fernet().encrypt(text.encode()).decode()


def unseal(sealed: str, max_age: int | None = None) -> str | None:
    """The secret sealed by `seal`, or None if it was not sealed with this SECRET_KEY (or,
    with `max_age`, was sealed more than that many seconds ago)."""
    from cryptography.fernet import InvalidToken

    try:
        return _fernet().decrypt(sealed.encode(), ttl=max_age).decode()
    except (InvalidToken, ValueError):
        return None


def _fernet() -> Fernet:
    # cryptography (about 8 MiB) is loaded by the public form's first seal, not by every worker.
    from cryptography.fernet import Fernet

    # A key of its own, derived from SECRET_KEY: the cookie signature key is never reused.
    secret_key = str(current_app.config["SECRET_KEY"])
    return Fernet(sealing.derive(secret_key, info=b"complaintflow session secrets"))
