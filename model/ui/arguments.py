"""Command-line argument types shared by `ntib` and the experiment scripts: each rejects a bad value in one line
that says what is allowed."""

from __future__ import annotations

import argparse
import ipaddress
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

from model.common.errors import InputError
from model.common.validation import share_of_population
from model.runs.experiment import SCHEDULER
from model.simulation.model import MAX_FIRM_SCALE


class Parser(argparse.ArgumentParser):
    """argparse that reports a bad flag in one line instead of usage text, saying what is allowed."""

    def parse_args(self, args: Sequence[str] | None = None,  # type: ignore[override]
                   namespace: argparse.Namespace | None = None) -> argparse.Namespace:
        """Report an unknown argument from the sub-command's parser, so it lists that command's flags."""
        parsed, extra = self.parse_known_args(args, namespace)
        if extra:
            subs = [a for a in self._actions if isinstance(a, argparse._SubParsersAction)]
            command = getattr(parsed, subs[0].dest, None) if subs else None
            (subs[0].choices[command] if command else self).error(f"unrecognized arguments: {' '.join(extra)}")
        return parsed

    def error(self, message: str) -> NoReturn:
        if not any(word in message for word in ("allowed", "expected", "choose from")):
            message += f"; allowed: {', '.join(self._allowed())}"
        raise InputError(f"{message} (see '{self.prog} --help')", command=self.prog)

    def _allowed(self) -> list[str]:
        """This parser's sub-commands and long flags."""
        out: list[str] = []
        for action in self._actions:
            if isinstance(action, argparse._SubParsersAction):
                out += list(action.choices)
            else:
                out += [s for s in action.option_strings if s.startswith("--")]
        return out


def int_in(low: int, high: int) -> Callable[[str], int]:
    """A whole number from low to high."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number from {low} to {high}, got {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{value} is out of range; allowed: {low} to {high}")
        return value
    return parse


def share(text: str) -> float:
    """A share above 0 up to 1."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a share above 0 up to 1, got {text!r}") from None
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"{text} is out of range; allowed: above 0 up to 1")
    return value


def firm_scale(text: str) -> float:
    """A share of the real firm population, above 0 up to MAX_FIRM_SCALE: the model's own check."""
    try:
        return share_of_population(float(text), MAX_FIRM_SCALE, "firm scale")
    except (ValueError, InputError) as exc:
        reason = str(exc) if isinstance(exc, InputError) else f"expected a number, got {text!r}"
        raise argparse.ArgumentTypeError(reason.removeprefix("firm scale: ")) from None


def host(text: str) -> str:
    """An IP address or a host name to listen on."""
    try:
        ipaddress.ip_address(text)
    except ValueError:
        if not re.fullmatch(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*", text):
            raise argparse.ArgumentTypeError(f"expected an IP address or host name, got {text!r}") from None
    return text


def folder(text: str) -> Path:
    """An --out folder: an empty path would mean the working directory, almost surely not what was meant."""
    if not text.strip():
        raise argparse.ArgumentTypeError(f"expected a folder path, got {text!r}")
    return Path(text)


def whole_numbers(text: str) -> list[int]:
    """A comma list of whole numbers, such as '1000,10000'."""
    try:
        values = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected whole numbers separated by commas, e.g. 1000,10000, got "
                                         f"{text!r}") from None
    if min(values) < 1:
        raise argparse.ArgumentTypeError(f"{text}: expected whole numbers from 1, e.g. 1000,10000")
    return values


def scheduler(text: str) -> str:
    """A Dask scheduler address, or 'local'."""
    if text != "local" and not SCHEDULER.fullmatch(text):
        raise argparse.ArgumentTypeError(f"expected tcp://HOST:PORT of a Dask scheduler, or 'local', got {text!r}")
    return text
