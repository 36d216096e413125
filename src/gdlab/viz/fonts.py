"""A font for Chinese text in figures, found once and used as a fallback.

Figures keep DejaVu Sans (matplotlib's own font) for Latin letters, digits and math
symbols, and fall back glyph by glyph to the first CJK font found for Chinese: Debian's
``fonts-noto-cjk`` (``Noto Sans CJK SC``, which ``make test`` installs) or a system font
of macOS / Windows. matplotlib's font list is cached when it is first built, so a font
installed afterwards is unknown to it: the well-known files are then added directly.
"""

from __future__ import annotations

import functools
import glob
import os

#: Fonts with simplified Chinese glyphs, in order of preference (family names).
CJK_FAMILIES = (
    "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Source Han Sans CN",
    "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "PingFang SC", "Hiragino Sans GB",
    "Heiti SC", "STHeiti", "Microsoft YaHei", "SimHei", "Arial Unicode MS",
)
#: Where those fonts live when matplotlib's cache does not know them yet.
CJK_FILES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/**/NotoSansCJK*.ttc",
    "/usr/share/fonts/**/NotoSansSC*.otf",
    "/usr/share/fonts/**/wqy-zenhei.ttc",
    "/System/Library/Fonts/PingFang.ttc",
    "/Library/Fonts/Arial Unicode.ttf",
    os.path.expandvars(r"%WINDIR%\Fonts\msyh.ttc"),
    os.path.expandvars(r"%WINDIR%\Fonts\simhei.ttf"),
)
LATIN_FAMILY = "DejaVu Sans"  # matplotlib ships it: always there


def _known(font_manager) -> str | None:
    names = {f.name for f in font_manager.fontManager.ttflist}
    return next((family for family in CJK_FAMILIES if family in names), None)


@functools.cache
def cjk_family() -> str | None:
    """The family name of a CJK font matplotlib can use, or None when there is none."""
    from matplotlib import font_manager

    found = _known(font_manager)
    if found is not None:
        return found
    for pattern in CJK_FILES:
        for path in sorted(glob.glob(pattern, recursive=True)):
            try:
                font_manager.fontManager.addfont(path)
            except (OSError, RuntimeError, ValueError):
                continue
    return _known(font_manager)


def font_families() -> list[str]:
    """``font.family`` for gdlab's figures: DejaVu Sans, then the CJK font if any."""
    cjk = cjk_family()
    return [LATIN_FAMILY] if cjk is None else [LATIN_FAMILY, cjk]
