"""The lessons menu: the lessons of ``gdlab lesson list`` the playground can run.

A lesson is in the menu when it has ``playground`` settings (``gdlab.lessons.LESSONS``;
the ng-logistic lesson runs on its digits stand-in, ``data=ng-digits``).

Every text of a lesson the page shows goes through :func:`lesson_text`, the one place
that knows where lesson texts come from: the lesson's own text in the page's language.
"""

from __future__ import annotations

import importlib


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
    return getattr(lesson, "playground", None)


def playground_lessons() -> dict:
    """Lesson name → lesson, in menu order, for the lessons the playground can run."""
    return {name: lesson for name, lesson in _registry().items() if playground_settings(name)}


def lesson_text(name: str, lang: str | None) -> dict:
    """The texts of lesson ``name`` the page shows — ``{"title", "summary",
    "explanation"}`` — in the page's language ``lang`` ("en", "zh"; None: English).

    The one place lesson texts come from: the lesson's own text for ``lang``.
    """
    return _registry()[name].text(lang if lang in ("en", "zh") else "en")


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
