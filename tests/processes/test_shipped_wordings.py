"""processes/messages/shipped.toml lists every earlier shipped wording of each template: a
template changed without running tools/shipped_wordings.py would leave the copies nobody edited
on the old wording."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _whole_history() -> bool:
    shallow = subprocess.run(  # noqa: S603 - git with our own arguments
        ["git", "rev-parse", "--is-shallow-repository"],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    return shallow.returncode == 0 and shallow.stdout.strip() == "false"


@pytest.mark.skipif(not _whole_history(), reason="needs the repository's whole history")
def test_the_list_of_earlier_shipped_wordings_is_up_to_date():
    done = subprocess.run(  # noqa: S603 - our own script
        [sys.executable, "tools/shipped_wordings.py", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
