"""What every `pelg` subcommand parser shares: one-line usage errors and help that shows the defaults.

`Parser` is the class of the `pelg` parser; argparse builds every subcommand parser with the class of
its parent, so `pelg train --steps 2.5` fails like any other bad input: one line `pelg: error: ...`
naming the bad value, exit code 2, no usage block (README: "Bad input gets a one-line error").
"""
from __future__ import annotations

import argparse
import re
import sys

# a help text that already says its default: "(default 1)", "default: 4 x --d-model", "...; default auto"
_STATES_DEFAULT = re.compile(r"\(default\b|\bdefault:|^default (?!\|)|; default\b")


class DefaultsFormatter(argparse.HelpFormatter):
    """--help shows each option's default, unless its help states it or there is none to show."""

    def _get_help_string(self, action):
        text = action.help or ""
        if (_STATES_DEFAULT.search(text) or action.default in (None, "", argparse.SUPPRESS)
                or action.default is False or not action.option_strings):
            return text
        return f"{text} (default: %(default)s)".lstrip()


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors (`pelg: error: PROG: MESSAGE; see PROG --help`, exit 2) and help
    that shows defaults (subcommand parsers inherit both)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", DefaultsFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str):
        where = self.prog.removeprefix("pelg").strip()
        text = " ".join(message.split())  # argparse messages may wrap
        print(f"pelg: error: {where + ': ' if where else ''}{text}; see `{self.prog} --help`", file=sys.stderr)
        sys.exit(2)
