"""The ``structnlp`` command.

Subcommands of the core live here (``demo``, ``data info``); each model package may add
its own by shipping a ``<package>/cli.py`` module with a ``register(subparsers)`` function.
Those modules are imported only when the command line is built, so ``import structnlp``
stays free of model packages and of torch/spaCy.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import importlib.util
import io
import json
import os
import sys
from collections.abc import Sequence
from typing import Any

from structnlp._version import __version__
from structnlp.errors import StructNLPError

MODEL_PACKAGES = ("tsetlin", "parsing", "summarize", "topics")


def _cmd_demo(args: argparse.Namespace) -> int:
    from structnlp.demo import run_demo

    run_demo(quiet=args.quiet)
    return 0


def _cmd_data_info(args: argparse.Namespace) -> int:
    from structnlp.datasets import data_info

    rows = data_info(args.root)
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    width = max(len(r["name"]) for r in rows)
    for r in rows:
        status = "found  " if r["found"] else "missing"
        print(f"{r['name']:<{width}}  {status}  {r['path']}")
    found = sum(r["found"] for r in rows)
    print(f"\n{found} of {len(rows)} data sets found.")
    return 0


def hint_input_option(parser: argparse.ArgumentParser, verb: str) -> None:
    """Make ``structnlp parse FILE`` (a file where a command such as ``train`` is expected) say
    that the file goes in ``--input``, instead of argparse's bare list of commands.

    >>> p = argparse.ArgumentParser(prog="structnlp parse")
    >>> p.error = print  # print the message instead of exiting
    >>> hint_input_option(p, "parse")
    >>> p.error("argument COMMAND: invalid choice: 'notes.txt' (choose from 'train', 'eval')")
    argument COMMAND: invalid choice: 'notes.txt' ...; to parse a file, pass it as --input notes.txt
    """
    error = parser.error

    def error_with_hint(message: str) -> Any:
        if message.startswith("argument COMMAND: invalid choice: "):
            value = message.split("invalid choice: ", 1)[1].rsplit(" (choose from", 1)[0].strip("'")
            message += f"; to {verb} a file, pass it as --input {value}"
        return error(message)

    parser.error = error_with_hint  # type: ignore[method-assign]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``structnlp`` command, with every installed subcommand."""
    parser = argparse.ArgumentParser(
        prog="structnlp",
        description="Interpretable NLP and structure induction on one corpus/feature pipeline.",
    )
    parser.add_argument("--version", action="version", version=f"structnlp {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = sub.add_parser("demo", help="run every model family on bundled data (CPU, about a minute)")
    demo.add_argument("--quiet", action="store_true", help="no progress bars")
    demo.set_defaults(func=_cmd_demo)

    data = sub.add_parser("data", help="public data sets")
    data_sub = data.add_subparsers(dest="data_command", metavar="COMMAND", required=True)
    info = data_sub.add_parser("info", help="which data sets are found, and where")
    info.add_argument(
        "--root", default=None, help="data root (default: $STRUCTNLP_DATA, then ../shared/data)"
    )
    info.add_argument("--json", action="store_true", help="machine-readable output")
    info.set_defaults(func=_cmd_data_info)

    for package in MODEL_PACKAGES:
        if importlib.util.find_spec(f"{package}.cli") is not None:
            importlib.import_module(f"{package}.cli").register(sub)
    return parser


def _escape_what_stdout_cannot_encode() -> None:
    """On a standard output that is not UTF-8 (``PYTHONIOENCODING=ascii``, a legacy console),
    write the characters it cannot hold as visible escapes instead of failing halfway."""
    stdout = sys.stdout
    if isinstance(stdout, io.TextIOWrapper) and stdout.encoding.lower().replace("-", "") != "utf8":
        stdout.reconfigure(errors="backslashreplace")


def _silence_closed_stdout() -> None:
    """Point standard output at /dev/null, so that the final flush cannot fail on a closed pipe again."""
    with contextlib.suppress(OSError, ValueError):  # no file descriptor (captured output): nothing to flush
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``structnlp`` console script; returns the exit status.

    >>> main(["--version"])
    Traceback (most recent call last):
    SystemExit: 0
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "func"):
        parser.print_help()
        return 2
    _escape_what_stdout_cannot_encode()
    try:
        return int(args.func(args) or 0)
    except BrokenPipeError:  # the reader went away (`| head`): stop quietly, as Unix tools do
        _silence_closed_stdout()
        return 141  # 128 + SIGPIPE, what a shell reports for a tool the signal stopped
    except (StructNLPError, OSError) as exc:  # bad input, or a file that cannot be read or written
        print(f"structnlp: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("structnlp: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
