"""The lessons: one runnable module per experiment of the course notes (SPEC.md §1).

``LESSONS`` maps each lesson's CLI name to a :class:`Lesson`, in course order::

    from gdlab.lessons import LESSONS
    lesson = LESSONS["liu-er-gd"]
    lesson.text("zh")["title"]                    # its title, summary and explanation
    result = lesson.run(out=None, lang="zh")      # prints the lesson, returns its numbers
    result["gd_predict"]                          # 7.999777758621207 in either language

The registry is light: names, playground settings and texts (from the ``gdlab.i18n``
catalogues) need no PyTorch, so ``gdlab lesson list`` starts at once. A lesson's module
(``gdlab.lessons.<module>``, with ``run(*, out, log, data, lang) -> dict``) is imported
when the lesson runs.
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..errors import GdlabError
from ..i18n import resolve_lang, t, wrap

Log = Callable[[str], None]

#: Text keys every lesson has in both catalogues: ``<name>.<field>``.
TEXT_FIELDS = ("title", "summary", "explanation")


@dataclass(frozen=True)
class Lesson:
    """One experiment of the notes.

    Attributes
    ----------
    name : str
        The CLI name (``gdlab lesson NAME``), short and kebab-case.
    module : str
        The module under ``gdlab.lessons`` that runs it.
    playground : dict or None
        Settings a browser playground loads for this lesson: ``TrainConfig`` keys plus
        ``data``, ``n``, ``noise`` and ``start`` = [w, b] where they apply.
    accepts_data : bool
        Whether ``run`` takes ``data`` (a file or built-in name to use instead of the
        lesson's own data).
    """

    name: str
    module: str
    playground: dict | None = None
    accepts_data: bool = False

    def text(self, lang: str = "en") -> dict[str, str]:
        """``{"title", "summary", "explanation"}`` in ``lang`` (``"en"`` or ``"zh"``)."""
        lang = resolve_lang(lang)
        return {f: t(f"{self.name}.{f}", lang) for f in TEXT_FIELDS}

    @property
    def title(self) -> str:
        """The English title (``text(lang)["title"]`` for another language)."""
        return self.text("en")["title"]

    @property
    def summary(self) -> str:
        """One English line for ``gdlab lesson list``."""
        return self.text("en")["summary"]

    @property
    def explanation(self) -> str:
        """The English paragraph printed after the lesson's output."""
        return self.text("en")["explanation"]

    def run(self, *, out: Path | str | None = None, log: Log = print, data: str | None = None,
            lang: str = "en") -> dict:
        """Run the lesson: print its output, then the explanation; save figures to ``out``.

        Returns the key numbers it printed (the same in every language) and
        ``"figures"``: the paths written. PyTorch runs on one thread meanwhile (restored
        after): on tensors this small, handing work to a second thread costs more than it
        saves, badly so on a busy machine.
        """
        lang = resolve_lang(lang)
        if data is not None and not self.accepts_data:
            raise GdlabError(t("lesson.no_data", lang, name=self.name))
        import torch  # the lesson's own work needs it; the registry does not

        texts = self.text(lang)
        log(texts["title"])
        log("=" * _rule_width(texts["title"]))
        module = importlib.import_module(f"{__name__}.{self.module}")
        threads = torch.get_num_threads()
        torch.set_num_threads(1)  # lessons are tiny: thread hand-offs would cost more than they save
        try:
            result = module.run(out=None if out is None else Path(out), log=log, data=data, lang=lang)
        finally:
            torch.set_num_threads(threads)
        log("")
        log(t("lesson.showed", lang))
        for line in wrap(texts["explanation"], width=88):
            log("  " + line)
        if result.get("figures"):
            log("")
            log(t("lesson.figures_saved", lang, folder=Path(result["figures"][0]).parent))
            for path in result["figures"]:
                log(f"  {Path(path).name}")
        return result


def _rule_width(title: str) -> int:
    from ..i18n import display_width

    return display_width(title)


LESSONS: dict[str, Lesson] = {
    lesson.name: lesson
    for lesson in (
        # the course exactly: y = w·x (no bias) from w = 1, in float64, rows in order —
        # gdlab.train (and the playground) reach the lesson's w = 1.9999444396553017
        Lesson("liu-er-gd", "liu_er_gd", playground={
            "data": "toy-1d", "model": "linear", "bias": False, "optimizer": "gd", "lr": 0.01,
            "epochs": 100, "loss": "mse", "start": [1.0], "standardize": False,
            "dtype": "float64", "shuffle": False,
        }),
        Lesson("d2l-linear", "d2l_linear", playground={
            "data": "synthetic-linear", "n": 1000, "noise": 0.01, "model": "linear",
            "optimizer": "minibatch", "batch_size": 10, "lr": 0.03, "epochs": 3,
            "loss": "half-mse", "init_std": 0.01, "standardize": False,
        }),
        Lesson("coursera-1d", "coursera_1d", playground={
            "data": "line-1d", "noise": 0.1, "model": "linear", "optimizer": "minibatch",
            "batch_size": 5, "lr": 0.1, "epochs": 10, "loss": "mse", "start": [-15, -10],
            "standardize": False, "shuffle": False,  # the course's order
        }),
        # Ng's week-2 run on the lesson's digits stand-in: full-batch GD from w = 0, b = 0 at
        # lr 0.005 for 2000 iterations on the cross-entropy, float64, the hand-written engine
        Lesson("ng-logistic", "ng_logistic", accepts_data=True, playground={
            "data": "ng-digits", "model": "logistic", "optimizer": "gd", "lr": 0.005,
            "epochs": 2000, "loss": "bce", "start": "zeros", "standardize": False,
            "val_fraction": 0.0, "test_fraction": 0.0, "dtype": "float64", "engine": "manual",
        }),
        Lesson("seed004-network", "seed004_network", playground={
            "data": "classification", "model": "mlp", "hidden": [10], "activation": "sigmoid",
            "optimizer": "gd", "lr": 0.1, "epochs": 1000, "loss": "bce", "standardize": False,
        }),
    )
}

#: The Liu Er lesson exactly as the course runs it (its playground settings): y = w·x (no
#: bias) from w = 1, in float64, rows in order; ``gdlab.train`` with these settings reaches
#: the lesson's w = 1.9999444396553017.
LIU_ER_COURSE_SETTINGS = LESSONS["liu-er-gd"].playground


def get_lesson(name: str, lang: str = "en") -> Lesson:
    """The lesson called ``name``; GdlabError naming the known ones otherwise."""
    if name in LESSONS:
        return LESSONS[name]
    close = difflib.get_close_matches(name, LESSONS, n=1)
    hint = t("lesson.did_you_mean", resolve_lang(lang), name=close[0]) if close else ""
    raise GdlabError(t("lesson.unknown", resolve_lang(lang), name=name, hint=hint,
                       known=", ".join(LESSONS)))


def playground_lessons() -> dict[str, Lesson]:
    """Lesson name → lesson, in menu order, for the lessons with ``playground`` settings."""
    return {name: lesson for name, lesson in LESSONS.items() if lesson.playground}


__all__ = ["LESSONS", "LIU_ER_COURSE_SETTINGS", "Lesson", "get_lesson", "playground_lessons"]
