"""The lessons menu: the lessons of ``gdlab lesson list`` that have playground settings."""

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


def playground_lessons() -> dict:
    """Lesson name → lesson, in menu order, for the lessons with ``playground`` settings."""
    return {name: lesson for name, lesson in _registry().items()
            if getattr(lesson, "playground", None)}


def lesson_menu() -> list[dict]:
    """The menu as plain data: name, title, summary, explanation and settings of each lesson."""
    return [
        {
            "name": name,
            "title": lesson.title,
            "summary": lesson.summary,
            "explanation": lesson.explanation,
            "settings": {k: list(v) if isinstance(v, tuple) else v
                         for k, v in lesson.playground.items()},
        }
        for name, lesson in playground_lessons().items()
    ]
