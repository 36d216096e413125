"""The lessons menu: the lessons of ``gdlab lesson list`` the playground can run.

A lesson is in the menu when it has ``playground`` settings, or when this module gives
it some (:data:`PLAYGROUND`: settings for a lesson whose own module has none — the
ng-logistic lesson runs here on its digits stand-in, ``data=ng-digits``).

Every text of a lesson the page shows goes through :func:`lesson_text`, the one place
that knows where lesson texts come from and in which language.
"""

from __future__ import annotations

import importlib

#: Playground settings for lessons whose module defines none. ng-logistic: Ng's week-2
#: run — full-batch gradient descent from w = 0, b = 0 at lr 0.005 for 2000 iterations on
#: the cross-entropy, in float64 with the hand-written engine, on the lesson's own data
#: (its stand-in with its test split; no validation rows, no standardization).
PLAYGROUND = {
    "ng-logistic": {
        "data": "ng-digits", "model": "logistic", "optimizer": "gd", "lr": 0.005,
        "epochs": 2000, "loss": "bce", "start": "zeros", "standardize": False,
        "val_fraction": 0.0, "test_fraction": 0.0, "dtype": "float64", "engine": "manual",
    },
}


def _registry() -> dict:
    try:
        module = importlib.import_module("gdlab.lessons")
    except ModuleNotFoundError as err:  # the lessons package is optional for the server
        if err.name not in ("gdlab.lessons",):
            raise
        return {}
    return dict(module.LESSONS)


def playground_settings(name: str) -> dict | None:
    """The settings the playground loads for lesson ``name`` (None: not in the menu)."""
    lesson = _registry().get(name)
    if lesson is None:
        return None
    return getattr(lesson, "playground", None) or PLAYGROUND.get(name)


def playground_lessons() -> dict:
    """Lesson name → lesson, in menu order, for the lessons the playground can run."""
    return {name: lesson for name, lesson in _registry().items() if playground_settings(name)}


def lesson_text(name: str, lang: str | None) -> dict:
    """The texts of lesson ``name`` the page shows — ``{"title", "summary",
    "explanation"}`` — in the page's language ``lang`` ("en", "zh"; None: English).

    The one place lesson texts come from: today the lessons' English attributes for
    every language; with bilingual lessons, the lesson's own text for ``lang``.
    """
    lesson = _registry()[name]
    return {"title": lesson.title, "summary": lesson.summary, "explanation": lesson.explanation}


def lesson_menu(lang: str | None = None) -> list[dict]:
    """The menu as plain data: name, texts (in ``lang``) and settings of each lesson."""
    return [
        {
            "name": name,
            **lesson_text(name, lang),
            "settings": {k: list(v) if isinstance(v, tuple) else v
                         for k, v in playground_settings(name).items()},
        }
        for name in playground_lessons()
    ]
