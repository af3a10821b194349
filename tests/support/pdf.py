"""What a PDF says, for tests of printed documents: its text through
poppler's ``pdftotext`` when that is installed (a dev aid, not a dependency;
without it the caller checks less) and its page count."""

from __future__ import annotations

import re
import shutil
import subprocess


def pdf_text(body: bytes) -> str | None:
    """The document's text, laid out as printed (None without ``pdftotext``)."""
    exe = shutil.which("pdftotext")
    if exe is None:
        return None
    done = subprocess.run(
        [exe, "-layout", "-", "-"], input=body, capture_output=True, check=True, timeout=60
    )
    return done.stdout.decode("utf-8")


def pdf_pages(body: bytes) -> int:
    """How many pages the document has: the root page tree's ``/Count``
    (reportlab compresses the pages' content, not the objects' dictionaries)."""
    counts = [int(c) for c in re.findall(rb"/Count (\d+)", body)]
    assert counts, "no page tree"
    return max(counts)
