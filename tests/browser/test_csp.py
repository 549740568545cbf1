"""The strict Content-Security-Policy holds in a real browser: the bpmn-js viewer on a task
page and the bpmn-js/dmn-js modelers of the editor work without any violation."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests import journeys
from tests.browser.conftest import login

pytestmark = pytest.mark.browser

# Records every violation the page reports, including those of scripts and styles added later.
LISTEN = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  const where = `${event.sourceFile}:${event.lineNumber}:${event.columnNumber}`;
  window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI} ${where}`);
});
"""


@pytest.fixture
def watched(open_page) -> Iterator[tuple[Page, list[str]]]:
    """A page of a context of its own (its listeners stay), and the CSP complaints its
    console printed."""
    page = open_page(fresh=True)
    console: list[str] = []
    page.add_init_script(LISTEN)
    page.on(
        "console",
        lambda message: (
            console.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    yield page, console


def violations(page: Page, console: list[str]) -> list[str]:
    return page.evaluate("window.__cspViolations") + console


def test_task_page_diagram_renders_under_the_policy(app, live_server, watched):
    page, console = watched
    with app.app_context():
        complaint = journeys.to_classification()
        task_id = journeys.open_task(complaint, "classify_complaint").id
    login(page, live_server, "supervisor", then=None)
    response = page.goto(f"{live_server}/tasks/{task_id}")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    expect(page.locator(".bpmn-diagram.diagram-ready")).to_be_visible()
    shapes = page.locator(".bpmn-diagram svg .djs-element")
    assert shapes.count() > 20
    expect(page.locator(".bpmn-diagram .djs-element.current")).to_have_count(1)
    assert violations(page, console) == [], "\n".join(violations(page, console))


def test_editor_modelers_work_under_the_policy(live_server, watched):
    page, console = watched
    login(page, live_server, "owner", then=None)
    response = page.goto(f"{live_server}/processes/editor")
    # dmn-js needs style attributes (see app/security.py); scripts stay strict.
    policy = response.headers["content-security-policy"]
    assert "style-src-attr 'unsafe-inline'" in policy and "script-src 'self';" in policy
    page.wait_for_selector("#editor.is-ready")
    assert page.locator("#pane-1 svg .djs-element").count() > 20
    page.click("#tab-2")
    expect(page.locator("#pane-2 td[data-element-id]").first).to_be_visible()
    # Open a task's side panel, as an owner editing it would.
    page.click("#tab-1")
    page.click('#pane-1 .djs-element[data-element-id="classify_complaint"]')
    expect(page.locator("[data-panel-id]")).to_have_text("classify_complaint")
    assert violations(page, console) == [], "\n".join(violations(page, console))


def test_an_inline_script_is_blocked_and_reported(live_server, watched):
    # The check above can fail: a script injected into the page is refused and reported.
    page, console = watched
    page.goto(f"{live_server}/auth/login")
    page.evaluate(
        """() => {
          const script = document.createElement("script");
          script.textContent = "window.__injected = true";
          document.body.appendChild(script);
        }"""
    )
    page.wait_for_timeout(200)
    assert page.evaluate("window.__injected === undefined")
    assert any("script-src" in v for v in violations(page, console))


def test_template_html_preview_renders_in_a_sandboxed_frame_under_the_policy(live_server, watched):
    page, console = watched
    login(page, live_server, "admin", then=None)
    page.goto(f"{live_server}/admin/templates/acknowledgement/en")
    frame = page.frame_locator("iframe.html-preview")
    expect(frame.locator("p").first).to_have_text("Dear Aminata Diallo,")
    expect(frame.locator("a")).to_have_attribute("href", "http://localhost:5000/track/sample-token")
    assert violations(page, console) == [], "\n".join(violations(page, console))

    # A draft's script does not run, neither in the frame nor in the page.
    page.fill(
        "textarea[name=body_html]",
        "<p>Hello {{ name }}</p><script>parent.__pwned = true; window.__ran = true</script>",
    )
    page.click("button[value=preview]")
    frame = page.frame_locator("iframe.html-preview")
    expect(frame.locator("p")).to_have_text("Hello Aminata Diallo")
    assert page.evaluate("window.__pwned === undefined")
    inner = next(f for f in page.frames if f.url == "about:srcdoc")
    assert inner.evaluate("window.__ran === undefined")
