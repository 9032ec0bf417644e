"""Validators shared by scenario files, levers and parameters: each raises one InputError that names where
the value came from, what is wrong and what is allowed."""

from __future__ import annotations

import codecs
import math
import numbers
import operator
import re
import stat
import tomllib
from pathlib import Path
from typing import TypeGuard

from model.common.errors import InputError

MAX_TOML_BYTES = 1_000_000  # a scenario or study file is a few kB: a bigger one is not one, and slow to parse
MAX_NESTING = 16  # tables and lists inside one another: shipped files need 5; tomllib runs out of stack near 400
MAX_KEY_PARTS = 100  # names in one dotted key: tomllib takes time quadratic in them (30,000: 14 s)
FILE_KINDS = {stat.S_IFDIR: "a folder", stat.S_IFCHR: "a character device", stat.S_IFBLK: "a block device",
              stat.S_IFIFO: "a named pipe (FIFO)", stat.S_IFSOCK: "a socket"}
WIDE_BOMS = ((codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32"), (codecs.BOM_UTF16_LE, "UTF-16"),
             (codecs.BOM_UTF16_BE, "UTF-16"))  # UTF-32 first: its little-endian mark starts with UTF-16's
_KEY_PART = r"""(?:[A-Za-z0-9_-]++|"[^"\n]*+"|'[^'\n]*+')"""
_DOTTED = re.compile(rf"(?<![A-Za-z0-9_-]){_KEY_PART}(?:[ \t]*+\.[ \t]*+{_KEY_PART})++")  # linear: no backtracking


def finite(value: object) -> TypeGuard[int | float]:
    """A number (not a bool) that is not nan or infinite; an integer of any size counts, without conversion to a
    float (which overflows for a few hundred digits)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return False
    return isinstance(value, numbers.Integral) or math.isfinite(value)


def shown(value: object, width: int = 40) -> str:
    """A value for an error message, cut short: a 400-digit number, or a key of a million characters, is not
    worth repeating in full."""
    text = repr(value)
    return text if len(text) <= width else f"{text[:width - 3]}..."


def number(value: object, low: float, high: float, where: str) -> float:
    """A finite number (not a bool) within [low, high]."""
    if not finite(value):
        raise InputError(f"{where}: expected a number from {low} to {high}, got {shown(value)}")
    if not low <= value <= high:
        raise InputError(f"{where}: {shown(value)} is out of range; allowed: {low} to {high}")
    return float(value)


def whole_number(value: object, low: int, high: int, where: str) -> int:
    """A whole number (an integer type, numpy's included, not a bool) within [low, high]."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InputError(f"{where}: expected a whole number from {low} to {high}, got {shown(value)}")
    whole = operator.index(value)
    if not low <= whole <= high:
        raise InputError(f"{where}: {shown(value)} is out of range; allowed: {low} to {high}")
    return whole


def share_of_population(value: object, high: float, where: str) -> float:
    """A share of the real firm population: above 0, up to `high`."""
    if not finite(value) or not 0 < value <= high:
        raise InputError(f"{where}: expected a number above 0 up to {high} (1 = the full population), "
                         f"got {shown(value)}")
    return float(value)


def codes(value: object, allowed: tuple[str, ...], where: str) -> list[str]:
    """A list of names, each one of `allowed`."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError(f"{where}: expected a list of names from {', '.join(allowed)}, got {shown(value)}")
    for v in value:
        if v not in allowed:
            raise InputError(f"{where}: unknown name {shown(v)}; allowed: {', '.join(allowed)}")
    return value


def read_toml(path: Path, example: str) -> dict:
    """A user's TOML file (scenario or study) as a table; an InputError if it cannot be read or parsed, naming
    `example`, a file to start from. Only a regular file of at most MAX_TOML_BYTES of UTF-8 without a byte-order
    mark is read: a folder, /dev/zero or a FIFO (whose opening blocks until something writes to it) is refused
    before it is opened. Lines may end in LF, CRLF or CR."""
    try:
        mode = path.stat().st_mode
        if not stat.S_ISREG(mode):
            raise InputError(f"{path}: is {FILE_KINDS.get(stat.S_IFMT(mode), 'not a file')}, not a file; expected "
                             "a TOML file")
        with path.open("rb") as file:
            data = file.read(MAX_TOML_BYTES + 1)
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc}); expected a readable TOML file") from None
    if len(data) > MAX_TOML_BYTES:
        raise InputError(f"{path}: larger than {MAX_TOML_BYTES:,} bytes; allowed: a TOML file of at most "
                         f"{MAX_TOML_BYTES:,} bytes (a scenario is a few kB)")
    return parse_toml(_utf8(data, path), str(path), example)


def _utf8(data: bytes, path: Path) -> str:
    """A file's bytes as text, its line endings made LF (as text-mode reading does), or an InputError that names
    the encoding it is in when that is plain: a byte-order mark, or the NUL bytes of UTF-16 and UTF-32."""
    if data.startswith(codecs.BOM_UTF8):
        raise InputError(f"{path}: starts with a UTF-8 byte-order mark (BOM); expected UTF-8 without one (save it "
                         "as UTF-8, not UTF-8 with BOM)")
    for bom, encoding in WIDE_BOMS:
        if data.startswith(bom):
            raise InputError(f"{path}: {encoding} text (it starts with the {encoding} byte-order mark); expected UTF-8")
    if (nul := data.find(b"\0")) >= 0:
        raise InputError(f"{path}: NUL byte at byte {nul}, as in UTF-16 or UTF-32 text; expected UTF-8 text, which "
                         "has none")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start}); expected a UTF-8 TOML "
                         "file") from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def parse_toml(text: str, where: str, example: str) -> dict:
    """TOML text as a table, or an InputError naming `where`, quoting the line at fault and pointing to
    `example`."""
    try:
        return load_toml(text, where)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{where}: not valid TOML ({exc}{_line_of(exc, text)}); expected TOML syntax "
                         f"(https://toml.io), e.g. a copy of {example}") from None


def load_toml(text: str, where: str) -> dict:
    """tomllib.loads, but an InputError naming `where` for what it would take hours or more than Python's stack
    to read, or what nests past MAX_NESTING; a TOMLDecodeError is the caller's to report."""
    _readable_keys(text, where)
    try:
        table = tomllib.loads(text)
    except RecursionError:
        raise InputError(f"{where}: tables or lists nested too deep to read; allowed: at most {MAX_NESTING} "
                         "levels") from None
    _shallow(table, where)
    return table


def _line_of(exc: tomllib.TOMLDecodeError, text: str) -> str:
    """', in <the line>' for a TOMLDecodeError that gives a line (tomllib's message does not name the key it
    cannot overwrite), else ''."""
    at = re.search(r"at line (\d+), column \d+\)$", str(exc))
    lines = text.split("\n")
    return f", in {shown(lines[int(at.group(1)) - 1].strip())}" if at and int(at.group(1)) <= len(lines) else ""


def _readable_keys(text: str, where: str) -> None:
    """Refuse a dotted key of more than MAX_KEY_PARTS names before tomllib reads it, in time quadratic in the
    names: a 1 MB file holds 500,000 of them (hours). Deeper than MAX_NESTING, such a key is refused anyway."""
    if text.count(".") < MAX_KEY_PARTS:
        return
    for key in _DOTTED.finditer(text):
        if key.group().count(".") >= MAX_KEY_PARTS:
            raise InputError(f"{where}: line {text.count(chr(10), 0, key.start()) + 1} has a dotted key of more than "
                             f"{MAX_KEY_PARTS:,} names, nested too deep; allowed: at most {MAX_NESTING} levels")


def _shallow(value: object, where: str) -> None:
    """Refuse tables and lists nested more than MAX_NESTING deep, walked level by level (not recursively, so
    100,000 levels are no trouble), before a copy or a message recurses into them."""
    level = [value]
    for _ in range(MAX_NESTING + 1):
        level = [child for v in level if isinstance(v, dict | list) for child in (v.values() if isinstance(v, dict)
                                                                                   else v)]
        if not level:
            return
    raise InputError(f"{where}: tables or lists nested more than {MAX_NESTING} deep; allowed: at most {MAX_NESTING} "
                     "levels")
