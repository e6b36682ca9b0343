"""Map symbols in 3D (符号): valves as a bow-tie (the valve of every P&ID and utility map), regulators as a square,
gate stations as a triangle, meters as dots. Each layer is one point-sprite item (one GL item per style): the shape is
cut out of the sprite in the fragment shader, with a dark outline so it reads against pipes, ground and sky, and it
keeps its size in pixels at any distance. The legend draws the same shapes with QPainter.
"""

from __future__ import annotations

import importlib

import pyqtgraph.opengl as gl
from OpenGL import GL
from OpenGL.GL import shaders
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QOpenGLContext, QPainter, QPen, QPixmap, QPolygonF

__all__ = ["SHAPES", "SymbolItem", "symbol_pixmap"]

_scatter = importlib.import_module("pyqtgraph.opengl.items.GLScatterPlotItem")  # the module: its shader sources

# the inside test and the distance to the edge of each shape, xy in [-1, 1]^2 with y up
SHAPES: dict[str, str] = {
    # two triangles meeting at the centre: ⋈
    "bowtie": "float edge = min(0.95 - abs(p.x), 0.8 * abs(p.x) - abs(p.y));",
    "square": "float edge = 0.8 - max(abs(p.x), abs(p.y));",
    # apex up: (0, 0.95), base at y = -0.8
    "triangle": "float edge = min(p.y + 0.8, 0.85 * ((0.95 - p.y) * 0.54 - abs(p.x)));",
    "diamond": "float edge = 0.7 * (0.95 - abs(p.x) - abs(p.y));",
    "circle": "float edge = 1.0 - length(p);",
}
OUTLINE = 0.16  # the outline's width, in the sprite's half size

_FRAGMENT = {
    "legacy": """
        #ifdef GL_ES
        precision mediump float;
        #endif
        varying vec4 v_color;
        void main() {
            vec2 p = (gl_PointCoord - 0.5) * vec2(2.0, -2.0);
            %s
            if (edge < 0.0) discard;
            gl_FragColor = edge < %f ? vec4(0.05, 0.05, 0.08, 1.0) : v_color;
        }
    """,
    "core": """
        #ifdef GL_ES
        precision mediump float;
        #endif
        in vec4 v_color;
        out vec4 fragColor;
        void main() {
            vec2 p = (gl_PointCoord - 0.5) * vec2(2.0, -2.0);
            %s
            if (edge < 0.0) discard;
            fragColor = edge < %f ? vec4(0.05, 0.05, 0.08, 1.0) : v_color;
        }
    """,
}


class SymbolItem(gl.GLScatterPlotItem):
    """A scatter item whose points are drawn as ``shape`` (a key of :data:`SHAPES`), sizes in pixels."""

    _programs: dict[str, object] = {}  # per shape, shared like pyqtgraph's own programs

    def __init__(self, shape: str, on_top: bool = False, **kwds) -> None:
        """``on_top``: drawn over everything, like a label (regulators and gate stations: few and key, and a valve
        at the same node must not hide them); else depth-tested like the pipes."""
        if shape not in SHAPES:
            raise ValueError(f"unknown symbol shape {shape!r} (known: {', '.join(SHAPES)})")
        self.shape = shape
        super().__init__(**kwds)
        if on_top:
            self.setGLOptions({GL.GL_DEPTH_TEST: False, GL.GL_BLEND: False, GL.GL_CULL_FACE: False})
        else:
            self.setGLOptions("opaque")

    def getShaderProgram(self):
        key = self.shape
        program = SymbolItem._programs.get(key)
        if program is not None:
            return program
        ctx = QOpenGLContext.currentContext()
        fmt = ctx.format()
        if ctx.isOpenGLES():
            core = fmt.version() >= (3, 0)
            version = "#version 300 es\n" if core else "#version 100\n"
        else:
            core = fmt.version() >= (3, 1)
            version = "#version 140\n" if core else "#version 120\n"
        sources = _scatter.SHADER_CORE if core else _scatter.SHADER_LEGACY
        vertex = next(v for k, v in sources.items() if k == shaders.GL_VERTEX_SHADER)
        fragment = _FRAGMENT["core" if core else "legacy"] % (SHAPES[self.shape], OUTLINE)
        program = shaders.compileProgram(
            shaders.compileShader([version, vertex], shaders.GL_VERTEX_SHADER),
            shaders.compileShader([version, fragment], shaders.GL_FRAGMENT_SHADER),
        )
        GL.glBindAttribLocation(program, 0, "a_position")
        GL.glBindAttribLocation(program, 1, "a_color")
        GL.glBindAttribLocation(program, 2, "a_size")
        GL.glLinkProgram(program)
        SymbolItem._programs[key] = program
        return program


def _outline(shape: str, r: float) -> QPolygonF | None:
    if shape == "bowtie":
        pts = [(-0.95, -0.76), (0, 0), (0.95, -0.76), (0.95, 0.76), (0, 0), (-0.95, 0.76)]
    elif shape == "square":
        pts = [(-0.8, -0.8), (0.8, -0.8), (0.8, 0.8), (-0.8, 0.8)]
    elif shape == "triangle":
        pts = [(0.0, 0.95), (0.95, -0.8), (-0.95, -0.8)]
    elif shape == "diamond":
        pts = [(0.0, 0.95), (0.95, 0.0), (0.0, -0.95), (-0.95, 0.0)]
    else:
        return None
    return QPolygonF([QPointF(r + x * r, r - y * r) for x, y in pts])


def symbol_pixmap(shape: str, rgba: tuple[float, float, float, float], size: int = 16) -> QPixmap:
    """The legend's picture of a symbol: the same shape, fill and outline as in the scene."""
    pix = QPixmap(size, size)
    pix.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pix)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(QPen(QColor(13, 13, 20), max(1.0, size * 0.08)))
    painter.setBrush(QColor.fromRgbF(*rgba))
    r = size / 2.0
    poly = _outline(shape, r - 1)
    if poly is None:
        painter.drawEllipse(QPointF(r, r), r * 0.8, r * 0.8)
    else:
        painter.translate(1, 1)
        painter.drawPolygon(poly)
    painter.end()
    return pix
