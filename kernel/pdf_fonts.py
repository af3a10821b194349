"""The Chinese font every PDF the platform prints is set in, embedded.

A document handed to a driver, a supplier or a leader must read the same on
any phone or printer, so the glyphs travel inside the file: reportlab embeds
the subset of a TrueType font that a document uses. The font is WenQuanYi
Zen Hei from Debian's ``fonts-wqy-zenhei`` package (installed by ``.ci/run``
and the Dockerfile); ``TUANGOU_PDF_FONT`` points at another TrueType file.
Without any, PDFs fall back to reportlab's built-in STSong-Light, which the
reader must supply (Adobe's Asian font pack), and a warning says so once.
"""

from __future__ import annotations

import logging
import os
from functools import cache
from pathlib import Path
from typing import IO

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import SimpleDocTemplate

log = logging.getLogger(__name__)

EMBEDDED = "TuangouCJK"
FALLBACK = "STSong-Light"
_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
)


@cache
def cjk_font() -> str:
    """The registered name of the font to set Chinese text in: embedded when
    a TrueType CJK font is on the machine."""
    wanted = os.environ.get("TUANGOU_PDF_FONT")
    for candidate in ((wanted,) if wanted else ()) + _CANDIDATES:
        path = Path(candidate)
        if path.is_file():
            # subfontIndex: a .ttc holds several faces; the first is the
            # proportional one.
            pdfmetrics.registerFont(TTFont(EMBEDDED, str(path), subfontIndex=0))
            return EMBEDDED
    log.warning("no CJK TrueType font found; PDFs use %s, not embedded", FALLBACK)
    pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK))
    return FALLBACK


# Every printed document: A4 portrait, 12 mm at the sides.
MARGIN = 12 * mm


def a4_portrait(
    out: IO[bytes], title: str, subject: str, *, top: float = 14 * mm, bottom: float = 16 * mm
) -> SimpleDocTemplate:
    """The page every printed document is laid out on; ``title`` and
    ``subject`` go into the PDF's properties."""
    return SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=top,
        bottomMargin=bottom,
        title=title,
        author="tuangou",
        subject=subject,
    )
