"""Hundreds of malformed inputs to `ntib run`, by category, and the verdict every one of them must get.

A case is an argument list (with "{dir}" standing for a folder holding the case's files and "{out}" for the
--out folder) plus the fragment its error line must name. The verdict is the CLI contract: non-zero exit,
exactly one line on stderr that names the fault and says what is allowed or expected, no traceback, nothing
on stdout and nothing written to --out. tests/test_bad_input.py and scripts/reliability.py both use this.
"""

from __future__ import annotations

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
from model.policy.adaptation import ADAPTATION
from model.policy.levers import LEVERS
from model.policy.params import Params
from model.policy.scenario import scenario_names
from model.ui.cli import main

MARKERS = ("allowed", "expected", "choose from")  # how an error line says what would be accepted
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

    def materialise(self, folder: Path) -> tuple[list[str], Path]:
        """Write the case's files under folder/in and return its argv and the --out path it names."""
        inputs = folder / "in"
        inputs.mkdir(parents=True, exist_ok=True)
        for name, data in self.files:
            (inputs / name).write_bytes(data.replace(b"{dir}", str(inputs).encode()))
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
        found.append(f"error line does not name {case.offending!r}: {line!r}")
    if not any(m in line.lower() for m in MARKERS):
        found.append(f"error line does not say what is allowed or expected: {line!r}")
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


def wrong_types() -> Iterator[BadInput]:
    for i, (lever, (kind, *_)) in enumerate(LEVERS.items()):
        code = COUNTRIES[i % len(COUNTRIES)]
        for value in WRONG_TYPES[kind]:
            if lever == "exempt" and value == "false":
                continue  # exempt = false is allowed (no exemption)
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


def truncated(pieces: int = 12) -> Iterator[BadInput]:
    """Each shipped scenario cut at `pieces` evenly spread byte offsets; only cuts that are not valid
    UTF-8 TOML count (a cut that still parses is a different, possibly valid, file)."""
    for name in scenario_names():
        data = resources.files("model.scenarios").joinpath(f"{name}.toml").read_bytes()
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
