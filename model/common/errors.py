"""The one exception type for bad user input, so every entry point can report it in one line, and the one way
to print a warning line."""

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_COLLECTED: ContextVar[list[str] | None] = ContextVar("collected_warnings", default=None)


def one_line(message: str) -> str:
    """`message` with control characters (a newline in a quoted TOML key, a tab in a flag) shown escaped, so it
    stays one line whatever the user typed."""
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in message)


class InputError(ValueError):
    """Bad input (scenario file, lever, value, flag): the message names what is wrong and what is allowed."""

    def __init__(self, message: str, command: str | None = None) -> None:
        super().__init__(one_line(message))
        self.command = command  # the (sub-)command whose flags were wrong, when a parser raised it


class ConservationError(InputError):
    """Money not conserved in a run of valid input, a fault of the model: reported in one line like bad input,
    naming where it broke, so a run never ends with a silent wrong number or a bare assertion."""


def warn(message: str) -> None:
    """One line on stderr about something the user may not have meant; the run goes on. Inside
    `collected_warnings`, the line is kept for the caller to show instead."""
    if (collected := _COLLECTED.get()) is not None:
        collected.append(one_line(message))
    else:
        print(f"ntib: warning: {one_line(message)}", file=sys.stderr)


@contextmanager
def collected_warnings() -> Iterator[list[str]]:
    """The warnings given inside the block, not printed but kept, for a page to show its user (the server's
    stderr is not where a browser's user looks). A context variable, so one session's warnings are not
    another's."""
    collected: list[str] = []
    token = _COLLECTED.set(collected)
    try:
        yield collected
    finally:
        _COLLECTED.reset(token)


_WARNED: set[str] = set()


def warn_once(message: str) -> None:
    """`warn`, once per process: for what every run of a sweep would otherwise repeat."""
    if message not in _WARNED:
        _WARNED.add(message)
        warn(message)
