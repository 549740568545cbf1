"""HTML to PDF with WeasyPrint, in a short-lived child process by default.

WeasyPrint with Pango and its fonts adds about 30 MiB to the process that imports it, and a
process keeps that memory for its whole life. Letters are printed once per complaint (at
sign-off) and reviews on demand, so each print starts a child interpreter that imports
WeasyPrint, prints and exits: web and background workers stay at their size, for about half a
second more per print. `PRINT_IN_CHILD=0` prints in the calling process instead.

The child is this module run as a script (`python -m services.printing BASE_URL [FILE ...]`):
the page on standard input, the PDF on standard output, an error's text on standard error.

A page fetches nothing but `data:` URLs and the local files named (the operator's logo,
ORG_LOGO): no http(s), no other file. Our pages hold the organisation's own words (its name,
in the page's style too), which an administrator writes; nothing they write can make the
server fetch an address of the network or embed a file of its disk.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

# A page that takes longer than this to print is refused rather than holding its request.
TIMEOUT_SECONDS = 120


class PrintingFailed(RuntimeError):
    """The child could not print the page; the message holds the end of its error output."""


def print_here(html: str, base_url: str, files: Sequence[str] = ()) -> bytes:
    """Print the page in this process (imports WeasyPrint here on first use); it may read
    `data:` URLs and the local `files` only."""
    import weasyprint

    page = weasyprint.HTML(string=html, base_url=base_url, url_fetcher=_fetcher(files))
    pdf: bytes = page.write_pdf()
    return pdf


def _fetcher(files: Sequence[str]) -> Any:
    from weasyprint.urls import URLFetcher, URLFetchingError

    allowed = {str(Path(f).resolve()) for f in files}

    class LocalOnly(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: Any = None) -> Any:
            if url.startswith("file:") and url2pathname(urlsplit(url).path) not in allowed:
                raise URLFetchingError(f"not a file the page may read: {url}")
            return super().fetch(url, headers)

    return LocalOnly(allowed_protocols=("data", "file"))


def print_in_child(html: str, base_url: str, files: Sequence[str] = ()) -> bytes:
    """Print the page in a child interpreter, which exits once the PDF is written."""
    try:
        done = subprocess.run(  # noqa: S603 - our own interpreter and module, no shell
            [sys.executable, "-m", "services.printing", base_url, *files],
            input=html.encode("utf-8"),
            capture_output=True,
            timeout=TIMEOUT_SECONDS,
            cwd=Path(__file__).resolve().parent.parent,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise PrintingFailed(f"printing took longer than {TIMEOUT_SECONDS} s") from exc
    if done.returncode != 0 or not done.stdout.startswith(b"%PDF"):
        error = done.stderr.decode("utf-8", "replace").strip()[-2000:]
        raise PrintingFailed(f"printing failed (exit {done.returncode}): {error}")
    return done.stdout


def main(argv: list[str]) -> int:
    """The child: read the page from standard input, write its PDF to standard output."""
    base_url = argv[1] if len(argv) > 1 else str(Path.cwd())
    html = sys.stdin.buffer.read().decode("utf-8")
    sys.stdout.buffer.write(print_here(html, base_url, argv[2:]))
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
