"""The playground's settings: parsed from a URL or a JSON body, checked, bounded, normalized.

A page's whole state is one flat mapping of names to values — the keys of
:class:`gdlab.config.TrainConfig` plus the data settings ``data``, ``n``, ``noise``,
``data_seed``, the start point ``start`` ("w,b", "w" for a one-parameter model, or
"zeros"), the ``lesson`` it came from, the play ``speed``, the page's language ``lang``
and the ``slice`` (two parameter indices) its surface panel shows for larger models.
Values may be JSON numbers/booleans or the strings a URL carries.

Resolution, lowest first: gdlab's own defaults (those of ``gdlab train``, except that the
data defaults to ``line-1d`` and the device is always the CPU) → the lesson's
``playground`` settings when ``lesson`` is given → the explicit values. The result is a
:class:`Settings` with every value filled in, so the URL written back from it names every
setting and reproduces the run on any gdlab of the same version.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields

from ..config import (
    ACTIVATIONS,
    DTYPES,
    ENGINE_NAMES,
    LOSSES,
    MODELS,
    OPTIMIZERS,
    SCHEDULES,
    TrainConfig,
)
from ..data import Dataset
from ..errors import GdlabError
from ..losses import default_loss
from ..setup import model_kind
from . import datasets, limits

DATASETS = datasets.offered()  # the data menu (uploads join it as they come)
LANGUAGES = ("en", "zh")
DEFAULT_DATA = "line-1d"  # one feature, so the (w, b) loss surface shows from the start
DEFAULT_SPEED = 20  # updates per second while playing

#: TrainConfig fields that are not playground settings (the server decides them).
_SERVER_SIDE = ("target", "device", "quiet", "record_path", "extra")
#: Settings the page always writes into its URL; the rest only when not at their default.
URL_KEYS = (
    "lesson", "data", "n", "noise", "data_seed", "test_fraction", "val_fraction",
    "standardize", "model", "hidden", "activation", "bias", "loss", "optimizer", "batch_size",
    "shuffle", "momentum", "lr", "epochs", "engine", "l2", "l1", "dtype", "seed", "start", "speed",
)
#: Page settings written into the URL only when set.
PAGE_KEYS = ("lang", "slice")


# --- value parsers: each takes (name, raw value) and returns the typed value ------------
def _text(name: str, value: object) -> str:
    if not isinstance(value, str):
        raise GdlabError(f"{name} must be text, got {value!r}")
    return value.strip()


def _number(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise GdlabError(f"{name} must be a number, got {value!r}")
    if isinstance(value, str) and len(value.strip()) > limits.MAX_NUMBER_CHARS:
        raise GdlabError(f"{name} must be a number of at most {limits.MAX_NUMBER_CHARS} "
                         f"characters, got {len(value.strip()):,}")
    try:
        number = float(value)
    except (ValueError, OverflowError):  # (OverflowError: an int too large for a float)
        raise GdlabError(f"{name} must be a number, got {_short(value)}") from None
    if not math.isfinite(number):
        raise GdlabError(f"{name} must be a finite number, got {value!r}")
    return number


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:40]}… ({len(text):,} characters)"


def _integer(name: str, value: object) -> int:
    number = _number(name, value)
    if number != int(number):
        raise GdlabError(f"{name} must be a whole number, got {value!r}")
    return int(number)


def _in_range(name: str, number, lo, hi, *, lo_open: bool = False, hi_open: bool = False):
    below = number <= lo if lo_open else number < lo
    above = number >= hi if hi_open else number > hi
    if below or above:
        left, right = "(" if lo_open else "[", ")" if hi_open else "]"
        raise GdlabError(f"{name} must be in {left}{lo:g}, {hi:g}{right}, got {number:g}")
    return number


def _boolean(name: str, value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "1", "yes", "on"):
        return True
    if isinstance(value, str) and value.strip().lower() in ("false", "0", "no", "off"):
        return False
    raise GdlabError(f"{name} must be true or false, got {value!r}")


def _choice(choices: tuple[str, ...]) -> Callable[[str, object], str]:
    def parse(name: str, value: object) -> str:
        text = _text(name, value)
        if text not in choices:
            raise GdlabError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
        return text

    return parse


def _optional(parse: Callable[[str, object], object]) -> Callable[[str, object], object]:
    """None, "" and "auto"/"none" mean 'not set' (the default applies)."""

    def wrapped(name: str, value: object):
        if value is None or (isinstance(value, str) and value.strip().lower() in ("", "auto", "none")):
            return None
        return parse(name, value)

    return wrapped


def _ranged_int(lo: int, hi: int) -> Callable[[str, object], int]:
    return lambda name, value: _in_range(name, _integer(name, value), lo, hi)


def _ranged_float(lo: float, hi: float, **kw) -> Callable[[str, object], float]:
    return lambda name, value: _in_range(name, _number(name, value), lo, hi, **kw)


def _numbers(name: str, value: object) -> list:
    if isinstance(value, str):
        parts = [p for p in value.replace("[", "").replace("]", "").split(",") if p.strip()]
    elif isinstance(value, list | tuple):
        parts = list(value)
    else:
        raise GdlabError(f"{name} must be a list of numbers, got {value!r}")
    return parts


def _hidden(name: str, value: object) -> tuple[int, ...]:
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = [value]
    sizes = tuple(_integer(f"{name}[{i}]", v) for i, v in enumerate(_numbers(name, value)))
    if not sizes:
        raise GdlabError(f"{name} needs at least one layer size, got {value!r}")
    if len(sizes) > limits.MAX_HIDDEN_LAYERS:
        raise GdlabError(
            f"{name} has {len(sizes)} layers; the playground allows at most {limits.MAX_HIDDEN_LAYERS}"
        )
    for i, size in enumerate(sizes):
        _in_range(f"{name}[{i}]", size, 1, limits.MAX_HIDDEN_UNITS)
    return sizes


def _start(name: str, value: object) -> tuple[float, ...] | str:
    if isinstance(value, str) and value.strip() == "zeros":
        return "zeros"
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = [value]
    parts = _numbers(name, value)
    if len(parts) not in (1, 2):
        raise GdlabError(f"{name} must be two numbers 'w,b' (one, 'w', without a bias) or "
                         f"'zeros', got {_short(value)}")
    return tuple(_in_range(name, _number(name, v), -limits.MAX_ABS_START, limits.MAX_ABS_START)
                 for v in parts)


def _data(name: str, value: object) -> str:
    text = _text(name, value)
    if not datasets.is_known(text):
        if text.startswith(datasets.UPLOAD_PREFIX):
            raise GdlabError(f"{name} {text!r} is not on this server (an upload is kept only while "
                             "the server runs); upload the file again")
        raise GdlabError(f"{name} must be one of {', '.join(DATASETS)} or an upload, got {_short(value)}")
    return text


def _slice(name: str, value: object) -> tuple[int, int]:
    parts = _numbers(name, value)
    if len(parts) != 2:
        raise GdlabError(f"{name} must be two parameter numbers 'i,j', got {_short(value)}")
    return tuple(_in_range(name, _integer(name, v), 0, 10**6) for v in parts)


def _batch_size(name: str, value: object) -> int | str:
    if isinstance(value, str) and value.strip() == "full":
        return "full"
    return _in_range(name, _integer(name, value), 1, limits.MAX_SAMPLES)


def _pair(name: str, value: object) -> tuple[float, float]:
    parts = _numbers(name, value)
    if len(parts) != 2:
        raise GdlabError(f"{name} must be two numbers, got {value!r}")
    return tuple(_in_range(name, _number(name, v), 0, 1, hi_open=True) for v in parts)


PARSERS: dict[str, Callable[[str, object], object]] = {
    "lesson": _optional(_text),
    "lang": _optional(_choice(LANGUAGES)),
    "slice": _optional(_slice),
    "data": _data,
    "n": _optional(_ranged_int(1, limits.MAX_SAMPLES)),
    "noise": _optional(_ranged_float(0.0, limits.MAX_NOISE)),
    "data_seed": _optional(_ranged_int(0, limits.MAX_SEED)),
    "start": _optional(_start),
    "speed": _ranged_int(limits.MIN_STEPS_PER_SECOND, limits.MAX_STEPS_PER_SECOND),
    # TrainConfig settings
    "model": _optional(_choice(MODELS)),
    "hidden": _hidden,
    "activation": _choice(ACTIVATIONS),
    "optimizer": _choice(OPTIMIZERS),
    "batch_size": _optional(_batch_size),
    "lr": _ranged_float(0.0, limits.MAX_LR, lo_open=True),
    "epochs": _ranged_int(1, limits.MAX_EPOCHS),
    "engine": _choice(ENGINE_NAMES),
    "loss": _optional(_choice(LOSSES)),
    "l2": _ranged_float(0.0, limits.MAX_PENALTY),
    "l1": _ranged_float(0.0, limits.MAX_PENALTY),
    "bias": _boolean,
    "shuffle": _boolean,
    "momentum": _ranged_float(0.0, 1.0, hi_open=True),
    "betas": _pair,
    "eps": _ranged_float(0.0, 1.0, lo_open=True),
    "schedule": _choice(SCHEDULES),
    "lr_step": _ranged_int(1, limits.MAX_EPOCHS),
    "lr_gamma": _ranged_float(0.0, 1.0, lo_open=True),
    "power_t": _ranged_float(0.0, 10.0),
    "tol": _optional(_ranged_float(0.0, 1e6)),
    "patience": _ranged_int(1, limits.MAX_EPOCHS),
    "grad_tol": _optional(_ranged_float(0.0, 1e6, lo_open=True)),
    "early_stopping": _boolean,
    "val_fraction": _ranged_float(0.0, 0.9),
    "test_fraction": _ranged_float(0.0, 0.9),
    "standardize": _boolean,
    "init_std": _optional(_ranged_float(0.0, 100.0, lo_open=True)),
    "seed": _ranged_int(0, limits.MAX_SEED),
    "dtype": _choice(DTYPES),
}
#: The TrainConfig settings a page may set (a setting added to TrainConfig later keeps its
#: default here until it gets a parser above).
TRAIN_KEYS = tuple(f.name for f in fields(TrainConfig) if f.name in PARSERS and f.name not in _SERVER_SIDE)


@dataclass(frozen=True)
class Settings:
    """Every setting of one playground run, typed and checked (see the module docstring)."""

    values: dict

    def __getattr__(self, name: str):
        try:
            return self.values[name]
        except KeyError:
            raise AttributeError(name) from None

    def train_kwargs(self) -> dict:
        """The keyword arguments of ``gdlab.train`` that give this run."""
        kw = {k: self.values[k] for k in TRAIN_KEYS}
        return {**kw, "device": "cpu", "quiet": True}

    def config(self) -> TrainConfig:
        return TrainConfig.from_kwargs(**self.train_kwargs())

    def data_kwargs(self) -> dict:
        """The keyword arguments of ``gdlab.load`` that build this run's data (built-in
        sets; a stand-in or an upload takes none)."""
        name = self.values["data"]
        if name not in datasets.BUILTIN:
            return {}
        kw: dict = {"seed": self.values["data_seed"]}
        if "n" in datasets.takes(name):
            kw["n"] = self.values["n"]
        if self.values["noise"] is not None:
            kw[datasets.noise_key(name)] = self.values["noise"]
        return kw

    def load_data(self) -> Dataset:
        return datasets.make(self.values["data"], **self.data_kwargs())

    def with_values(self, **changes) -> Settings:
        """A copy with ``changes`` parsed and applied (the lesson name is kept)."""
        return parse_settings({**self.values, **changes})

    def to_query(self) -> dict[str, str]:
        """The settings as URL query parameters (strings), every one named."""
        out: dict[str, str] = {}
        defaults = base_defaults()
        for key in URL_KEYS + tuple(k for k in TRAIN_KEYS if k not in URL_KEYS):
            value = self.values[key]
            if key not in URL_KEYS and value == defaults.get(key):
                continue
            out[key] = _format(value)
        for key in PAGE_KEYS:
            if self.values[key] is not None:
                out[key] = _format(self.values[key])
        return out

    def to_json(self) -> dict:
        """The settings as plain JSON values."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in self.values.items()}


def _format(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple | list):
        return ",".join(_format(v) for v in value)
    if isinstance(value, float):
        return repr(value) if value != int(value) or abs(value) >= 1e16 else str(int(value))
    return str(value)


def data_facts(name: str) -> dict:
    """What the page needs to know about a data set (see :func:`gdlab.web.datasets.facts`)."""
    return datasets.facts(name)


@functools.cache
def base_defaults() -> dict:
    """gdlab train's defaults for every training setting, plus the playground's own."""
    cfg = TrainConfig()
    values = {k: getattr(cfg, k) for k in TRAIN_KEYS}
    if values.get("lr") == "auto":  # the page's slider starts from a number
        values["lr"] = 0.1
    values["hidden"], values["betas"] = tuple(cfg.hidden), tuple(cfg.betas)
    values.update(lesson=None, data=DEFAULT_DATA, n=None, noise=None, data_seed=None,
                  start=None, speed=DEFAULT_SPEED, lang=None, slice=None)
    return values


def lesson_settings(name: str) -> dict:
    """The playground settings of lesson ``name`` (raises GdlabError if it has none)."""
    from .lessons import playground_lessons, playground_settings

    lessons = playground_lessons()
    if name not in lessons:
        known = ", ".join(lessons) or "none are available"
        raise GdlabError(f"lesson must be one of {known}, got {_short(name)}")
    return dict(playground_settings(name))


def parse_settings(raw: Mapping[str, object]) -> Settings:
    """Check and complete the settings ``raw`` (from a URL query or a JSON object).

    Raises
    ------
    GdlabError
        One line naming the first unknown key or bad value, e.g.
        ``lr must be in (0, 100], got 500``.
    """
    if not isinstance(raw, Mapping):
        raise GdlabError(f"settings must be a JSON object, got {type(raw).__name__}")
    unknown = sorted(str(k) for k in raw if k not in PARSERS)
    if unknown:
        raise GdlabError(f"unknown setting {unknown[0]!r}; known settings: {', '.join(sorted(PARSERS))}")
    values = dict(base_defaults())
    lesson = PARSERS["lesson"]("lesson", raw.get("lesson"))
    if lesson is not None:
        for key, value in lesson_settings(lesson).items():
            if key not in PARSERS:
                raise GdlabError(f"lesson {lesson!r} uses setting {key!r}, which the playground lacks")
            values[key] = PARSERS[key](key, value)
    for key, value in raw.items():
        values[key] = PARSERS[key](key, value)
    values["lesson"] = lesson
    return Settings(_complete(values))


def _complete(values: dict) -> dict:
    """Fill in what depends on the data set (n, noise, seed, model, loss) and cross-check."""
    facts = data_facts(values["data"])
    for key in ("n", "noise", "data_seed"):
        if facts[key] is None:
            if values[key] is not None and key != "data_seed":
                raise GdlabError(f"{values['data']} has a fixed {'size' if key == 'n' else key}; "
                                 f"leave {key} unset")
            values[key] = None
        elif values[key] is None:
            values[key] = facts[key]
    if facts["n"] is not None:
        minimum = max(2, facts["n_classes"])
        _in_range("n", values["n"], minimum, limits.MAX_SAMPLES)
    if facts["n_features"] > limits.MAX_FEATURES:
        raise GdlabError(f"{values['data']} has {facts['n_features']} features; the playground "
                         f"allows at most {limits.MAX_FEATURES}")
    # the rules of gdlab.setup: the model from the task; softmax on two classes is two outputs
    values["model"] = model_kind(values["model"], facts["task"])
    task = "multiclass" if values["model"] == "softmax" and facts["task"] == "binary" else facts["task"]
    if values["model"] == "softmax" and task == "regression":
        raise GdlabError(f"model softmax needs a class target; {values['data']} has a numeric target")
    if values["loss"] is None:
        values["loss"] = default_loss(task)
    if values["optimizer"] == "gd" and values["batch_size"] not in (None, "full"):
        values["batch_size"] = None  # gd is full batch; a leftover batch size means nothing
    if values["optimizer"] == "sgd" and values["batch_size"] not in (None, 1):
        values["batch_size"] = None
    TrainConfig.from_kwargs(**{k: values[k] for k in TRAIN_KEYS}, device="cpu")
    return values
