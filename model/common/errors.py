"""The one exception type for bad user input, so every entry point can report it in one line."""


class InputError(ValueError):
    """Bad input (scenario file, lever, value, flag): the message names what is wrong and what is allowed.

    Control characters (a newline in a quoted TOML key, a tab in a flag) are shown escaped, so the message
    stays one line whatever the user typed.
    """

    def __init__(self, message: str, command: str | None = None) -> None:
        super().__init__("".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in message))
        self.command = command  # the (sub-)command whose flags were wrong, when a parser raised it
