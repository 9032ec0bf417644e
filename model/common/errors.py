"""The one exception type for bad user input, so every entry point can report it in one line, and the one way
to print a warning line."""

import sys


def one_line(message: str) -> str:
    """`message` with control characters (a newline in a quoted TOML key, a tab in a flag) shown escaped, so it
    stays one line whatever the user typed."""
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in message)


class InputError(ValueError):
    """Bad input (scenario file, lever, value, flag): the message names what is wrong and what is allowed."""

    def __init__(self, message: str, command: str | None = None) -> None:
        super().__init__(one_line(message))
        self.command = command  # the (sub-)command whose flags were wrong, when a parser raised it


def warn(message: str) -> None:
    """One line on stderr about something the user may not have meant; the run goes on."""
    print(f"ntib: warning: {one_line(message)}", file=sys.stderr)
