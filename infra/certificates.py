"""Grade certificates as PDF (the CertificateRenderer port): an A4 landscape page in the
official layout — title, the organization's name, its grade, validity, issuing authority, date
of issue and number — with a QR code that opens the public verification page. Chinese is set
in reportlab's built-in CID font STSong-Light, which needs no font file."""

from __future__ import annotations

from datetime import date
from io import BytesIO

import segno
from reportlab.lib.colors import Color, black
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas

from application.queries.certificates import CertificateStanding

FONT = "STSong-Light"
RED = Color(0.70, 0.08, 0.08)
GOLD = Color(0.72, 0.55, 0.18)
pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def _day(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _qr(canvas: Canvas, text: str, x: float, y: float, size: float) -> None:
    """The QR code drawn module by module (vector, no image library)."""
    rows = list(segno.make(text, error="m", micro=False).matrix_iter(scale=1, border=2))
    cell = size / len(rows)
    canvas.setFillColor(black)
    for r, row in enumerate(rows):
        for c, dark in enumerate(row):
            if dark:
                canvas.rect(x + c * cell, y + size - (r + 1) * cell, cell, cell, stroke=0, fill=1)


class PdfCertificateRenderer:
    def render(self, standing: CertificateStanding, verify_url: str) -> bytes:
        c = standing.certificate
        out = BytesIO()
        width, height = landscape(A4)
        canvas = Canvas(out, pagesize=(width, height), pageCompression=1)
        canvas.setTitle(f"等级证书 {c.number}")
        canvas.setAuthor(c.authority_zh)
        canvas.setSubject(f"{c.organization_name} {c.level}")
        canvas.setStrokeColor(GOLD)
        canvas.setLineWidth(4)
        canvas.rect(12 * mm, 12 * mm, width - 24 * mm, height - 24 * mm)
        canvas.setLineWidth(1)
        canvas.rect(16 * mm, 16 * mm, width - 32 * mm, height - 32 * mm)

        canvas.setFillColor(RED)
        canvas.setFont(FONT, 34)
        canvas.drawCentredString(width / 2, height - 48 * mm, "社会组织评估等级证书")
        canvas.setFont(FONT, 12)
        canvas.setFillColor(black)
        canvas.drawCentredString(width / 2, height - 58 * mm, "Certificate of Social Organization Evaluation Grade")

        canvas.setFont(FONT, 24)
        canvas.drawCentredString(width / 2, height - 82 * mm, c.organization_name)
        canvas.setFont(FONT, 16)
        canvas.drawCentredString(width / 2, height - 96 * mm, "经社会组织评估,被评为")
        canvas.setFillColor(RED)
        canvas.setFont(FONT, 40)
        canvas.drawCentredString(width / 2, height - 116 * mm, f"{c.level}级")
        canvas.setFillColor(black)
        canvas.setFont(FONT, 16)
        canvas.drawCentredString(width / 2, height - 128 * mm, "社会组织")

        canvas.setFont(FONT, 13)
        left = 30 * mm
        lines = (
            f"有效期:{_day(c.valid_from)}至{_day(c.valid_until)}",
            f"发证机关:{c.authority_zh}",
            f"发证日期:{_day(c.issued_on)}",
            f"证书编号:{c.number}",
        )
        for n, line in enumerate(lines):
            canvas.drawString(left, 58 * mm - n * 9 * mm, line)

        size = 38 * mm
        qr_x, qr_y = width - 30 * mm - size, 28 * mm
        _qr(canvas, verify_url, qr_x, qr_y, size)
        canvas.setFont(FONT, 9)
        canvas.drawCentredString(qr_x + size / 2, qr_y - 5 * mm, "扫码核验证书状态")
        canvas.setFont(FONT, 7)
        canvas.drawRightString(width - 20 * mm, 20 * mm, verify_url)
        canvas.showPage()
        canvas.save()
        return out.getvalue()
