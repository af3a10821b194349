"""QR codes the pages show: a pickup point's share link, a WeChat Pay Native
``code_url`` (weixin://…) for the resident to scan."""

from __future__ import annotations

import io

import segno


def qr_svg(text: str) -> str:
    """``text`` as a QR code, an SVG document sized in pixels (4 per module)
    that a page can show inline or as an image. Medium error correction
    survives a creased or partly covered poster, or a cracked phone screen."""
    out = io.BytesIO()
    segno.make(text, error="m").save(
        out, kind="svg", scale=4, dark="#000", light="#fff", xmldecl=False, nl=False
    )
    return out.getvalue().decode()
