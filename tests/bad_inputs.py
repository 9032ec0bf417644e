"""Thousands of malformed inputs to `ntib run`, by category, and the verdict every one of them must get.

A case is an argument list (with "{dir}" standing for a folder holding the case's files and "{out}" for the
--out folder) plus the fragment its error line must name. The verdict is the CLI contract: non-zero exit,
exactly one line on stderr, of at most MAX_LINE characters, that names the fault and says what is allowed or
expected, no traceback, nothing on stdout and nothing written to --out. tests/test_bad_input.py and
scripts/reliability.py both use this.
"""

from __future__ import annotations

import codecs
import contextlib
import errno
import io
import os
import tomllib
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields
from importlib import resources
from pathlib import Path
from unittest import mock

from model.common.countries import COUNTRIES
from model.common.errors import one_line
from model.common.validation import MAX_TOML_BYTES
from model.policy.adaptation import ADAPTATION
from model.policy.levers import LEVERS
from model.policy.params import Params
from model.policy.scenario import scenario_names
from model.ui.cli import main

MARKERS = ("allowed", "expected", "choose from")  # how an error line says what would be accepted
MAX_LINE = 2_000  # characters: an error line quotes what is wrong, not a million-character key in full
RUN = ("run", "--years", "1", "--out", "{out}")
FILE = "{dir}/mine.toml"


@dataclass(frozen=True)
class BadInput:
    category: str
    name: str
    argv: tuple[str, ...]
    offending: str  # must appear in the error line
    files: tuple[tuple[str, bytes], ...] = ()
    patch: Callable[[], contextlib.AbstractContextManager] | None = None  # simulated environment fault
    make: Callable[[Path], object] | None = None  # makes in the folder what bytes cannot: a link, a FIFO, a folder

    def materialise(self, folder: Path) -> tuple[list[str], Path]:
        """Write the case's files under folder/in and return its argv and the --out path it names."""
        inputs = folder / "in"
        inputs.mkdir(parents=True, exist_ok=True)
        for name, data in self.files:
            (inputs / name).parent.mkdir(parents=True, exist_ok=True)
            (inputs / name).write_bytes(data.replace(b"{dir}", str(inputs).encode()))
        if self.make:
            self.make(inputs)
        argv = [a.replace("{dir}", str(inputs)).replace("{out}", str(folder / "out")) for a in self.argv]
        out = argv[argv.index("--out") + 1] if "--out" in argv[:-1] else folder / "out"
        return argv, Path(out)

    def environment(self) -> contextlib.AbstractContextManager:
        return self.patch() if self.patch else contextlib.nullcontext()


def problems(case: BadInput, status: int, stdout: str, stderr: str, out_before: object, out_after: object) -> list[str]:
    """Every way the outcome breaks the CLI contract (empty when the case was refused properly)."""
    found = []
    if status == 0:
        found.append("exit status 0: the input was accepted")
    if "Traceback" in stdout + stderr:
        found.append("a traceback was printed")
    lines = stderr.rstrip("\n").split("\n") if stderr else []
    if len(lines) != 1:
        found.append(f"{len(lines)} lines on stderr")
    line = lines[0] if lines else ""
    if not line.startswith("ntib"):
        found.append(f"error line does not start with 'ntib': {line!r}")
    if case.offending not in line:
        found.append(f"error line does not name {case.offending!r}: {line[:MAX_LINE]!r}")
    if not any(m in line.lower() for m in MARKERS):
        found.append(f"error line does not say what is allowed or expected: {line[:MAX_LINE]!r}")
    if len(line) > MAX_LINE:
        found.append(f"error line of {len(line):,} characters, more than {MAX_LINE:,}")
    if stdout:
        found.append(f"stdout not empty: {stdout[:80]!r}")
    if out_after != out_before:
        found.append(f"--out changed: {out_before!r} -> {out_after!r}")
    return found


def out_state(out: Path) -> object:
    """What --out holds: None if absent, the sorted names in a folder, or a file's bytes."""
    if out.is_dir():
        return sorted(p.name for p in out.iterdir())
    return out.read_bytes() if out.exists() else None


def expect_empty(state: object) -> object:
    """An empty folder left behind counts as nothing written."""
    return None if state == [] else state


# -- scenario files ---------------------------------------------------------------------------------------

def _file(category: str, name: str, text: str | bytes, offending: str,
          files: tuple[tuple[str, bytes], ...] = ()) -> BadInput:
    data = text.encode() if isinstance(text, str) else text
    return BadInput(category, name, (*RUN, "--scenario", FILE), offending, (("mine.toml", data), *files))


WRONG_TYPES = {
    "number": ['"high"', "true", "[0.5]", "{ GBR = 0.1 }", "1979-05-27"],
    "partner": ['"high"', "[0.5]", '{ GBR = "x" }', "{ GBR = [1] }", "false"],
    "bool": ["1", '"yes"', "[true]"],
    "countries": ['"USA"', "[1]", "{ USA = true }", '[["USA"]]'],
    "sectors": ['"air"', "[1]", "{ air = true }"],
    "adaptation": ['"reciprocal"', "1", '{ mode = ["reciprocal"] }', "{ mode = 1 }", "{ lag = 2 }"],
}


def _refused(lever: str, values: list[str]) -> list[str]:
    """`values` less those the lever accepts: true and false stand for shares 1 and 0 of `exempt`."""
    shares = {"true", "false", "{ GBR = true }"} if LEVERS[lever].bool_is_share else set()
    return [v for v in values if v not in shares]


def wrong_types() -> Iterator[BadInput]:
    for i, (lever, (kind, *_)) in enumerate(LEVERS.items()):
        code = COUNTRIES[i % len(COUNTRIES)]
        for value in _refused(lever, WRONG_TYPES[kind]):
            yield _file("wrong type", f"{code}.{lever} = {value}", f"[{code}]\n{lever} = {value}\n", f"{code}.{lever}")


def _outside(low: float, high: float, whole: bool = False) -> list[str]:
    step = 1 if whole else max(0.01, (high - low) * 0.1)
    return [repr(low - step), repr(high + step)]


def out_of_range() -> Iterator[BadInput]:
    for i, (lever, (kind, low, high, *_)) in enumerate(LEVERS.items()):
        if kind not in ("number", "partner"):
            continue
        code = COUNTRIES[i % len(COUNTRIES)]
        values = [*_outside(low, high), "nan", "inf", "-inf"]
        if kind == "partner":
            values.append(f"{{ NZL = {high + 1} }}")
        for value in values:
            text = f"[{code}]\n{lever} = {value}\n"
            yield _file("out of range", f"{code}.{lever} = {value}", text, f"{code}.{lever}")


def unknown_keys() -> Iterator[BadInput]:
    cases = {
        "top-level section": ("[USAA]\ncontent_min = 0.5\n", "USAA"),
        "top-level key": ("colour = \"red\"\n", "colour"),
        "lever": ("[USA]\nbuy_american = 0.5\n", "buy_american"),
        "lever in capitals": ("[USA]\nCONTENT_MIN = 0.5\n", "CONTENT_MIN"),
        "alliance key": ("[alliance]\nmembers = [\"USA\"]\n", "members"),
        "budgets key": ("[budgets]\ngrow = { USA = 0.01 }\n", "grow"),
        "shock key": ("[[shocks]]\nkind = \"demand\"\nat = 2026\nfactor = 2\nsize = 3\n", "size"),
        "params key": ("[params]\nmarkups = 0.1\n", "markups"),
        "adaptation setting": ("[CAN]\nadaptation = { mode = \"static\", lag = 2 }\n", "lag"),
        "key with a newline": ("\"a\\nb\" = 1\n", "unknown key"),
        "key with a tab": ("[USA]\n\"content\\tmin\" = 0.5\n", "unknown lever"),
        "unicode key": ("[USA]\n\"contenú_min\" = 0.5\n", "contenú_min"),
    }
    for name, (text, offending) in cases.items():
        yield _file("unknown key", name, text, offending)


def unknown_countries() -> Iterator[BadInput]:
    cases = {
        "tariff partner": ("[USA]\ntariff_end_items = { FRA = 0.1 }\n", "FRA"),
        "lower-case partner": ("[USA]\nexempt = { nzl = 1 }\n", "nzl"),
        "qualifying": ("[USA]\nqualifying = [\"FRA\"]\n", "FRA"),
        "offset exempt": ("[CAN]\noffset_exempt = [\"usa\"]\n", "usa"),
        "alliance member": ("[alliance]\nntib_members = [\"USA\", \"NZ\"]\n", "NZ"),
        "budget growth": ("[budgets]\ngrowth = { JPN = 0.1 }\n", "JPN"),
        "shock country": ("[[shocks]]\nkind = \"supply\"\nat = 2026\nfactor = 0.5\ncountries = [\"UK\"]\n", "UK"),
        "codev partner": ("[GBR]\ncodev_support = { US = 0.5 }\n", "US"),
        "licence destination": ("[USA]\nlicence_days = { \"\" = 30 }\n", "USA.licence_days"),
    }
    for name, (text, offending) in cases.items():
        yield _file("unknown country", name, text, offending)


def unknown_sectors() -> Iterator[BadInput]:
    cases = {
        "sovereign sector": ("[USA]\nsovereign_sectors = [\"naval\"]\n", "naval"),
        "capitalised sector": ("[USA]\nsovereign_sectors = [\"Air\"]\n", "Air"),
        "shock sector": ("[[shocks]]\nkind = \"demand\"\nat = 2026\nfactor = 2\nsectors = [\"cyber\"]\n", "cyber"),
        "sector as a table": ("[USA]\nsovereign_sectors = { maritime = true }\n", "sovereign_sectors"),
    }
    for name, (text, offending) in cases.items():
        yield _file("unknown sector", name, text, offending)


def schedules() -> Iterator[BadInput]:
    entry = "[[USA.schedule]]\nat = {at}\ncontent_min = 0.7\n"
    for at in ('"2029Q0"', '"2029Q5"', '"2029-01"', '"29Q1"', '"2029q1"', '" 2029Q1"', "2029.5", "true", "[2029]",
               "2024", "2125", '"2125Q1"', '"2024Q4"', "-2029", "1979-05-27"):
        yield _file("schedule", f"at = {at}", entry.format(at=at), "USA.schedule[0].at")
    cases = {
        "missing at": ("[[USA.schedule]]\ncontent_min = 0.7\n", "USA.schedule[0]: missing 'at'"),
        "unknown lever": ("[[USA.schedule]]\nat = 2030\nbuy_american = 1\n", "buy_american"),
        "no lever": ("[[USA.schedule]]\nat = 2030\n", "USA.schedule[0]: sets no lever"),
        "not a list": ("[USA]\nschedule = 1\n", "USA.schedule"),
        "a single table": ("[USA.schedule]\nat = 2030\ncontent_min = 0.7\n", "USA.schedule"),
        "entry not a table": ("[USA]\nschedule = [2030]\n", "USA.schedule[0]"),
        "value out of range": ("[[GBR.schedule]]\nat = 2030\ncontent_min = 2\n", "GBR.schedule[0].content_min"),
        "second entry bad": ("[[CAN.schedule]]\nat = 2030\nsafe_share = 0.1\n[[CAN.schedule]]\nat = 2031\n"
                             "safe_share = -1\n", "CAN.schedule[1].safe_share"),
        "nested schedule": ("[[AUS.schedule]]\nat = 2030\nschedule = []\n", "schedule"),
    }
    for name, (text, offending) in cases.items():
        yield _file("schedule", name, text, offending)


def shocks() -> Iterator[BadInput]:
    base = {"kind": '"demand"', "at": "2026", "factor": "2"}
    changes = {
        "missing kind": ("kind", None, "shocks[0].kind"), "missing at": ("at", None, "shocks[0]: missing 'at'"),
        "missing factor": ("factor", None, "missing 'factor'"), "kind war": ("kind", '"war"', "war"),
        "kind as a list": ("kind", '["demand"]', "kind"), "kind capitalised": ("kind", '"Demand"', "kind"),
        "negative factor": ("factor", "-1", "factor"), "demand factor 11": ("factor", "11", "factor"),
        "factor text": ("factor", '"double"', "factor"), "factor nan": ("factor", "nan", "factor"),
        "at before start": ("at", "2020", "at"), "at after end": ("at", '"2125Q1"', "at"),
        "quarters zero": ("quarters", "0", "quarters"), "quarters fractional": ("quarters", "2.5", "quarters"),
        "quarters too many": ("quarters", "401", "quarters"), "quarters text": ("quarters", '"4"', "quarters"),
        "countries text": ("countries", '"USA"', "countries"), "sectors number": ("sectors", "3", "sectors"),
    }
    for name, (key, value, offending) in changes.items():
        entry = {**base, key: value} if value is not None else {k: v for k, v in base.items() if k != key}
        body = "".join(f"{k} = {v}\n" for k, v in entry.items())
        yield _file("shock", name, "[[shocks]]\n" + body, offending)
    yield _file("shock", "supply factor 1.5", "[[shocks]]\nkind = \"supply\"\nat = 2026\nfactor = 1.5\n", "factor")
    yield _file("shock", "shocks as a table", "[shocks]\nkind = \"demand\"\n", "shocks")
    yield _file("shock", "shock not a table", "shocks = [1]\n", "shocks[0]")


def extends() -> Iterator[BadInput]:
    yield _file("extends", "unknown name", 'extends = "nowhere"\n', "nowhere")
    yield _file("extends", "missing path", 'extends = "/no/such/base.toml"\n', "/no/such/base.toml")
    yield _file("extends", "not text", "extends = 1\n", "extends")
    yield _file("extends", "empty", 'extends = ""\n', "extends")
    yield _file("extends", "itself", 'extends = "{dir}/mine.toml"\n', "cycle")
    yield _file("extends", "two-file cycle", 'extends = "{dir}/other.toml"\n', "cycle",
                (("other.toml", b'extends = "{dir}/mine.toml"\n'),))
    yield _file("extends", "broken parent", 'extends = "{dir}/other.toml"\n', "other.toml",
                (("other.toml", b"[USA\n"),))
    yield _file("extends", "parent not .toml", 'extends = "{dir}/other.txt"\n', "other.txt",
                (("other.txt", b'name = "x"\n'),))
    yield _file("extends", "parent with a bad lever", 'extends = "{dir}/other.toml"\n', "USA.content_min",
                (("other.toml", b"[USA]\ncontent_min = 3\n"),))


def params() -> Iterator[BadInput]:
    wrong = ['"x"', "true", "[1]", "nan", "{ a = 1 }"]
    for i, f in enumerate(fields(Params)):
        low, high = f.metadata["range"]
        whole = isinstance(f.default, int)
        for value in [*_outside(low, high, whole), wrong[i % len(wrong)]]:
            yield _file("params", f"{f.name} = {value}", f"[params]\n{f.name} = {value}\n", f"params.{f.name}")
        if whole:
            yield _file("params", f"{f.name} = {low + 0.5}", f"[params]\n{f.name} = {low + 0.5}\n", f"params.{f.name}")
    yield _file("params", "params not a table", "params = 1\n", "params")


def adaptations() -> Iterator[BadInput]:
    cases = {
        "missing mode": ("{ lag = 2 }", "CAN.adaptation"), "unknown mode": ('{ mode = "angry" }', "angry"),
        "mode as a list": ('{ mode = ["reciprocal"] }', "CAN.adaptation.mode"),
        "mode as a table": ('{ mode = { a = 1 } }', "CAN.adaptation.mode"),
        "not a table": ('"reciprocal"', "CAN.adaptation"),
    }
    for name, (value, offending) in cases.items():
        yield _file("adaptation", name, f"[CAN]\nadaptation = {value}\n", offending)
    for mode, settings in ADAPTATION.items():
        for key, (_, low, high, _) in settings.items():
            for value in _outside(low, high):
                yield _file("adaptation", f"{mode}.{key} = {value}",
                            f'[GBR]\nadaptation = {{ mode = "{mode}", {key} = {value} }}\n', f"GBR.adaptation.{key}")
        yield _file("adaptation", f"{mode} with an unknown setting",
                    f'[AUS]\nadaptation = {{ mode = "{mode}", speed = 1 }}\n', "speed")


def top_level_types() -> Iterator[BadInput]:
    cases = {
        "name a number": ("name = 1\n", "name"), "description a list": ("description = [1]\n", "description"),
        "alliance a number": ("alliance = 1\n", "alliance"), "budgets a list": ("budgets = [1]\n", "budgets"),
        "growth a number": ("[budgets]\ngrowth = 1\n", "budgets.growth"),
        "growth text": ("[budgets]\ngrowth = { USA = \"x\" }\n", "budgets.growth.USA"),
        "growth too high": ("[budgets]\ngrowth = { USA = 2 }\n", "budgets.growth.USA"),
        "growth too low": ("[budgets]\ngrowth = { NZL = -0.6 }\n", "budgets.growth.NZL"),
        "country a number": ("USA = 1\n", "USA"), "members text": ("[alliance]\nntib_members = \"USA\"\n",
                                                                  "ntib_members"),
    }
    for name, (text, offending) in cases.items():
        yield _file("top-level type", name, text, offending)


def shipped(name: str) -> bytes:
    """A shipped scenario file's bytes, to break or to save in another form."""
    return resources.files("model.scenarios").joinpath(f"{name}.toml").read_bytes()


def truncated(pieces: int = 12) -> Iterator[BadInput]:
    """Each shipped scenario cut at `pieces` evenly spread byte offsets; only cuts that are not valid
    UTF-8 TOML count (a cut that still parses is a different, possibly valid, file)."""
    for name in scenario_names():
        data = shipped(name)
        for k in range(1, pieces + 1):
            cut = data[: k * len(data) // (pieces + 1)]
            try:
                tomllib.loads(cut.decode("utf-8"))
                continue
            except (UnicodeDecodeError, tomllib.TOMLDecodeError):
                yield _file("truncated", f"{name} cut at byte {len(cut)}", cut, "mine.toml")


def encodings() -> Iterator[BadInput]:
    valid = 'name = "mine"\n[USA]\ncontent_min = 0.7\n'
    cases = {
        "latin-1 comment": b"# caf\xe9\n" + valid.encode(), "0xff byte": b'name = "\xff"\n',
        "UTF-16": valid.encode("utf-16"), "NUL byte": b"name = \"a\x00b\"\n",
        "lone surrogate": b'name = "\xed\xa0\x80"\n', "overlong slash": b'name = "\xc0\xaf"\n',
        "cut multi-byte": b'name = "\xe2\x82"\n', "binary": bytes(range(256)),
    }
    for name, data in cases.items():
        yield _file("encoding", name, data, "mine.toml")


def scenario_names_bad() -> Iterator[BadInput]:
    cases = {
        "unknown name": ("nowhere", "nowhere"), "name with suffix": ("status_quo.toml", "status_quo.toml"),
        "missing file": ("{dir}/missing.toml", "missing.toml"), "a folder": ("{dir}", "in"),
        "wrong suffix": ("{dir}/mine.txt", "mine.txt"), "empty": ("", "scenario"),
    }
    for name, (value, offending) in cases.items():
        yield BadInput("scenario name", name, (*RUN, "--scenario", value), offending, (("mine.txt", b"name='x'\n"),))


# -- every type everywhere, unicode, encodings, line endings, duplicates, cycles, file kinds, size, quarters ----

MORE_WRONG_TYPES = {  # the TOML types "wrong type" leaves out: numbers as text, dates and times, empty and nested
    "number": ['"0.5"', "'0.5'", '""', "false", "[]", "{}", "[[0.5]]", "07:32:00", "1979-05-27T07:32:00",
               "1979-05-27T07:32:00Z"],
    "partner": ['"0.5"', "true", "[]", "[0.1, 0.2]", "07:32:00", "1979-05-27T07:32:00Z", "{ GBR = true }",
                "{ GBR = {} }", "{ GBR = 1979-05-27 }", '{ GBR = "0.1" }'],
    "bool": ['"true"', "'false'", "0", "1.0", "[]", "{}", "07:32:00", "1979-05-27"],
    "countries": ["1", "true", "{}", '["USA", 1]', "[{}]", "[[]]", '"USA, GBR"', "1979-05-27"],
    "sectors": ['"air, land"', "true", "{}", '["air", 1]', '["air", ["land"]]', "[[]]", "07:32:00"],
    "adaptation": ["[]", "{}", "true", "{ mode = true }", '{ mode = "reciprocal", lag = "2" }',
                   '{ mode = "reciprocal", lag = true }', '{ mode = "industrial", step = [] }',
                   '{ mode = "reciprocal", response = 1979-05-27 }'],
}


def _all_wrong(lever: str) -> list[str]:
    kind = LEVERS[lever].kind
    return _refused(lever, [*WRONG_TYPES[kind], *MORE_WRONG_TYPES[kind]])


def types_in_files() -> Iterator[BadInput]:
    """Every lever given the TOML types the "wrong type" cases leave out."""
    for i, (lever, (kind, *_)) in enumerate(LEVERS.items()):
        code = COUNTRIES[(i + 1) % len(COUNTRIES)]
        for value in _refused(lever, MORE_WRONG_TYPES[kind]):
            yield _file("types in files", f"{code}.{lever} = {value}", f"[{code}]\n{lever} = {value}\n",
                        f"{code}.{lever}")


def types_in_schedules() -> Iterator[BadInput]:
    """Every lever given every wrong type in a schedule entry: refused when the file is read, not when the
    quarter comes."""
    for i, lever in enumerate(LEVERS):
        code = COUNTRIES[(i + 2) % len(COUNTRIES)]
        for value in _all_wrong(lever):
            yield _file("types in schedules", f"{code}.schedule[0].{lever} = {value}",
                        f"[[{code}.schedule]]\nat = 2030\n{lever} = {value}\n", f"{code}.schedule[0].{lever}")


def types_via_set() -> Iterator[BadInput]:
    """Every lever given every wrong type with --set, whose value is read as TOML too."""
    for i, lever in enumerate(LEVERS):
        code = COUNTRIES[(i + 3) % len(COUNTRIES)]
        for value in _all_wrong(lever):
            yield BadInput("types via --set", f"{code}.{lever}={value}", (*RUN, "--set", f"{code}.{lever}={value}"),
                           f"{code}.{lever}")


PARAM_WRONG_TYPES = ['"0.5"', "false", "[]", "{}", "[[1]]", "1979-05-27", "07:32:00", "1979-05-27T07:32:00Z"]


def param_types() -> Iterator[BadInput]:
    """Every parameter given TOML types other than a number, in a file and with --set: the line says that a
    number is expected, not that a date is out of range."""
    for f in fields(Params):
        for value in PARAM_WRONG_TYPES:
            offending = f"params.{f.name}: expected"
            yield _file("param types", f"file: {f.name} = {value}", f"[params]\n{f.name} = {value}\n", offending)
            yield BadInput("param types", f"--set: {f.name} = {value}", (*RUN, "--set", f"params.{f.name}={value}"),
                           offending)


LOOKALIKE = dict(zip("ABCEHKMNOPSTXacopxyis", "\u0410\u0412\u0421\u0415\u041d\u041a\u041c\u039d\u041e\u0420\u0405"
                     "\u0422\u0425\u0430\u0441\u043e\u0440\u0445\u0443\u0456\u0455"))  # Cyrillic and Greek letters
INVISIBLE = {  # each, put after a word's first letter, makes another word that looks the same or nearly
    "zero-width space": "\u200b", "zero-width non-joiner": "\u200c", "zero-width joiner": "\u200d",
    "word joiner": "\u2060", "zero-width no-break space": "\ufeff", "soft hyphen": "\xad",
    "left-to-right mark": "\u200e", "right-to-left mark": "\u200f", "right-to-left override": "\u202e",
    "no-break space": "\xa0", "ideographic space": "\u3000", "combining acute accent": "\u0301",
    "line separator": "\u2028", "next line": "\x85",
}


def _lookalike(word: str) -> str:
    """`word` with its first letter that has a Cyrillic or Greek twin replaced by that twin."""
    i = next(i for i, ch in enumerate(word) if ch in LOOKALIKE)
    return word[:i] + LOOKALIKE[word[i]] + word[i + 1:]


SPOOFS: dict[str, Callable[[str], str]] = {
    "lookalike letter": _lookalike, "fullwidth letters": lambda word: "".join(chr(ord(c) + 0xFEE0) for c in word),
    **{name: lambda word, ch=ch: word[:1] + ch + word[1:] for name, ch in INVISIBLE.items()},
}
UNICODE_PLACES = {  # place -> (the word spoofed, the file text or --set assignment around it)
    "country table": ("USA", '["{w}"]\ncontent_min = 0.5\n'),
    "lever": ("content_min", '[USA]\n"{w}" = 0.5\n'),
    "partner": ("GBR", '[USA]\ntariff_end_items = {{ "{w}" = 0.1 }}\n'),
    "qualifying country": ("GBR", '[USA]\nqualifying = ["{w}"]\n'),
    "sector": ("maritime", '[USA]\nsovereign_sectors = ["{w}"]\n'),
    "adaptation mode": ("reciprocal", '[CAN]\nadaptation = {{ mode = "{w}" }}\n'),
    "shock kind": ("demand", '[[shocks]]\nkind = "{w}"\nat = 2026\nfactor = 2\n'),
    "alliance member": ("NZL", '[alliance]\nntib_members = ["{w}"]\n'),
    "top-level table": ("params", '["{w}"]\nmarkup = 0.1\n'),
    "extends": ("status_quo", 'extends = "{w}"\n'),
    "--set country": ("USA", "{w}.content_min=0.5"),
    "--set partner": ("GBR", "USA.tariff_end_items.{w}=0.1"),
    "--set qualifying country": ("GBR", 'USA.qualifying=["{w}"]'),
    "--set adaptation mode": ("reciprocal", 'CAN.adaptation={{ mode = "{w}" }}'),
}


def unicode() -> Iterator[BadInput]:
    """Country codes, levers, sectors, modes and names with a lookalike letter, fullwidth letters or an invisible
    character: refused as unknown, never taken for the name they resemble, and shown escaped when invisible."""
    for place, (word, around) in UNICODE_PLACES.items():
        for spoof, change in SPOOFS.items():
            text, offending = around.format(w=change(word)), one_line(change(word))
            if place.startswith("--set"):
                yield BadInput("unicode", f"{place}: {spoof}", (*RUN, "--set", text), offending)
            else:
                yield _file("unicode", f"{place}: {spoof}", text, offending)


WIDE_ENCODINGS = {"UTF-16": ("utf-16", "utf-16-le", "utf-16-be"), "UTF-32": ("utf-32", "utf-32-le", "utf-32-be")}


def byte_order_marks() -> Iterator[BadInput]:
    """Every shipped scenario saved with a UTF-8 byte-order mark, or as UTF-16 or UTF-32 with or without one:
    the line names the mark or the encoding, not a TOML error at line 1, column 1."""
    for name in scenario_names():
        text = shipped(name).decode()
        yield _file("byte-order mark", f"{name} with a UTF-8 BOM", codecs.BOM_UTF8 + text.encode(), "byte-order mark")
        yield _file("byte-order mark", f"{name} with a UTF-8 BOM and CRLF", codecs.BOM_UTF8 + text.replace(
            "\n", "\r\n").encode(), "byte-order mark")
        for family, encodings in WIDE_ENCODINGS.items():
            for encoding in encodings:
                yield _file("byte-order mark", f"{name} in {encoding}", text.encode(encoding), family)
    bom = codecs.BOM_UTF8
    yield _file("byte-order mark", "two UTF-8 BOMs", bom + bom + b'name = "x"\n', "byte-order mark")
    yield _file("byte-order mark", "a BOM and a bad lever", bom + b"[USA]\ncontent_min = 3\n", "byte-order mark")
    yield _file("byte-order mark", "a BOM in the parent", _extends("other.toml"), "byte-order mark",
                (("other.toml", bom + b'name = "x"\n'),))
    yield _file("byte-order mark", "a BOM after the first line", b'name = "x"\n' + bom + b"[USA]\n", "\\ufeff")


CRLF_OF = (wrong_types, unknown_keys, unknown_countries, unknown_sectors, schedules, shocks, extends, adaptations,
           top_level_types)


def line_endings() -> Iterator[BadInput]:
    """The file cases above with CRLF (Windows) or CR (old Mac) line endings are refused for the same fault (a
    file is read as text, where LF, CRLF and CR all end a line, so a shipped scenario saved either way is valid);
    a line break inside a --set value would start more TOML, which was dropped without a word."""
    for make in CRLF_OF:
        for case in make():
            for ending, newline in (("CRLF", b"\r\n"), ("CR", b"\r")):
                files = tuple((name, data.replace(b"\n", newline)) for name, data in case.files)
                yield BadInput("line endings", f"{ending}: {case.category}: {case.name}", case.argv, case.offending,
                               files)
    yield _file("line endings", "a CR ends a comment", b"# a\rb\n", "mine.toml")
    yield _file("line endings", "a CR ends a string", b'name = "a\rb"\n', "mine.toml")
    for newline in ("\n", "\r\n", "\r"):
        for name, assignment in {"another key": f"USA.content_min=0.5{newline}safe_share = 2",
                                 "a table": f"USA.content_min=0.5{newline}[GBR]",
                                 "a comment and a key": f"USA.content_min=0.5 # a{newline}name = 1"}.items():
            yield BadInput("line endings", f"--set value, {newline!r} and {name}", (*RUN, "--set", assignment),
                           "USA.content_min")


def _valid(lever: str) -> str:
    """A value the lever accepts, so that defining it twice is the only fault."""
    spec = LEVERS[lever]
    return {"number": repr(spec.low), "partner": repr(spec.low), "bool": "true", "countries": "[]", "sectors": "[]",
            "adaptation": '{ mode = "static" }'}[spec.kind]


def duplicates() -> Iterator[BadInput]:
    """A table or key defined twice, which TOML forbids (merging would hide which one was meant): the line names
    the table or quotes the line of the second definition."""
    for code in COUNTRIES:
        forms = {
            "table twice": f"[{code}]\nsafe_share = 0.1\n[{code}]\ncontent_min = 0.5\n",
            "inline table then section": f"{code} = {{ safe_share = 0.1 }}\n[{code}]\ncontent_min = 0.5\n",
            "dotted key then section": f"{code}.safe_share = 0.1\n[{code}]\ncontent_min = 0.5\n",
            "table then array of tables": f"[{code}]\nsafe_share = 0.1\n[[{code}]]\ncontent_min = 0.5\n",
            "schedule as a list then as tables": f"[{code}]\nschedule = []\n[[{code}.schedule]]\nat = 2030\n"
                                                 "content_min = 0.5\n",
        }
        for form, text in forms.items():
            yield _file("duplicates", f"{code}: {form}", text, code)
    for i, lever in enumerate(LEVERS):
        code, value = COUNTRIES[i % len(COUNTRIES)], _valid(lever)
        yield _file("duplicates", f"{code}.{lever} twice", f"[{code}]\n{lever} = {value}\n{lever} = {value}\n", lever)
        yield _file("duplicates", f"{code}.{lever} bare and quoted",
                    f'[{code}]\n{lever} = {value}\n"{lever}" = {value}\n', lever)
        yield _file("duplicates", f"{code}.schedule[0].{lever} twice",
                    f"[[{code}.schedule]]\nat = 2030\n{lever} = {value}\n{lever} = {value}\n", lever)
        if LEVERS[lever].kind == "partner":
            yield _file("duplicates", f"{code}.{lever}: a partner twice",
                        f"[{code}]\n{lever} = {{ GBR = {value}, GBR = {value} }}\n", "GBR")
    for f in fields(Params):
        yield _file("duplicates", f"params.{f.name} twice",
                    f"[params]\n{f.name} = {f.default}\n{f.name} = {f.default}\n", f.name)
    cases = {
        "name twice": ('name = "a"\nname = "b"\n', "name"),
        "description twice": ('description = "a"\ndescription = "b"\n', "description"),
        "extends twice": ('extends = "status_quo"\nextends = "pre_2025"\n', "extends"),
        "[alliance] twice": ("[alliance]\nntib_members = []\n[alliance]\n", "alliance"),
        "[budgets] twice": ("[budgets]\ngrowth = { USA = 0.01 }\n[budgets]\n", "budgets"),
        "[params] twice": ("[params]\nmarkup = 0.1\n[params]\nbid_noise = 0.1\n", "params"),
        "a growth rate twice": ("[budgets]\ngrowth = { USA = 0.01, USA = 0.02 }\n", "USA"),
        "a shock key twice": ('[[shocks]]\nkind = "demand"\nkind = "supply"\nat = 2026\nfactor = 0.5\n', "kind"),
        "adaptation mode twice": ('[CAN]\nadaptation = { mode = "static", mode = "reciprocal" }\n', "mode"),
        "an adaptation setting twice": ('[CAN]\nadaptation = { mode = "reciprocal", lag = 2, lag = 3 }\n', "lag"),
    }
    for name, (text, offending) in cases.items():
        yield _file("duplicates", name, text, offending)


def _extends(path: str) -> bytes:
    return f'extends = "{path}"\n'.encode()


def _subfolder(folder: Path) -> None:
    (folder / "sub").mkdir(exist_ok=True)


SPELLINGS = ("{name}", "./{name}", ".//{name}", "././{name}", "../in/{name}", "sub/../{name}", "{dir}/{name}",
             "{dir}/./{name}", "{dir}/../in/{name}")  # ways for a file in {dir} to name another one there


def extends_cycles() -> Iterator[BadInput]:
    """A file that extends itself, directly or through others, however the path spells it (relative with . and
    .., absolute, through a link), is a cycle: refused, not followed until the stack or the path length runs out."""
    run = (*RUN, "--scenario", FILE)
    for spelling in SPELLINGS:
        def to(name: str, spelling: str = spelling) -> bytes:
            return _extends(spelling.format(name=name, dir="{dir}"))
        shapes = {
            "itself": {"mine.toml": to("mine.toml")},
            "two files": {"mine.toml": _extends("other.toml"), "other.toml": to("mine.toml")},
            "three files": {"mine.toml": _extends("b.toml"), "b.toml": _extends("c.toml"), "c.toml": to("mine.toml")},
            "a loop past the start": {"mine.toml": _extends("other.toml"), "other.toml": to("other.toml")},
        }
        for shape, files in shapes.items():
            yield BadInput("extends cycles", f"{shape}, as {spelling}", run, "cycle", tuple(files.items()),
                           make=_subfolder)
    for back in ("../mine.toml", "./../mine.toml", "../sub/../mine.toml", "../../in/mine.toml", "{dir}/mine.toml"):
        yield BadInput("extends cycles", f"through a subfolder and back as {back}", run, "cycle",
                       (("mine.toml", _extends("sub/other.toml")), ("sub/other.toml", _extends(back))))
    links = {
        "itself through a link": ("link.toml", lambda folder: (folder / "link.toml").symlink_to("mine.toml")),
        "itself through a linked folder": ("alias/mine.toml", lambda folder: (folder / "alias").symlink_to(".")),
        "a link to the parent that extends the child": (
            "other.toml", lambda folder: (folder / "other.toml").symlink_to(folder / "mine.toml")),
    }
    for name, (parent, make) in links.items():
        yield BadInput("extends cycles", name, run, "cycle", (("mine.toml", _extends(parent)),), make=make)


def _sparse(path: Path, size: int = 50 * 2**20) -> None:
    with path.open("wb") as file:
        file.truncate(size)


SPECIAL_FILES: dict[str, tuple[Callable[[Path], object], str]] = {  # what stands where a file should be
    "a folder": (Path.mkdir, "a folder"),
    "/dev/zero": (lambda path: path.symlink_to("/dev/zero"), "a character device"),
    "/dev/null": (lambda path: path.symlink_to("/dev/null"), "a character device"),
    "/dev/urandom": (lambda path: path.symlink_to("/dev/urandom"), "a character device"),
    "a FIFO": (os.mkfifo, "a named pipe"),
    "a link to a folder": (lambda path: path.symlink_to(path.parent), "a folder"),
    "a link to itself": (lambda path: path.symlink_to(path), "symbolic links"),
    "a dangling link": (lambda path: path.symlink_to(path.with_name("missing.toml")), "No such file"),
}


def file_kinds() -> Iterator[BadInput]:
    """A scenario path, or an extends parent, that is no regular file is refused before it is opened: reading
    /dev/zero never ends, opening a FIFO blocks until something writes to it, and a folder is not "not found".
    (/dev/null is no scenario file either, though an empty file is: a valid file that sets nothing.)"""
    run = (*RUN, "--scenario", FILE)
    for kind, (make, offending) in SPECIAL_FILES.items():
        yield BadInput("file kinds", kind, run, offending, make=lambda folder, make=make: make(folder / "mine.toml"))
        yield BadInput("file kinds", f"extends {kind}", run, offending, (("mine.toml", _extends("other.toml")),),
                       make=lambda folder, make=make: make(folder / "other.toml"))
    for path in ("/dev/zero", "/dev/null", "/dev/stdin", "/proc/self/status", "/"):
        yield BadInput("file kinds", f"--scenario {path}", (*RUN, "--scenario", path), path)
    too_long = "a" * 300 + ".toml"  # past the 255 bytes a file name may have
    yield BadInput("file kinds", "a 300-character file name", (*RUN, "--scenario", f"{{dir}}/{too_long}"),
                   "File name too long")
    yield _file("file kinds", "extends a 300-character file name", _extends(too_long), "File name too long")
    yield _file("file kinds", "extends a path with a NUL", _extends("a\\u0000.toml"), "not found")
    yield BadInput("file kinds", "a NUL in the --scenario path", (*RUN, "--scenario", "{dir}/a\0.toml"), "not found")


def huge() -> Iterator[BadInput]:
    """A file past MAX_TOML_BYTES is refused having read no more than that (parsing 50 MB takes minutes), and
    nesting past MAX_NESTING or a dotted key of more than MAX_KEY_PARTS names before Python's stack runs out or
    the parse takes hours."""
    run, too_big = (*RUN, "--scenario", FILE), f"{MAX_TOML_BYTES:,} bytes"
    yield _file("huge", "one byte over the limit", b"#" * MAX_TOML_BYTES + b"\n", too_big)
    yield BadInput("huge", "50 MB of NUL bytes", run, too_big, make=lambda folder: _sparse(folder / "mine.toml"))
    yield BadInput("huge", "50 MB of comments", run, too_big,
                   make=lambda folder: (folder / "mine.toml").write_bytes(b"# padding\n" * 5 * 2**20))
    yield BadInput("huge", "extends a 50 MB file", run, too_big, (("mine.toml", _extends("other.toml")),),
                   make=lambda folder: _sparse(folder / "other.toml"))
    for depth in (20, 1_000, 100_000):
        nests = {
            "lists": "[USA]\nqualifying = " + "[" * depth + "]" * depth + "\n",
            "inline tables": "[params]\nmarkup = " + "{ a = " * depth + "1" + " }" * depth + "\n",
            "dotted key": ".".join(["a"] * depth) + " = 1\n",
            "table header": "[" + ".".join(["USA"] * depth) + "]\n",
        }
        for name, text in nests.items():
            yield _file("huge", f"{name} {depth:,} deep", text, "nested")
        sets = {"--set lists": "USA.qualifying=" + "[" * depth + "]" * depth,
                "--set inline tables": "params.markup=" + "{a=" * depth + "1" + "}" * depth}
        for name, assignment in sets.items():
            yield BadInput("huge", f"{name} {depth:,} deep", (*RUN, "--set", assignment), "nested")
    long, many = "a" * 500_000, ", ".join(["1"] * 100_000)
    echoes = {  # values the error line must cut short ("...") instead of repeating
        "a 500,000-character key": f'"{long}" = 1\n',
        "a 500,000-character lever": f'[USA]\n"{long}" = 1\n',
        "a 500,000-character partner": f'[USA]\ntariff_end_items = {{ "{long}" = 0.1 }}\n',
        "a 500,000-character country in a list": f'[USA]\nqualifying = ["{long}"]\n',
        "a 500,000-character adaptation mode": f'[CAN]\nadaptation = {{ mode = "{long}" }}\n',
        "a 500,000-character shock kind": f'[[shocks]]\nkind = "{long}"\nat = 2026\nfactor = 2\n',
        "a 500,000-character growth country": f'[budgets]\ngrowth = {{ "{long}" = 0.1 }}\n',
        "100,000 numbers for a country": f"USA = [{many}]\n",
        "100,000 numbers for a country list": f"[USA]\nqualifying = [{many}]\n",
        "100,000 numbers for a bool": f"[USA]\nntib_treatment = [{many}]\n",
        "100,000 numbers for a quarter": f"[[USA.schedule]]\nat = [{many}]\ncontent_min = 0.5\n",
        "100,000 numbers for a name": f"name = [{many}]\n",
    }
    for name, text in echoes.items():
        yield _file("huge", name, text, "...")
    sets = {"--set a 100,000-character bad key": f"USA.{long[:100_000]}-x=1",
            "--set a value of 100,000 symbols": "USA.content_min=" + "@" * 100_000,
            "--set 50,000 sub-keys of a number": "USA.content_min." + ".".join(["a"] * 50_000) + "=1"}
    for name, assignment in sets.items():
        yield BadInput("huge", name, (*RUN, "--set", assignment), "...")


MALFORMED_QUARTERS = [  # `at` values that are neither a year nor "YYYYQn" inside the model's time
    '"2029Q-1"', '"2029Q10"', '"2029Q"', '"Q1"', '"2029"', '""', '" "', '"2029 Q1"', '"2029-Q1"', '"2029/Q1"',
    '"2029Q1 "', '"Q1 2029"', '"Q12029"', '"2029Q1Q2"', '"2029Q1.5"', '"02029Q1"', '"+2029Q1"', '"2029Q01"',
    '"2029H1"', '"2029W1"', '"2029M1"', '"2029q4"', '"2029Q1\\n"', '"2029Q1\\t"', '"2029\\u0000Q1"', "'2029Q1 '",
    '"\uff12\uff10\uff12\uff19Q1"', '"\u0662\u0660\u0662\u0669Q1"', '"\u0968\u0966\u0968\u096fQ1"', '"2029\uff311"',
    '"2029Q\uff11"', '"2029Q\u0661"', '"2029\u200bQ1"',  # digits and letters that are not ASCII
    '"2024Q1"', '"2125Q4"', '"1999Q1"', '"9999Q4"', '"0000Q1"', "0", "1", "-2025", "10000", "99999999999999999999",
    "2029.0", "2029.25", "2029e0", "2.029e3", "nan", "inf", "-0.0", "false", '["2029Q1"]', "[2029, 1]",
    "{ year = 2029, quarter = 1 }", "{}", "2029-01-01", "2029-01-01T00:00:00", "2029-01-01T00:00:00Z", "00:00:00",
]
QUARTER_PLACES = {  # place -> (the text or --set assignment around `at`, what the line must name)
    "schedule": ("[[GBR.schedule]]\nat = {at}\ncontent_min = 0.7\n", "GBR.schedule[0].at"),
    "second entry": ("[[AUS.schedule]]\nat = 2030\nsafe_share = 0.1\n[[AUS.schedule]]\nat = {at}\nsafe_share = 0.2\n",
                     "AUS.schedule[1].at"),
    "shock": ('[[shocks]]\nkind = "supply"\nat = {at}\nfactor = 0.5\n', "shocks[0].at"),
    "--set schedule": ("NZL.schedule=[{{ at = {at}, offset_rate = 0.1 }}]", "NZL.schedule[0].at"),
    "--set shock": ('shocks=[{{ kind = "demand", at = {at}, factor = 2 }}]', "shocks[0].at"),
}


def quarters() -> Iterator[BadInput]:
    """Schedule entries and shocks, in a file and with --set, dated in every malformed way: a quarter out of
    1-4, separators, padding, non-ASCII digits, years outside the model, fractions, other types."""
    for place, (around, offending) in QUARTER_PLACES.items():
        for at in MALFORMED_QUARTERS:
            text = around.format(at=at)
            if place.startswith("--set"):
                yield BadInput("quarters", f"{place}: at = {at}", (*RUN, "--set", text), offending)
            else:
                yield _file("quarters", f"{place}: at = {at}", text, offending)


# -- command-line flags and --set -------------------------------------------------------------------------

def flags() -> Iterator[BadInput]:
    run = ("run", "--out", "{out}")
    cases = {
        "unknown flag": ((*run, "--bogus"), "--bogus"), "unknown flag with value": ((*run, "--speed", "2"), "--speed"),
        "stray word": ((*run, "extra"), "extra"), "flag of another command": ((*run, "--seeds", "3"), "--seeds"),
        "years 0": ((*run, "--years", "0"), "--years"), "years 101": ((*run, "--years", "101"), "--years"),
        "years negative": ((*run, "--years", "-1"), "--years"), "years text": ((*run, "--years", "abc"), "--years"),
        "years fractional": ((*run, "--years", "1.5"), "--years"), "years empty": ((*run, "--years", ""), "--years"),
        "years missing": ((*run, "--years"), "--years"), "years huge": ((*run, "--years", "1e9"), "--years"),
        "seed negative": ((*run, "--seed", "-1"), "--seed"), "seed 2^32": ((*run, "--seed", str(2**32)), "--seed"),
        "seed text": ((*run, "--seed", "x"), "--seed"), "seed float": ((*run, "--seed", "1.0"), "--seed"),
        "scale 0": ((*run, "--firm-scale", "0"), "--firm-scale"),
        "scale negative": ((*run, "--firm-scale", "-0.1"), "--firm-scale"),
        "scale 2.5": ((*run, "--firm-scale", "2.5"), "--firm-scale"),
        "scale nan": ((*run, "--firm-scale", "nan"), "--firm-scale"),
        "scale inf": ((*run, "--firm-scale", "inf"), "--firm-scale"),
        "scale text": ((*run, "--firm-scale", "tiny"), "--firm-scale"),
        "scale missing": ((*run, "--firm-scale"), "--firm-scale"),
        "json with a value": ((*run, "--json=yes"), "--json"),
        "scenario missing": ((*run, "--scenario"), "--scenario"), "set missing": ((*run, "--set"), "--set"),
        "out missing": (("run", "--years", "1", "--out"), "--out"),
        "no command": ((), "command"), "unknown command": (("frobnicate",), "frobnicate"),
        "run in capitals": (("RUN", "--out", "{out}"), "RUN"),
    }
    for name, (argv, offending) in cases.items():
        yield BadInput("flags", name, argv, offending)


def sets() -> Iterator[BadInput]:
    cases = {
        "no equals": ("USA.preference_margin", "USA.preference_margin"), "empty key": ("=1", "=1"),
        "double dot": ("USA..x=1", "USA..x"), "leading dot": (".x=1", ".x"), "space in key": ("US A.x=1", "US A.x"),
        "empty value": ("USA.content_min=", "USA.content_min"), "unknown lever": ("USA.nonsense=1", "nonsense"),
        "out of range": ("USA.content_min=2", "USA.content_min"), "unknown country": ("XYZ.content_min=0.1", "XYZ"),
        "unknown partner": ("USA.tariff_end_items.XYZ=0.1", "XYZ"), "bare word country": ("USA.qualifying=FRA",
                                                                                          "USA.qualifying"),
        "unknown country in list": ('USA.qualifying=["FRA"]', "FRA"), "word for number": ("USA.content_min=high",
                                                                                         "USA.content_min"),
        "symbol value": ("USA.content_min=@", "@"), "sub-key of a number": ("USA.content_min.x=1", "content_min"),
        "sub-key of the schedule": ("USA.schedule.at=2030", "schedule"),
        "extends": ("extends=pre_2025", "extends"), "name a number": ("name=1", "name"),
        "unknown param": ("params.nope=1", "nope"), "param text": ("params.markup=abc", "params.markup"),
        "param out of range": ("params.markup=5", "params.markup"), "param not whole": ("params.lots=2.5",
                                                                                        "params.lots"),
        "unknown member": ('alliance.ntib_members=["XX"]', "XX"), "growth too high": ("budgets.growth.USA=5",
                                                                                      "budgets.growth.USA"),
        "shocks a number": ("shocks=1", "shocks"), "schedule a number": ("USA.schedule=1", "USA.schedule"),
        "unknown mode": ("USA.adaptation.mode=angry", "angry"),
        "mode as a list": ('USA.adaptation={mode=["x"]}', "USA.adaptation.mode"),
        "exempt above 1": ("USA.exempt.NZL=2", "USA.exempt.NZL"), "country a number": ("USA=1", "USA"),
        "description a list": ("description=[1]", "description"), "nan": ("USA.preference_margin=nan",
                                                                          "USA.preference_margin"),
        "inf": ("USA.preference_margin=inf", "USA.preference_margin"), "unclosed list": ('USA.qualifying=["GBR"',
                                                                                          "USA.qualifying"),
    }
    for name, (assignment, offending) in cases.items():
        yield BadInput("--set", name, (*RUN, "--set", assignment), offending)


# -- the output folder ------------------------------------------------------------------------------------

def _enospc(*_args, **_kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def _disk_fills_after(moves: int) -> contextlib.AbstractContextManager:
    """os.replace that moves `moves` files, then finds the disk full: a half-published result."""
    real, done = os.replace, []

    def replace(src, dst, **kw):
        if len(done) >= moves:
            _enospc()
        done.append(dst)
        return real(src, dst, **kw)
    return mock.patch("model.runs.output.os.replace", side_effect=replace)


def outputs() -> Iterator[BadInput]:
    """--out that cannot be written, and a disk that fills up while the results are written."""
    run = ("run", "--years", "1", "--firm-scale", "0.004")
    yield BadInput("output", "file in place of the folder", (*run, "--out", "{dir}/taken"), "--out",
                   (("taken", b"keep me\n"),))
    yield BadInput("output", "folder under a file", (*run, "--out", "{dir}/taken/sub"), "--out",
                   (("taken", b"keep me\n"),))
    yield BadInput("output", "read-only parent", (*run, "--out", "{out}"), "--out",
                   patch=lambda: mock.patch("pathlib.Path.mkdir", side_effect=PermissionError(errno.EACCES,
                                                                                              "Permission denied")))
    yield BadInput("output", "disk full before the first file is moved", (*run, "--out", "{out}"), "--out",
                   patch=lambda: _disk_fills_after(0))
    yield BadInput("output", "disk full after three files are moved", (*run, "--out", "{out}"), "--out",
                   patch=lambda: _disk_fills_after(3))
    yield BadInput("output", "disk full while writing the time series", (*run, "--out", "{out}"), "--out",
                   patch=lambda: mock.patch("pandas.DataFrame.to_csv", side_effect=_enospc))


CATEGORIES: dict[str, Callable[[], Iterator[BadInput]]] = {
    "wrong type": wrong_types, "out of range": out_of_range, "unknown key": unknown_keys,
    "unknown country": unknown_countries, "unknown sector": unknown_sectors, "schedule": schedules,
    "shock": shocks, "extends": extends, "params": params, "adaptation": adaptations,
    "top-level type": top_level_types, "truncated": truncated, "encoding": encodings,
    "scenario name": scenario_names_bad, "flags": flags, "--set": sets, "output": outputs,
    "types in files": types_in_files, "types in schedules": types_in_schedules, "types via --set": types_via_set,
    "param types": param_types, "unicode": unicode, "byte-order mark": byte_order_marks,
    "line endings": line_endings, "duplicates": duplicates, "extends cycles": extends_cycles,
    "file kinds": file_kinds, "huge": huge, "quarters": quarters,
}


def generate() -> list[BadInput]:
    """Every bad input, category by category (names are unique within a category)."""
    return [case for make in CATEGORIES.values() for case in make()]


def run_in_process(case: BadInput, folder: Path) -> list[str]:
    """Run `ntib` in this process on the case and return its problems (an escaped exception is one)."""
    argv, out = case.materialise(folder)
    before = expect_empty(out_state(out))
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr), case.environment():
        try:
            status = main(argv)
        except SystemExit as exc:
            status = exc.code if isinstance(exc.code, int) else 1
        except Exception:
            status, stderr = 1, io.StringIO(traceback.format_exc())
    return problems(case, status, stdout.getvalue(), stderr.getvalue(), before, expect_empty(out_state(out)))
