"""Pictures of widgets: PNG and SVG files, and animations (GIF, MP4) of the session moving.

Shared by the window's File ▸ Export and the headless ``rnnviz render`` / ``rnnviz animate``.

SVG: pyqtgraph 0.14's SVGExporter raises on some scenes, and rendering a whole window into
one QSvgGenerator loses the clipping of every child widget (Qt writes clip paths in the wrong
coordinates once a child sits at an offset, and viewers that ignore them let a scrolled text
spill over its neighbours). So each widget is drawn on its own, at its origin, without its
children, and the pieces are nested as ``<svg>`` viewports at the children's positions: a
viewport clips what it holds in every SVG viewer. Two more fixes make the file look the same
in browsers, Inkscape and librsvg: cosmetic pens (``vector-effect="non-scaling-stroke"``, which
librsvg ignores) are baked into plain coordinates, and heatmap images that are scaled up are
marked to stay crisp instead of being blurred.
"""

from __future__ import annotations

import base64
import importlib.util
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QBuffer, QEventLoop, QIODevice, QPoint, QRect, QRectF, Qt
from PyQt6.QtGui import QFont, QFontInfo, QFontMetricsF, QImage, QPainter, QRegion
from PyQt6.QtSvg import QSvgGenerator
from PyQt6.QtWidgets import QApplication, QGraphicsItem, QGraphicsView, QWidget

from rnnviz.session import Session

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage

PICTURE_SUFFIXES: tuple[str, ...] = (".png", ".svg")
ANIMATION_SUFFIXES: tuple[str, ...] = (".gif", ".mp4")
MP4_HINT = "MP4 needs the imageio-ffmpeg package: pip install imageio-ffmpeg"
# What an animation shows: the inputs fed one by one, the backward sweep, or both in turn.
ANIMATIONS: dict[str, str] = {
    "steps": "step through the inputs",
    "backward": "the backward sweep (BPTT)",
    "both": "step through, then the backward sweep",
}
# A longer sequence is sampled evenly: a GIF of thousands of full-window frames helps no one.
MAX_FRAMES = 300
HOLD_LAST_MS = 1500  # the finished picture stays up before a GIF loops

_SVG = "http://www.w3.org/2000/svg"
_XLINK = "http://www.w3.org/1999/xlink"
_HREF = f"{{{_XLINK}}}href"
_PNG_DATA = "data:image/png;base64,"
MAX_IMAGE_SIDE = 2048  # enlarged heatmap pixels stop here
_MATRIX = re.compile(r"matrix\(([^)]*)\)")
_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_NUMBER_PAIR = re.compile(rf"({_NUMBER}),({_NUMBER})")
ET.register_namespace("", _SVG)
ET.register_namespace("xlink", _XLINK)


# ---- pictures ---------------------------------------------------------------------------
def settle() -> None:
    """Let every pending redraw run (views may coalesce updates), but no user input.

    Three turns of the event loop: a plot's scene reports what changed on the turn after
    the change (see NarrowedRepaint), its view repaints on the next, and that paint may
    lay pyqtgraph's plots out once more (axes of a new width, at a new type size)."""
    for _ in range(3):
        QApplication.processEvents(QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents)


def grab(widget: QWidget) -> QImage:
    """The widget as it is on screen now."""
    settle()
    return widget.grab().toImage()


def to_rgb(image: QImage) -> np.ndarray:
    """(H, W, 3) uint8 RGB pixels of ``image``."""
    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    bits = rgb.constBits()
    assert bits is not None
    bits.setsize(rgb.sizeInBytes())
    rows = np.frombuffer(bits, np.uint8).reshape(rgb.height(), rgb.bytesPerLine())
    return rows[:, : rgb.width() * 3].reshape(rgb.height(), rgb.width(), 3).copy()


def save_picture(widget: QWidget, path: str | Path) -> None:
    """PNG or SVG, by the file's suffix. Raises ValueError (suffix) or OSError (writing)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".png":
        if not grab(widget).save(str(path), "PNG"):
            raise OSError(f"{path}: cannot be written")
    elif suffix == ".svg":
        save_svg(widget, path)
    else:
        raise ValueError(f"{path}: a picture must end in {' or '.join(PICTURE_SUFFIXES)}")


def save_svg(widget: QWidget, path: str | Path) -> None:
    path = Path(path)
    settle()
    document = svg_document(widget)
    try:
        ET.ElementTree(document).write(path, encoding="utf-8", xml_declaration=True)
    except OSError as e:
        raise OSError(f"{path}: cannot be written ({e.strerror or e})") from None


def svg_document(widget: QWidget) -> ET.Element:
    """The widget and its visible children as one SVG document, in pixels."""
    w, h = widget.width(), widget.height()
    root = ET.Element(
        f"{{{_SVG}}}svg",
        {"width": f"{w}px", "height": f"{h}px", "viewBox": f"0 0 {w} {h}", "version": "1.1"},
    )
    ET.SubElement(root, f"{{{_SVG}}}title").text = widget.windowTitle() or "rnnviz"
    with _items_uncached(widget):
        root.append(_fragment(widget, [0]))
    return root


@contextmanager
def _items_uncached(widget: QWidget) -> Iterator[None]:
    """Everything that keeps a picture of its pixels draws its vectors while an SVG is made:
    Qt would otherwise write the picture. Plot axes cache their drawing, a view caches its
    background, and a scatter plot stamps its markers from one sheet of symbols (an embedded
    bitmap per marker); in pyqtgraph's export mode it draws each marker as a path."""
    views = [widget] if isinstance(widget, QGraphicsView) else []
    views += widget.findChildren(QGraphicsView)
    items = [item for view in views if view.scene() is not None for item in view.scene().items()]
    cached = [
        (item, item.cacheMode())
        for item in items
        if item.cacheMode() != QGraphicsItem.CacheMode.NoCache
    ]
    backgrounds = [(view, view.cacheMode()) for view in views]
    scatters = [item for item in items if isinstance(item, pg.ScatterPlotItem)]
    for item, _ in cached:
        item.setCacheMode(QGraphicsItem.CacheMode.NoCache)
    for view, _ in backgrounds:
        view.setCacheMode(QGraphicsView.CacheModeFlag.CacheNone)
    for scatter in scatters:
        scatter.setExportMode(True, {"antialias": True})
    try:
        yield
    finally:
        for item, mode in cached:
            item.setCacheMode(mode)
        for view, view_mode in backgrounds:
            view.setCacheMode(view_mode)
        for scatter in scatters:
            scatter.setExportMode(False)


def _fragment(widget: QWidget, counter: list[int]) -> ET.Element:
    """The widget's own drawing, then each visible child in a clipping viewport."""
    counter[0] += 1
    own = _own_drawing(widget)
    _prefix_ids(own, f"w{counter[0]}_")
    _bake_cosmetic_pens(own)
    _keep_upscaled_images_crisp(own)
    _fit_text_runs(own, widget.logicalDpiX())
    _add_generic_fonts(own)
    group = ET.Element(f"{{{_SVG}}}g")
    group.extend(e for e in own if e.tag not in (f"{{{_SVG}}}title", f"{{{_SVG}}}desc"))
    for child in widget.children():
        if not isinstance(child, QWidget) or child.isWindow() or not child.isVisibleTo(widget):
            continue
        r = child.geometry()
        if r.width() <= 0 or r.height() <= 0:
            continue
        port = ET.SubElement(
            group,
            f"{{{_SVG}}}svg",
            {
                "x": str(r.x()),
                "y": str(r.y()),
                "width": str(r.width()),
                "height": str(r.height()),
                "viewBox": f"0 0 {r.width()} {r.height()}",
                "overflow": "hidden",
            },
        )
        port.append(_fragment(child, counter))
    return group


def _own_drawing(widget: QWidget) -> ET.Element:
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    # SVG 1.1, not Tiny 1.2: only 1.1 keeps the clip paths widgets draw with (a menu bar
    # paints its background last, clipped around the menu titles).
    generator = QSvgGenerator(QSvgGenerator.SvgVersion.Svg11)
    generator.setOutputDevice(buffer)
    generator.setSize(widget.size())
    generator.setViewBox(QRect(0, 0, widget.width(), widget.height()))
    generator.setResolution(widget.logicalDpiX())
    painter = QPainter(generator)
    with _cropped_source_rects():
        # QWidget.render, not the widget's own: pyqtgraph's GraphicsView overrides it with
        # QGraphicsView.render's signature.
        QWidget.render(
            widget, painter, QPoint(), QRegion(), QWidget.RenderFlag.DrawWindowBackground
        )
    painter.end()
    return ET.fromstring(bytes(buffer.data()))


@contextmanager
def _cropped_source_rects() -> Iterator[None]:
    """Qt's SVG engine ignores ``drawImage``'s source rectangle and writes the whole image:
    the graph draws each node's colour strip as one column of a shared image, which would
    show every column. While drawing SVG, a Python caller's ``drawImage(target, image,
    source)`` draws the cropped image instead (C++ callers, such as styles, are unaffected).
    """
    # The class's own descriptor: what ``QPainter.drawImage`` returns is already bound to the
    # class and, put back, would leave every later call on a painter broken.
    original = QPainter.__dict__["drawImage"]

    def draw_image(painter: QPainter, *args: object) -> None:
        draw = original.__get__(painter, QPainter)
        if len(args) >= 3 and isinstance(args[1], QImage) and isinstance(args[2], QRect | QRectF):
            target, image, source = args[:3]
            draw(target, image.copy(source.toRect() if isinstance(source, QRectF) else source))
        else:
            draw(*args)

    QPainter.drawImage = draw_image  # type: ignore[method-assign]
    try:
        yield
    finally:
        QPainter.drawImage = original  # type: ignore[method-assign]


def _prefix_ids(root: ET.Element, prefix: str) -> None:
    """Every piece numbers its gradients and clip paths from 1: make the ids unique."""
    for element in root.iter():
        if "id" in element.attrib:
            element.set("id", prefix + element.attrib["id"])
        for key, value in element.attrib.items():
            if "url(#" in value:
                element.set(key, value.replace("url(#", f"url(#{prefix}"))
            elif key == _HREF and value.startswith("#"):
                element.set(key, f"#{prefix}{value[1:]}")


def _bake_cosmetic_pens(root: ET.Element) -> None:
    """Move a group's transform into the coordinates of its cosmetic-pen shapes.

    pyqtgraph draws curves in data units under a scaling transform with a cosmetic pen
    (``vector-effect="non-scaling-stroke"``); a viewer without that feature scales the pen
    too and paints a 3 px curve hundreds of pixels wide. With the points transformed and the
    group untransformed, the pen is the same in every viewer.
    """
    for group in root.iter(f"{{{_SVG}}}g"):
        match = _MATRIX.fullmatch(group.get("transform", ""))
        cosmetic = [c for c in group if c.get("vector-effect") == "non-scaling-stroke"]
        if match is None or not cosmetic:
            continue
        m = tuple(float(v) for v in match[1].split(","))
        for child in list(group):
            if child.get("vector-effect") == "non-scaling-stroke":
                _bake(child, m)
            else:  # text, images…: the transform moves onto the element itself
                own = child.get("transform", "")
                child.set("transform", f"{group.attrib['transform']} {own}".strip())
        del group.attrib["transform"]


def _bake(shape: ET.Element, m: tuple[float, ...]) -> None:
    a, b, c, d, e, f = m

    def point(x: float, y: float) -> str:
        return f"{a * x + c * y + e:.6g},{b * x + d * y + f:.6g}"

    def points(text: str) -> str:
        return _NUMBER_PAIR.sub(lambda p: point(float(p[1]), float(p[2])), text)

    tag = shape.tag.removeprefix(f"{{{_SVG}}}")
    if tag == "path":
        shape.set("d", points(shape.get("d", "")))  # Qt writes absolute M/L/C/Z commands
    elif tag in ("polyline", "polygon"):
        shape.set("points", points(shape.get("points", "")))
    elif tag == "rect":  # a rectangle under a rotation or flip is a general quadrilateral
        x, y = float(shape.get("x", 0)), float(shape.get("y", 0))
        w, h = float(shape.get("width", 0)), float(shape.get("height", 0))
        corners = (point(x, y), point(x + w, y), point(x + w, y + h), point(x, y + h))
        for key in ("x", "y", "width", "height", "rx", "ry"):
            shape.attrib.pop(key, None)
        shape.tag = f"{{{_SVG}}}path"
        shape.set("d", f"M{corners[0]} L{corners[1]} L{corners[2]} L{corners[3]} Z")
    shape.set("vector-effect", "none")


def _keep_upscaled_images_crisp(root: ET.Element) -> None:
    """A heatmap is a small image drawn large, and viewers smooth it into a blur. Its pixels
    are enlarged (nearest neighbour) to about the drawn size, so its cells stay sharp squares
    whether or not a viewer honours ``image-rendering``."""
    for group in root.iter(f"{{{_SVG}}}g"):
        match = _MATRIX.fullmatch(group.get("transform", ""))
        a, b, c, d = (float(v) for v in match[1].split(",")[:4]) if match else (1, 0, 0, 1)
        for element in group.iterfind(f"{{{_SVG}}}image"):
            href = element.get(_HREF, "")
            if not href.startswith(_PNG_DATA):
                continue
            image = QImage.fromData(base64.b64decode(href[len(_PNG_DATA) :]), "PNG")
            if image.isNull():
                continue
            scale_x = float(element.get("width", 0)) * math.hypot(a, b) / image.width()
            scale_y = float(element.get("height", 0)) * math.hypot(c, d) / image.height()
            if min(scale_x, scale_y) < 2:
                continue  # an icon or a stretched frame: smoothing is right for those
            kx = min(math.ceil(scale_x), max(1, MAX_IMAGE_SIDE // image.width()))
            ky = min(math.ceil(scale_y), max(1, MAX_IMAGE_SIDE // image.height()))
            sharp = image.scaled(
                image.width() * kx,
                image.height() * ky,
                Qt.AspectRatioMode.IgnoreAspectRatio,
                Qt.TransformationMode.FastTransformation,
            )
            element.set(_HREF, _PNG_DATA + base64.b64encode(_png_bytes(sharp)).decode("ascii"))
            element.set("image-rendering", "optimizeSpeed")
            element.set("style", "image-rendering:pixelated")


def _png_bytes(image: QImage) -> bytes:
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(buffer.data())


def _fit_text_runs(root: ET.Element, dpi: float) -> None:
    """Each run of text gets the width Qt laid it out in (``textLength``), in the family Qt
    actually used. Qt writes a subscript or a change of font as a separate run at an
    absolute x; a viewer whose font is a little wider (no hinting, another fallback) would
    run a base into its subscript ("h_t‖" overlapping) or past a clipping edge ("loss = …").
    """
    _fit_runs_under(root, {}, dpi)


def _fit_runs_under(element: ET.Element, inherited: dict[str, str], dpi: float) -> None:
    font = dict(inherited)
    for key in ("font-family", "font-size", "font-weight", "font-style"):
        if key in element.attrib:
            font[key] = element.attrib[key]
    if element.tag == f"{{{_SVG}}}text" and element.text and "font-size" in font:
        qfont = QFont(font.get("font-family", ""))
        qfont.setPointSizeF(float(font["font-size"]) * 72.0 / dpi)  # the size is in pixels
        qfont.setWeight(QFont.Weight(int(font.get("font-weight", "400"))))
        qfont.setItalic(font.get("font-style", "normal") != "normal")
        width = QFontMetricsF(qfont).horizontalAdvance(element.text)
        if width > 0:
            element.set("textLength", f"{width:.4g}")
            element.set("lengthAdjust", "spacingAndGlyphs")
        element.set("font-family", QFontInfo(qfont).family())
    for child in element:
        _fit_runs_under(child, font, dpi)


def _add_generic_fonts(root: ET.Element) -> None:
    """Qt names the family it used ("Sans Serif", "DejaVu Sans"); a viewer without it falls
    back to a serif font unless a generic family follows."""
    for element in root.iter():
        family = element.get("font-family")
        if family and "," not in family:
            generic = "monospace" if "mono" in family.lower() else "sans-serif"
            element.set("font-family", f"{family}, {generic}")


# ---- animations --------------------------------------------------------------------------
def mp4_available() -> bool:
    """Whether MP4 can be written (imageio's ffmpeg plugin needs imageio-ffmpeg)."""
    return importlib.util.find_spec("imageio_ffmpeg") is not None


def positions(n: int, limit: int = MAX_FRAMES) -> list[int]:
    """Steps 1..n, or ``limit`` of them spread evenly (always the first and the last)."""
    if n <= limit:
        return list(range(1, n + 1))
    return sorted({round(1 + i * (n - 1) / (limit - 1)) for i in range(limit)})


@dataclass(frozen=True)
class FramePlan:
    """What each frame shows: ``moves[i]()`` puts the session into frame i's state.

    ``restore()`` puts the steps fed, the gradients (shown or not) and the selection back as
    they were.
    """

    moves: tuple[Callable[[], None], ...]
    restore: Callable[[], None]

    def __len__(self) -> int:
        return len(self.moves)


def plan_animation(session: Session, what: str) -> FramePlan:
    """Frames of a step-through (reset, then one frame after each step up to the steps fed,
    or the whole sequence when none are), of the backward sweep over the fed steps (cursor
    T…1, then the finished gradients), or of both in turn. ValueError when there is nothing
    to animate."""
    if what not in ANIMATIONS:
        raise ValueError(f"unknown animation {what!r}; choose one of {', '.join(ANIMATIONS)}")
    t0, selected0 = session.t, session.selected
    had_gradients = session.gradients is not None
    n = t0 if t0 > 0 else session.sequence.shape[0]
    if what == "backward" and t0 == 0:
        raise ValueError("the backward sweep needs at least one step fed")
    moves: list[Callable[[], None]] = []
    if what in ("steps", "both"):
        steps = positions(n)
        moves.append(lambda: (session.reset(), session.seek(steps[0])))
        moves += [lambda p=p: session.seek(p) for p in steps[1:]]
    if what in ("backward", "both"):
        cursor = positions(n)[::-1]  # T … 1

        def start() -> None:
            session.seek(n)
            session.run_backward()
            session.set_sweep(cursor[0])

        moves.append(start)
        moves += [lambda k=k: session.set_sweep(k) for k in cursor[1:]]
        moves.append(lambda: session.set_sweep(None))

    def restore() -> None:
        if session.sweep is not None:
            session.set_sweep(None)
        session.seek(t0)
        if had_gradients and session.gradients is None:
            session.run_backward()  # deterministic: the same gradients as before
        elif not had_gradients and session.gradients is not None and t0 > 0:
            session.seek(t0 - 1)  # a step clears them; the history makes it free
            session.seek(t0)
        if session.selected != selected0:
            session.select(selected0)

    return FramePlan(tuple(moves), restore)


def frames(plan: FramePlan, widget: QWidget) -> Iterator[np.ndarray]:
    """Run the plan, yielding the widget's picture after each move; restores at the end
    (or when the caller stops early and closes the generator)."""
    try:
        for move in plan.moves:
            move()
            yield to_rgb(grab(widget))
    finally:
        plan.restore()


class AnimationWriter:
    """Frames in, a GIF or an MP4 out. Written to ``<name>.part<suffix>`` and moved onto the
    file by ``close`` only when complete; ``abort`` removes the partial file.

    GIF frames are reduced to 256 colours each (UI pictures have few); identical consecutive
    frames are merged by the encoder into one longer frame. The last frame is held for
    ``HOLD_LAST_MS``.
    """

    def __init__(self, path: str | Path, fps: float) -> None:
        self.path = Path(path)
        self.suffix = self.path.suffix.lower()
        if self.suffix not in ANIMATION_SUFFIXES:
            raise ValueError(f"{self.path}: an animation must end in .gif or .mp4")
        if self.suffix == ".mp4" and not mp4_available():
            raise ValueError(MP4_HINT)
        if not 0 < fps <= 60:
            raise ValueError("the frame rate must lie between 0 and 60 frames per second")
        self.fps = fps
        self.count = 0
        self._part = self.path.with_name(f"{self.path.stem}.part{self.path.suffix}")
        self._gif: list[PILImage] = []  # one 256-colour picture per frame
        self._mp4: object | None = None
        self._size: tuple[int, int] | None = None  # (H, W) of every frame

    def append(self, frame: np.ndarray) -> None:
        """One (H, W, 3) uint8 frame. A window can grow while it animates (a longer label
        raises its minimum width): every frame is fitted to the first one's size."""
        if self._size is None:
            self._size = (frame.shape[0], frame.shape[1])
        frame = _fit(frame, self._size)
        if self.suffix == ".gif":
            from PIL import Image

            picture = Image.fromarray(np.ascontiguousarray(frame, np.uint8))
            self._gif.append(
                picture.quantize(256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
            )
        else:
            if self._mp4 is None:
                self._mp4 = self._open_mp4()
            self._mp4.append_data(_even(frame))  # type: ignore[attr-defined]
        self.count += 1

    def close(self) -> None:
        """Finish the file; OSError when it cannot be written."""
        try:
            if self.suffix == ".gif":
                self._write_gif()
            elif self._mp4 is not None:
                self._mp4.close()  # type: ignore[attr-defined]
                self._mp4 = None
            if self.count == 0:
                raise ValueError("no frames to write")
            self._part.replace(self.path)
        except OSError as e:
            self.abort()
            raise OSError(f"{self.path}: cannot be written ({e.strerror or e})") from None

    def abort(self) -> None:
        if self._mp4 is not None:
            with suppress(OSError):  # the partial file is removed below either way
                self._mp4.close()  # type: ignore[attr-defined]
            self._mp4 = None
        self._gif.clear()
        self._part.unlink(missing_ok=True)

    def _write_gif(self) -> None:
        if not self._gif:
            return
        frame_ms = max(20, round(1000 / self.fps))  # GIF delays are in 10 ms units, ≥ 20 ms
        durations = [frame_ms] * len(self._gif)
        durations[-1] = max(frame_ms, HOLD_LAST_MS)
        first, *rest = self._gif
        first.save(
            self._part,
            format="GIF",
            save_all=True,
            append_images=rest,
            duration=durations,
            loop=0,
        )
        self._gif.clear()

    def _open_mp4(self) -> object:
        import imageio.v2 as imageio

        # H.264 in yuv420p (what every player reads) needs even sides: frames are padded.
        return imageio.get_writer(
            self._part,
            format="FFMPEG",
            mode="I",
            fps=self.fps,
            codec="libx264",
            pixelformat="yuv420p",
            macro_block_size=1,
        )


def _fit(frame: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Crop or pad (white) to ``size`` = (H, W), keeping the top-left corner in place."""
    if frame.shape[:2] == size:
        return frame
    out = np.full((*size, 3), 255, np.uint8)  # (H, W, 3)
    h, w = min(size[0], frame.shape[0]), min(size[1], frame.shape[1])
    out[:h, :w] = frame[:h, :w]
    return out


def _even(frame: np.ndarray) -> np.ndarray:
    """Pad with white to even height and width."""
    h, w = frame.shape[:2]
    H, W = 2 * math.ceil(h / 2), 2 * math.ceil(w / 2)
    if (h, w) == (H, W):
        return frame
    out = np.full((H, W, 3), 255, np.uint8)  # (H, W, 3)
    out[:h, :w] = frame
    return out
