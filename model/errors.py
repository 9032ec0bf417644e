"""The one exception type for bad user input, so every entry point can report it in one line."""


class InputError(ValueError):
    """Bad input (scenario file, lever, value, flag): the message names what is wrong and what is allowed."""
