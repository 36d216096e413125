"""``gdlab lesson``: list the course experiments, or run one of them.

``list`` reads only the registry and the text catalogues, so it starts without loading
PyTorch, scikit-learn or matplotlib; running a lesson imports what that lesson needs.
"""

from __future__ import annotations

import click


@click.command()
@click.argument("name", required=False, default="list")
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="Folder for the lesson's figures (default: runs/lessons/NAME).")
@click.option("--data", default=None,
              help="Data to use instead of the lesson's own (ng-logistic: e.g. train_catvnoncat.h5).")
@click.option("--lang", type=click.Choice(["zh", "en"]), default=None,
              help="Language of the lesson's text and figures (default: from the locale, "
                   "LC_ALL / LC_MESSAGES / LANG: zh* is Chinese, otherwise English).")
def command(name, out, data, lang):
    """Run the lesson NAME, or `list` the lessons (the experiments of the course notes)."""
    from pathlib import Path

    from ..i18n import ljust, resolve_lang, t
    from ..lessons import LESSONS, get_lesson

    lang = resolve_lang(lang)
    if name == "list":
        texts = {n: lesson.text(lang) for n, lesson in LESSONS.items()}
        width = max(len(n) for n in LESSONS)
        for n in LESSONS:
            click.echo(f"{ljust(n, width)}  {texts[n]['summary']}")
        click.echo("\n" + t("lesson.list_footer", lang))
        return
    lesson = get_lesson(name, lang)
    lesson.run(out=Path(out or f"runs/lessons/{lesson.name}"), log=click.echo, data=data, lang=lang)
