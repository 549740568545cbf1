"""Write processes/messages/shipped.toml: the SHA-256 of every wording of each message template
shipped before (from git history), so that a copy an administrator never edited follows the
shipped file when it changes (services.message_templates.seed).

    .venv/bin/python tools/shipped_wordings.py [--check]

Run it in the commit that changes a template under processes/messages/: it lists every earlier
version of each file that git knows, the file's current wording left out. With --check it
writes nothing and fails when the file is not what it would write (a test runs that).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from services.message_templates import MESSAGES_DIR, Source, kind, parse, source_hash  # noqa: E402

HEADER = """\
# The SHA-256 (services.message_templates.source_hash) of every wording of each template
# shipped before the present one, by kind and language, written by tools/shipped_wordings.py
# from git history. A saved template whose wording is one of these was never edited: a deploy
# makes the shipped file's wording the one in use (an edited template is kept).
"""


def _git(*args: str) -> str:
    return subprocess.run(  # noqa: S603 - git with our own arguments, no shell
        ["git", *args],  # noqa: S607 - the developer's git, as make and CI use it
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def _source(name: str, text: str) -> Source:
    # A draft (the response letter's) is its text alone: no subject line.
    return Source("", text) if kind(name).draft else parse(text)


def earlier(path: Path) -> list[str]:
    """The hashes of the file's earlier wordings, oldest first, its current one left out."""
    relative = path.relative_to(ROOT).as_posix()
    name = path.name.rsplit(".", 2)[0]
    current = source_hash(_source(name, path.read_text(encoding="utf-8")))
    found: list[str] = []
    for commit in reversed(_git("log", "--format=%H", "--", relative).split()):
        try:
            text = _git("show", f"{commit}:{relative}")
        except subprocess.CalledProcessError:
            continue  # deleted in that commit
        try:
            digest = source_hash(_source(name, text))
        except ValueError:
            continue
        if digest != current and digest not in found:
            found.append(digest)
    return found


def main(check: bool = False) -> int:
    table: dict[str, dict[str, list[str]]] = {}
    for path in sorted(MESSAGES_DIR.glob("*.*.txt")):
        kind, language, _txt = path.name.rsplit(".", 2)
        hashes = earlier(path)
        if hashes:
            table.setdefault(kind, {})[language] = hashes
    lines = [HEADER.rstrip("\n")]
    for kind, languages in table.items():
        lines.append(f"\n[{kind}]")
        for language, hashes in languages.items():
            listed = ",\n".join(f'    "{h}"' for h in hashes)
            lines.append(f"{language} = [\n{listed},\n]")
    wanted = "\n".join(lines) + "\n"
    target = MESSAGES_DIR / "shipped.toml"
    if check:
        if target.read_text(encoding="utf-8") == wanted:
            return 0
        print(f"{target} is out of date: run tools/shipped_wordings.py", file=sys.stderr)
        return 1
    target.write_text(wanted, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(check="--check" in sys.argv[1:]))
