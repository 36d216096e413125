"""Text for people, in Chinese and English: message catalogues looked up by key.

Every sentence gdlab prints or draws for a learner lives in two catalogues,
``gdlab.i18n.en`` and ``gdlab.i18n.zh`` (plain dicts, one module per area), so the code
reads the same in both languages and a missing translation fails a test instead of
printing a silent English line::

    >>> from gdlab.i18n import t
    >>> t("lesson.showed", "en")
    'What this showed:'
    >>> t("lesson.figures_saved", "zh", folder="runs/x")
    '图已保存到 runs/x：'

Messages are ``str.format`` templates: the same fields with the same format specs in
both languages, so every number is printed with identical digits. A literal brace is
written ``{{`` / ``}}``.

The language is ``"en"`` or ``"zh"``. :func:`resolve_lang` turns a ``--lang`` flag (or
its absence: the locale) into one. This module imports nothing heavy: ``gdlab lesson
list`` uses it before PyTorch is loaded.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping

from ..errors import GdlabError
from .text import display_width, ljust, rjust, wrap

LANGS = ("en", "zh")
DEFAULT_LANG = "en"
#: The catalogue modules of each language (``gdlab.i18n.<lang>.<area>``), merged in order.
AREAS = ("common", "train", "viz", "report", "experiments", "liu_er_gd", "d2l_linear", "coursera_1d",
         "ng_logistic", "seed004_network")
LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG")

_CATALOGS: dict[str, dict[str, str]] = {}


def normalize_lang(text: str | None) -> str | None:
    """``"zh"``, ``"en"`` or None for a language tag such as ``zh_CN.UTF-8``, ``zh-Hans``,
    ``en-US`` or ``C`` (anything not Chinese is English; empty or None is None)."""
    if not text:
        return None
    tag = text.strip().lower()
    if not tag:
        return None
    return "zh" if tag.startswith("zh") else "en"


def locale_lang(environ: Mapping[str, str] | None = None) -> str:
    """The language of the locale: the first set of ``LC_ALL``, ``LC_MESSAGES``, ``LANG``
    (as POSIX resolves them) — Chinese when it starts with ``zh``, else English."""
    env = os.environ if environ is None else environ
    for name in LOCALE_VARIABLES:
        value = env.get(name)
        if value:
            return normalize_lang(value) or DEFAULT_LANG
    return DEFAULT_LANG


def resolve_lang(flag: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    """The language to use: ``flag`` (``--lang zh|en``) when given, else the locale's.

    Raises
    ------
    GdlabError
        For a flag that is neither ``zh`` nor ``en``.
    """
    if flag is None or flag == "":
        return locale_lang(environ)
    if flag not in LANGS:
        raise GdlabError(f"--lang must be one of {', '.join(LANGS)}, got {flag!r}")
    return flag


def catalog(lang: str) -> dict[str, str]:
    """Every message of ``lang``: key → template (loaded once, on first use)."""
    if lang not in LANGS:
        raise GdlabError(f"language must be one of {', '.join(LANGS)}, got {lang!r}")
    if lang not in _CATALOGS:
        merged: dict[str, str] = {}
        for area in AREAS:
            messages = importlib.import_module(f"{__name__}.{lang}.{area}").MESSAGES
            twice = merged.keys() & messages.keys()
            if twice:
                raise KeyError(f"{lang}.{area} repeats keys of another area: {sorted(twice)}")
            merged.update(messages)
        _CATALOGS[lang] = merged
    return _CATALOGS[lang]


def t(key: str, lang: str = DEFAULT_LANG, /, **fmt: object) -> str:
    """The message ``key`` in ``lang``, formatted with ``fmt``.

    Raises
    ------
    KeyError
        For a key neither catalogue has (a bug: tests check both have every key).
    """
    messages = catalog(lang)
    try:
        template = messages[key]
    except KeyError:
        raise KeyError(f"no message {key!r} in the {lang} catalogue") from None
    return template.format(**fmt)


def template(key: str, lang: str = DEFAULT_LANG) -> str:
    """The message ``key`` in ``lang`` unformatted, for a caller that formats it itself
    (a per-epoch line filled from each history entry)."""
    try:
        return catalog(lang)[key]
    except KeyError:
        raise KeyError(f"no message {key!r} in the {lang} catalogue") from None


def has(key: str, lang: str = DEFAULT_LANG) -> bool:
    """Whether the ``lang`` catalogue has ``key``."""
    return key in catalog(lang)


class Texts:
    """``t`` bound to one language and a key prefix: ``tr = Texts("zh", "liu"); tr("gd")``.

    A key starting with ``.`` skips the prefix (``tr(".lesson.showed")``).
    """

    def __init__(self, lang: str, prefix: str = ""):
        self.lang = resolve_lang(lang)
        self.prefix = prefix

    def key(self, key: str) -> str:
        if key.startswith("."):
            return key[1:]
        return f"{self.prefix}.{key}" if self.prefix else key

    def __call__(self, key: str, /, **fmt: object) -> str:
        return t(self.key(key), self.lang, **fmt)

    def template(self, key: str) -> str:
        """The unformatted message (see :func:`template`)."""
        return template(self.key(key), self.lang)


__all__ = [
    "DEFAULT_LANG", "LANGS", "Texts", "catalog", "display_width", "has", "ljust",
    "locale_lang", "normalize_lang", "resolve_lang", "rjust", "t", "template", "wrap",
]
