"""The optimizer paths on the (w, b) loss surface, growing one recorded step per frame,
written as an animated GIF with Pillow (no ffmpeg).

The contours, arrows and legend are drawn once; each frame restores that background and
draws only the paths so far (matplotlib blitting), so even SGD's hundreds of updates
animate in seconds. Frame k shows every path up to its k-th update (frame 0: the start),
so there are ``max(len(path))`` frames: one per recorded step of the longest path.
"""

from __future__ import annotations

import io
import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from ..i18n import Texts
from .common import COLORS, MARKERS, new_figure, style
from .surface import (
    _check,
    draw_starts,
    optimum_2param,
    path_label,
    start_handle,
    surface_background,
    surface_view,
)

GIF_SECONDS = 10.0  # about how long the whole animation plays
MIN_FRAME_MS, MAX_FRAME_MS, LAST_FRAME_MS = 20, 250, 2000


def frame_durations(n_frames: int) -> list[int]:
    """Milliseconds per frame: the animation lasts about :data:`GIF_SECONDS`, each frame
    at least 20 ms (what browsers show) in whole centiseconds, the last held 2 s."""
    each = int(np.clip(GIF_SECONDS * 1000 / max(1, n_frames), MIN_FRAME_MS, MAX_FRAME_MS))
    each = max(MIN_FRAME_MS, 10 * round(each / 10))
    return [each] * (n_frames - 1) + [LAST_FRAME_MS]


def animate_paths(
    X,
    y,
    *,
    loss: str,
    model_kind: str,
    paths: Mapping[str, np.ndarray],
    path: str | os.PathLike,
    optimum: tuple[float, float] | None = None,
    w_range: tuple[float, float] | None = None,
    b_range: tuple[float, float] | None = None,
    n: int = 120,
    arrows: int = 7,
    title: str | None = None,
    lang: str = "en",
    dpi: int = 72,
) -> Path:
    """Write the paths growing step by step as a GIF at ``path``; returns the path.

    Parameters
    ----------
    X, y, loss, model_kind, paths, optimum, w_range, b_range, n, arrows, title
        As for :func:`gdlab.viz.loss_surface_2param`: ``paths`` maps an optimizer's
        name to its [w, b] after each update, starting with the initial values.
    path : path-like
        The GIF to write (atomically: a reader never sees half a file).
    lang : {"en", "zh"}, default="en"
    dpi : int, default=72
        The frames are 11 x 10 inches at this resolution (792 x 720 pixels at 72).

    The GIF has one frame per recorded step of the longest path (``max(len(p))``,
    frame 0 being the start) and loops forever.
    """
    import matplotlib
    from PIL import Image

    from ..checkpoint import atomic_write_bytes

    _check(loss, model_kind)
    paths = {name: np.asarray(p, dtype=np.float64).reshape(-1, 2) for name, p in paths.items()}
    if not paths:
        raise ValueError("animate_paths needs at least one path, got none")
    tr = Texts(lang, "viz")
    if optimum is None:
        optimum = optimum_2param(X, y, loss=loss)
    w_range, b_range = surface_view(paths, optimum, w_range, b_range)
    n_frames = max(len(p) for p in paths.values())

    with matplotlib.rc_context(style()):
        fig = new_figure(10.0, 11.0)
        fig.set_dpi(dpi)
        ax = fig.subplots(1, 1)
        handles = surface_background(fig, ax, X, y, loss=loss, optimum=optimum, w_range=w_range,
                                     b_range=b_range, n=n, arrows=arrows, tr=tr,
                                     model_kind=model_kind)
        artists = []
        for i, (name, p) in enumerate(paths.items()):
            color, marker = COLORS[i % len(COLORS)], MARKERS[i % len(MARKERS)]
            (line,) = ax.plot([], [], color=color, linewidth=1.8, zorder=4, animated=True,
                              label=path_label(tr, name, p))
            (head,) = ax.plot([], [], color=color, marker=marker, markersize=11, zorder=5,
                              markeredgecolor="black", linestyle="none", animated=True)
            handles.insert(-1 if optimum is not None else len(handles), line)
            artists.append((p, line, head))
        draw_starts(ax, paths)
        handles.insert(-1 if optimum is not None else len(handles), start_handle(tr, len(paths) > 1))
        ax.text(0.02, 0.97, tr("animate.counter_label"), transform=ax.transAxes, va="top",
                fontsize=13, zorder=8,
                bbox={"facecolor": "white", "edgecolor": "#999999", "alpha": 0.9, "pad": 3})
        fig.legend(handles=handles, loc="outside lower center", ncols=3)
        fig.suptitle(title or tr("surface.title", kind=tr(f"model.{model_kind}")))

        canvas = fig.canvas
        canvas.draw()
        background = canvas.copy_from_bbox(fig.bbox)
        size = canvas.get_width_height()
        counter = _Counter(fig, ax, n_frames - 1)
        # one palette for every frame, from the last one: the background and every path
        for p, line, head in artists:
            _draw_path(ax, p, line, head, n_frames)
        palette = _rgb(canvas, size).quantize(colors=255, method=Image.Quantize.MEDIANCUT)
        frames = []
        active = list(range(len(artists)))
        for k in range(n_frames):
            canvas.restore_region(background)
            for i in [i for i in active if len(artists[i][0]) - 1 <= k]:
                _draw_path(ax, *artists[i], k)  # finished: bake it into the background
                active.remove(i)
                background = canvas.copy_from_bbox(fig.bbox)
            for i in active:
                _draw_path(ax, *artists[i], k)
            rgb = _rgb(canvas, size)
            counter.draw(rgb, k)
            frames.append(rgb.quantize(palette=palette, dither=Image.Dither.NONE))

    buf = io.BytesIO()  # Pillow stores each frame as its difference from the one before
    frames[0].save(buf, format="GIF", save_all=True, append_images=frames[1:],
                   duration=frame_durations(n_frames), loop=0, disposal=1)
    out = Path(path)
    atomic_write_bytes(out, buf.getvalue())
    return out


def _rgb(canvas, size):
    from PIL import Image

    return Image.frombuffer("RGBA", size, canvas.buffer_rgba(), "raw", "RGBA", 0, 1).convert("RGB")


def _draw_path(ax, p: np.ndarray, line, head, k: int) -> None:
    """Draw ``p`` up to its k-th update (its finite points) and a marker at its end."""
    upto = p[: min(k, len(p) - 1) + 1]
    upto = upto[np.all(np.isfinite(upto), axis=1)]
    line.set_data(upto[:, 0], upto[:, 1])
    head.set_data(upto[-1:, 0], upto[-1:, 1])
    ax.draw_artist(line)
    ax.draw_artist(head)


class _Counter:
    """"k / N" beside the label in the top-left corner, drawn into each frame by Pillow
    (digits only: matplotlib laying out a text per frame would cost more than the rest)."""

    def __init__(self, fig, ax, total: int):
        from matplotlib import font_manager
        from PIL import ImageFont

        label = ax.texts[-1]
        box = label.get_window_extent(renderer=fig.canvas.get_renderer())
        height = fig.canvas.get_width_height()[1]
        self.xy = (box.x1 + 10, height - box.y1)  # display (y up) -> image (y down)
        path = font_manager.findfont(font_manager.FontProperties(family="DejaVu Sans"))
        self.font = ImageFont.truetype(path, size=round(13 * fig.dpi / 72))
        self.total = total

    def draw(self, image, k: int) -> None:
        from PIL import ImageDraw

        draw = ImageDraw.Draw(image)
        text = f"{k} / {self.total}"
        left, top, right, bottom = draw.textbbox(self.xy, text, font=self.font)
        draw.rectangle((left - 4, top - 3, right + 4, bottom + 3), fill="white", outline="#999999")
        draw.text(self.xy, text, fill="black", font=self.font)
