"""The two languages: catalogues complete and alike, the language from flag or locale,
Chinese text wrapped and aligned, Chinese figures drawn without missing glyphs, and the
command line that lists the lessons in either language without loading PyTorch."""

from __future__ import annotations

import ast
import os
import re
import string
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from gdlab.errors import GdlabError
from gdlab.i18n import (
    LANGS,
    Texts,
    catalog,
    display_width,
    locale_lang,
    normalize_lang,
    resolve_lang,
    t,
    template,
    wrap,
)
from gdlab.lessons import LESSONS, TEXT_FIELDS

CJK = re.compile(r"[\u4e00-\u9fff]")
HEAVY = ("torch", "sklearn", "matplotlib", "numba")
SRC = str(Path(__file__).resolve().parents[1] / "src")


def fields(template_text: str) -> list[tuple[str, str, str]]:
    """(field name, conversion, format spec) of every replacement field, sorted."""
    return sorted((name, conv or "", spec or "")
                  for _, name, spec, conv in string.Formatter().parse(template_text)
                  if name is not None)


# --- the catalogues --------------------------------------------------------------------------
def test_every_key_exists_in_both_languages():
    en, zh = catalog("en"), catalog("zh")
    assert not sorted(en.keys() - zh.keys()), f"missing in zh: {sorted(en.keys() - zh.keys())}"
    assert not sorted(zh.keys() - en.keys()), f"missing in en: {sorted(zh.keys() - en.keys())}"
    assert len(en) > 400


def test_both_languages_fill_the_same_fields_with_the_same_format():
    """Same names, conversions and specs: a number prints with identical digits in both."""
    en, zh = catalog("en"), catalog("zh")
    differ = {k: (fields(en[k]), fields(zh[k])) for k in en if fields(en[k]) != fields(zh.get(k, ""))}
    assert not differ, differ


def test_the_chinese_catalogue_is_chinese():
    zh = catalog("zh")
    # a message may be a formula or a name, but most of each catalogue area is Chinese prose
    prose = [k for k, v in zh.items() if len(re.sub(r"\{[^}]*\}", "", v)) > 25]
    untranslated = [k for k in prose if not CJK.search(zh[k])]
    assert not untranslated, untranslated


def test_every_lesson_has_its_texts_in_both_languages():
    for lesson in LESSONS.values():
        for lang in LANGS:
            text = lesson.text(lang)
            assert list(text) == list(TEXT_FIELDS)
            assert all(text.values())
            assert "\n" not in text["summary"]
            assert len(text["explanation"]) > (200 if lang == "en" else 100)
        assert CJK.search(lesson.text("zh")["explanation"])
        assert lesson.title == lesson.text("en")["title"]


def test_train_summary_and_divergence_keys_exist_for_the_command_line():
    for key in ("train.headline", "train.done", "train.rows", "train.loss", "train.test",
                "train.learned", "train.folder", "train.diverged", "train.ended_above",
                "train.hint_cli", "train.hint_slider", "train.kept"):
        for lang in LANGS:
            assert key in catalog(lang), (key, lang)
    what = t("train.diverged", "zh", epoch=7, loss=1.25e7, initial=836.051)
    assert what == "训练在第 7 轮发散（损失 1.25e+07，起始为 836.1）"
    assert t("train.hint_cli", "en", what="training diverged at epoch 7", lr=0.5) == (
        "training diverged at epoch 7; try a smaller learning rate than --lr 0.5")


@pytest.mark.parametrize(("lang", "one", "many"), [
    ("en", "(60 rows, 1 feature, regression)", "(150 rows, 4 features, multiclass)"),
    ("zh", "（60 行，1 个特征，回归）", "（150 行，4 个特征，多分类）")])
def test_the_train_headline_counts_in_the_language(gdlab_cli, lang, one, many):
    r = gdlab_cli("train", "line-1d", "--epochs", "1", "--no-plots", "--lang", lang, "--out", "runs/a")
    assert r.code == 0, r
    assert one in r.out
    assert ("1 epoch (max_epochs)" if lang == "en" else "1 轮（达到最大轮数）") in r.out
    r = gdlab_cli("train", "iris", "--epochs", "2", "--no-plots", "--lang", lang, "--out", "runs/b")
    assert many in r.out
    assert ("2 epochs (max_epochs)" if lang == "en" else "2 轮（达到最大轮数）") in r.out


def test_t_formats_and_rejects_an_unknown_key():
    assert t("lesson.figures_saved", "zh", folder="runs/x") == "图已保存到 runs/x："
    assert t("lesson.figures_saved", "en", folder="runs/x") == "figures saved in runs/x:"
    assert template("d2l-linear.scratch_epoch", "en") == "epoch {epoch}, loss {train_loss:f}"
    with pytest.raises(KeyError, match=r"no message 'no\.such\.key' in the zh catalogue"):
        t("no.such.key", "zh")
    tr = Texts("zh", "liu-er-gd")
    assert tr("h.which") == "== 笔记打印的数字出自哪种配置？ =="
    assert tr(".lesson.showed") == "这个实验说明了什么："


# --- the language --------------------------------------------------------------------------------
@pytest.mark.parametrize(("environ", "lang"), [
    ({}, "en"),
    ({"LANG": "zh_CN.UTF-8"}, "zh"),
    ({"LANG": "zh_TW.UTF-8"}, "zh"),
    ({"LANG": "en_US.UTF-8"}, "en"),
    ({"LANG": "C.UTF-8"}, "en"),
    ({"LANG": "zh_CN.UTF-8", "LC_ALL": "en_GB.UTF-8"}, "en"),  # LC_ALL wins
    ({"LANG": "en_US.UTF-8", "LC_MESSAGES": "zh_CN.UTF-8"}, "zh"),  # then LC_MESSAGES
    ({"LC_ALL": "", "LC_MESSAGES": "", "LANG": "zh_CN"}, "zh"),  # empty ones do not count
])
def test_the_locale_decides_without_a_flag(environ, lang):
    assert locale_lang(environ) == lang
    assert resolve_lang(None, environ) == lang


def test_a_flag_beats_the_locale_and_a_bad_one_is_named():
    assert resolve_lang("en", {"LANG": "zh_CN.UTF-8"}) == "en"
    assert resolve_lang("zh", {"LANG": "en_US.UTF-8"}) == "zh"
    with pytest.raises(GdlabError, match="--lang must be one of en, zh, got 'fr'"):
        resolve_lang("fr")
    assert normalize_lang("zh-Hans") == "zh"
    assert normalize_lang("en-US") == "en"
    assert normalize_lang("") is None


# --- text in a terminal -----------------------------------------------------------------------
def test_chinese_wraps_between_characters_never_before_closing_punctuation():
    text = t("liu-er-gd.explanation", "zh")
    lines = wrap(text, width=60)
    assert len(lines) > 5
    assert all(display_width(line) <= 60 for line in lines)
    assert not any(line[0] in "，。、；：！？）" for line in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    # numbers and words are never split
    joined = "\n".join(lines)
    for number in ("7.999998569488525", "7.999777758621207", "7.999777317047119"):
        assert number in joined


def test_display_width_counts_cjk_twice():
    assert display_width("abc") == 3
    assert display_width("梯度") == 4
    assert display_width("lr 学习率") == 9


def test_english_wraps_like_textwrap():
    import textwrap

    text = t("coursera-1d.explanation", "en")
    assert wrap(text, width=88) == textwrap.wrap(text, width=88)


# --- Chinese in figures ---------------------------------------------------------------------
def test_a_chinese_title_renders_without_a_missing_glyph():
    from gdlab.viz import fonts
    from gdlab.viz.common import new_figure, png_bytes, styled

    if fonts.cjk_family() is None:  # `make test` installs it: this skips only elsewhere
        pytest.skip("no CJK font installed (Debian: apt-get install fonts-noto-cjk)")

    @styled
    def figure():
        fig = new_figure(3.0, 6.0)
        ax = fig.subplots(1, 1)
        ax.plot([0, 1], [1, 0], label="训练损失（每轮）")
        ax.set_title("损失曲面与梯度下降的路径")
        ax.set_xlabel("轮次 epoch")
        ax.legend()
        fig.suptitle("逻辑回归：交叉熵 −[y log ŷ + (1 − y) log(1 − ŷ)]")
        return fig

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        png = png_bytes(figure())
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert not [str(w.message) for w in caught], [str(w.message) for w in caught]


def test_the_cjk_font_comes_after_dejavu_so_english_figures_are_unchanged():
    from gdlab.viz import fonts
    from gdlab.viz.common import style

    families = style()["font.family"]
    assert families[0] == "DejaVu Sans"
    if fonts.cjk_family() is not None:
        assert families[1] == fonts.cjk_family()


def test_figures_display_as_png_in_jupyter():
    from gdlab import viz

    fig = viz.sigmoid_plot(lang="zh")
    assert isinstance(fig, viz.GdlabFigure)
    assert fig._repr_png_()[:8] == b"\x89PNG\r\n\x1a\n"
    assert fig._repr_png_() == viz.png_bytes(fig)


# --- the command line ------------------------------------------------------------------------------
def _gdlab(*args: str, env: dict | None = None) -> tuple[str, list[str]]:
    """Run ``gdlab ARGS`` in a fresh interpreter; (stdout, heavy modules it imported)."""
    code = ("import sys\nfrom gdlab.cli import main\ntry:\n    main(sys.argv[1:])\n"
            "except SystemExit:\n    pass\n"
            f"print('HEAVY', [m for m in {HEAVY!r} if m in sys.modules])")
    environ = {k: v for k, v in os.environ.items() if k not in ("LC_ALL", "LC_MESSAGES", "LANG")}
    environ["PYTHONPATH"] = SRC + os.pathsep + environ.get("PYTHONPATH", "")
    environ.update(env or {})
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                         env=environ, check=True, timeout=120).stdout
    text, _, heavy = out.rpartition("HEAVY ")
    return text, ast.literal_eval(heavy)


@pytest.mark.parametrize(("args", "env", "lang"), [
    (["lesson", "list"], {}, "en"),
    (["lesson", "list", "--lang", "zh"], {}, "zh"),
    (["lesson", "list"], {"LANG": "zh_CN.UTF-8"}, "zh"),
    (["lesson", "list", "--lang", "en"], {"LANG": "zh_CN.UTF-8"}, "en"),
])
def test_lesson_list_in_either_language_loads_no_heavy_module(args, env, lang):
    out, heavy = _gdlab(*args, env=env)
    assert heavy == []
    lines = out.splitlines()
    for lesson, line in zip(LESSONS.values(), lines, strict=False):
        assert line.split()[0] == lesson.name
        assert lesson.text(lang)["summary"] in line
    assert bool(CJK.search(out)) == (lang == "zh")
    assert t("lesson.list_footer", lang) in out


def test_help_loads_no_heavy_module():
    out, heavy = _gdlab("--help")
    assert heavy == []
    assert "lesson" in out
