"""The lessons: one runnable module per experiment of the course notes (SPEC.md §1).

``LESSONS`` maps each lesson's CLI name to a :class:`Lesson`, in course order::

    from gdlab.lessons import LESSONS
    result = LESSONS["liu-er-gd"].run(out=None)   # prints the lesson, returns its numbers
    result["gd_predict"]                          # 7.999777758621207

Each lesson module defines ``NAME``, ``TITLE``, ``SUMMARY``, ``EXPLANATION``,
``PLAYGROUND`` and ``run(*, out, log, data) -> dict``.
"""

from __future__ import annotations

import difflib
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import torch

from ..errors import GdlabError
from . import coursera_1d, d2l_linear, liu_er_gd, ng_logistic, seed004_network
from .common import Log


@dataclass(frozen=True)
class Lesson:
    """One experiment of the notes.

    Attributes
    ----------
    name : str
        The CLI name (``gdlab lesson NAME``), short and kebab-case.
    title : str
    summary : str
        One line for ``gdlab lesson list``.
    explanation : str
        A short plain-language paragraph printed after the lesson's output.
    playground : dict or None
        Settings a browser playground loads for this lesson: ``TrainConfig`` keys plus
        ``data``, ``n``, ``noise`` and ``start`` = [w, b] where they apply.
    accepts_data : bool
        Whether ``run`` takes ``data`` (a file or built-in name to use instead of the
        lesson's own data).
    """

    name: str
    title: str
    summary: str
    explanation: str
    playground: dict | None
    accepts_data: bool
    _run: Callable[..., dict]

    def run(self, *, out: Path | None = None, log: Log = print, data: str | None = None) -> dict:
        """Run the lesson: print its output, then the explanation; save figures to ``out``.

        Returns the key numbers it printed (and ``"figures"``: the paths written).
        PyTorch runs on one thread meanwhile (restored after): on tensors this small,
        handing work to a second thread costs more than it saves, badly so on a busy machine.
        """
        if data is not None and not self.accepts_data:
            raise GdlabError(f"lesson {self.name} runs on the notes' own data; it takes no --data")
        log(self.title)
        log("=" * len(self.title))
        threads = torch.get_num_threads()
        torch.set_num_threads(1)  # lessons are tiny: thread hand-offs would cost more than they save
        try:
            result = self._run(out=None if out is None else Path(out), log=log, data=data)
        finally:
            torch.set_num_threads(threads)
        log("")
        log("What this showed:")
        for line in textwrap.wrap(self.explanation, width=88):
            log("  " + line)
        if result.get("figures"):
            log("")
            log(f"figures saved in {Path(result['figures'][0]).parent}:")
            for path in result["figures"]:
                log(f"  {Path(path).name}")
        return result


def _lesson(module: ModuleType, *, accepts_data: bool = False) -> Lesson:
    return Lesson(
        name=module.NAME, title=module.TITLE, summary=module.SUMMARY,
        explanation=module.EXPLANATION, playground=module.PLAYGROUND,
        accepts_data=accepts_data, _run=module.run,
    )


LESSONS: dict[str, Lesson] = {
    lesson.name: lesson
    for lesson in (
        _lesson(liu_er_gd),
        _lesson(d2l_linear),
        _lesson(coursera_1d),
        _lesson(ng_logistic, accepts_data=True),
        _lesson(seed004_network),
    )
}


def get_lesson(name: str) -> Lesson:
    """The lesson called ``name``; GdlabError naming the known ones otherwise."""
    if name in LESSONS:
        return LESSONS[name]
    close = difflib.get_close_matches(name, LESSONS, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise GdlabError(f"unknown lesson {name!r}{hint}; lessons: {', '.join(LESSONS)}")


__all__ = ["LESSONS", "Lesson", "get_lesson"]
