"""Validation of estimator parameters, shared by the featurizers and the model families.

scikit-learn estimators check their parameters in ``fit`` (never in ``__init__``); these
helpers give every family the same clear messages naming the parameter and the bad value.
"""

from __future__ import annotations

import argparse
import numbers
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from structnlp.errors import StructNLPError


def is_int(value: Any) -> bool:
    """True for Python and numpy integers, False for bools (which are ints to Python).

    >>> import numpy as np
    >>> is_int(3), is_int(np.int64(3)), is_int(True), is_int(3.0)
    (True, True, False, False)
    """
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def is_number(value: Any) -> bool:
    """True for real numbers, numpy's included (``np.float32`` from a grid), False for bools.

    >>> import numpy as np
    >>> is_number(0.5), is_number(np.float32(0.5)), is_number(True), is_number("0.5")
    (True, True, False, False)
    """
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def check_bool(name: str, value: Any) -> None:
    """Raise unless ``value`` is a bool.

    >>> check_bool("lowercase", "yes")
    Traceback (most recent call last):
    structnlp.errors.StructNLPError: lowercase must be True or False, got 'yes'
    """
    if not isinstance(value, (bool, np.bool_)):
        raise StructNLPError(f"{name} must be True or False, got {value!r}")


def check_int(name: str, value: Any, low: int, allow_none: bool = False) -> None:
    """Raise unless ``value`` is an int >= ``low`` (or None when ``allow_none``).

    >>> check_int("min_df", 0, low=1)
    Traceback (most recent call last):
    structnlp.errors.StructNLPError: min_df must be an int >= 1, got 0
    """
    if value is None and allow_none:
        return
    if not is_int(value) or value < low:
        none = "None or " if allow_none else ""
        raise StructNLPError(f"{name} must be {none}an int >= {low}, got {value!r}")


def check_choice(name: str, value: Any, choices: Sequence[str]) -> None:
    """Raise unless ``value`` is one of ``choices``.

    >>> check_choice("padding", "left", ("pre", "post"))
    Traceback (most recent call last):
    structnlp.errors.StructNLPError: padding must be one of 'pre', 'post', got 'left'
    """
    if not isinstance(value, str) or value not in choices:
        raise StructNLPError(f"{name} must be one of {', '.join(map(repr, choices))}, got {value!r}")


def changed_since_fit(estimator: Any, fitted: dict[str, Any]) -> list[str]:
    """The parameters that ``set_params`` changed from the values the fitted weights were built
    with, as ``"name=now (fitted with then)"``: the weights cannot follow such a change.

    >>> class Model:
    ...     n_topics = 8
    >>> changed_since_fit(Model(), {"n_topics": 4})
    ['n_topics=8 (fitted with 4)']
    """
    return [
        f"{name}={getattr(estimator, name)!r} (fitted with {value!r})"
        for name, value in fitted.items()
        if getattr(estimator, name) != value
    ]


def count_argument(low: int) -> Callable[[str], int]:
    """An argparse ``type`` for a count of at least ``low``: a bad one is a usage error up front
    (a negative count would otherwise slice output from the end, silently).

    >>> parser = argparse.ArgumentParser(prog="demo", exit_on_error=False)
    >>> _ = parser.add_argument("--top", type=count_argument(0))
    >>> parser.parse_args(["--top", "3"]).top
    3
    >>> parser.parse_args(["--top", "-1"])
    Traceback (most recent call last):
    argparse.ArgumentError: argument --top: expected a whole number >= 0, got -1
    """

    def count(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number >= {low}, got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"expected a whole number >= {low}, got {value}")
        return value

    return count
