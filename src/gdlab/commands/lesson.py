"""``gdlab lesson``: list the course experiments, or run one of them."""

from __future__ import annotations

import click


@click.command()
@click.argument("name", required=False, default="list")
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="Folder for the lesson's figures (default: runs/lessons/NAME).")
@click.option("--data", default=None,
              help="Data to use instead of the lesson's own (ng-logistic: e.g. train_catvnoncat.h5).")
def command(name, out, data):
    """Run the lesson NAME, or `list` the lessons (the experiments of the course notes)."""
    from pathlib import Path

    from ..lessons import LESSONS, get_lesson

    if name == "list":
        width = max(len(n) for n in LESSONS)
        for lesson in LESSONS.values():
            click.echo(f"{lesson.name:<{width}}  {lesson.summary}")
        click.echo("\nRun one with `gdlab lesson NAME [--out DIR]`; "
                   "ng-logistic also takes --data train_catvnoncat.h5.")
        return
    lesson = get_lesson(name)
    lesson.run(out=Path(out or f"runs/lessons/{lesson.name}"), log=click.echo, data=data)
