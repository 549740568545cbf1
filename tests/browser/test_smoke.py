"""The browser fixtures work: a demo user signs in and sees their inbox."""

from __future__ import annotations

import pytest

from tests.browser.conftest import login

pytestmark = pytest.mark.browser


def test_supervisor_signs_in_and_lands_on_the_inbox(page, live_server):
    login(page, live_server, "supervisor")
    assert page.url.endswith("/inbox")
    assert page.get_by_text("Samuel Supervisor").is_visible()
