"""The after-action report printed to PDF with Qt (QTextDocument on a QPdfWriter, A4).

Qt's rich-text engine does not draw inline SVG, so the report's SVG map is rendered to an image first
(QSvgRenderer) and the document refers to it as a resource. The PDF is written to a temporary file beside the
target and moved into place (as :mod:`console.atomic` does for text), so a failure never leaves half a PDF.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from PySide6.QtCore import QByteArray, QMarginsF, QUrl
from PySide6.QtGui import QImage, QPageLayout, QPageSize, QPainter, QPdfWriter, QTextDocument
from PySide6.QtSvg import QSvgRenderer

__all__ = ["html_to_pdf"]

_SVG = re.compile(r"<svg\b.*?</svg>", re.S)
_MAP_SCALE = 2  # the map image at twice its CSS size: sharp in print


def _svg_image(svg: str) -> QImage | None:
    renderer = QSvgRenderer(QByteArray(svg.encode("utf-8")))
    if not renderer.isValid():
        return None
    size = renderer.defaultSize()
    image = QImage(size.width() * _MAP_SCALE, size.height() * _MAP_SCALE, QImage.Format.Format_ARGB32)
    image.fill(0xFFFFFFFF)
    p = QPainter(image)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(p)
    p.end()
    return image


def html_to_pdf(html: str, out: str | os.PathLike, title: str = "") -> Path:
    """Print the report ``html`` to the PDF file ``out`` (A4 portrait, 15 mm margins); returns its path."""
    out = Path(out)
    doc = QTextDocument()
    images: list[tuple[str, QImage]] = []

    def to_img(match: re.Match) -> str:
        image = _svg_image(match.group(0))
        if image is None:
            return ""
        name = f"map{len(images)}.png"
        images.append((name, image))
        width = image.width() // _MAP_SCALE
        return f'<img src="{name}" width="{min(width, 640)}">'

    html = _SVG.sub(to_img, html)
    for name, image in images:
        doc.addResource(QTextDocument.ResourceType.ImageResource, QUrl(name), image)
    doc.setDefaultStyleSheet("body{font-size:9pt} td,th{font-size:8pt}")
    doc.setHtml(html)
    if title:
        doc.setMetaInformation(QTextDocument.MetaInformation.DocumentTitle, title)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    os.close(fd)
    try:
        writer = QPdfWriter(tmp)
        writer.setPageLayout(QPageLayout(QPageSize(QPageSize.PageSizeId.A4), QPageLayout.Orientation.Portrait,
                                         QMarginsF(15, 15, 15, 15), QPageLayout.Unit.Millimeter))  # fmt: skip
        writer.setResolution(150)
        writer.setTitle(title or "After-action report")
        writer.setCreator("GasOps Console")
        doc.print_(writer)
        del writer  # flushes and closes the file
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return out
