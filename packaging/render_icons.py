"""Render the application icon resources/icons/gasops.svg to PNG (48, 128, 256 px) with Qt's SVG renderer.

    python packaging/render_icons.py      # -> resources/icons/gasops-{48,128,256}.png, console/ui/images/gasops*.{svg,png}

The PNGs are committed (the .desktop entry and the window icon need no SVG support at run time); run this after
editing the SVG. The console's copy (package data, so the window finds it in a wheel and in the bundle) is the SVG
and the 256 px PNG; tests/packaging checks the copies match the sources.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SVG = ROOT / "resources" / "icons" / "gasops.svg"
SIZES = (48, 128, 256)
PACKAGE_DIR = ROOT / "console" / "ui" / "images"


def render(svg: Path, size: int, target: Path) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"render_icons: {svg} is not a valid SVG")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    if not image.save(str(target)):
        raise SystemExit(f"render_icons: cannot write {target}")


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    for size in SIZES:
        render(SVG, size, SVG.with_name(f"gasops-{size}.png"))
    PACKAGE_DIR.mkdir(exist_ok=True)
    shutil.copyfile(SVG, PACKAGE_DIR / "gasops.svg")
    shutil.copyfile(SVG.with_name("gasops-256.png"), PACKAGE_DIR / "gasops.png")
    print(f"render_icons: {', '.join(f'gasops-{s}.png' for s in SIZES)} and {PACKAGE_DIR.relative_to(ROOT)}/")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
