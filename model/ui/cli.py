"""The `ntib` command: run a scenario, run a study file, list scenarios, run the demo comparison, or serve the
interactive page.

Every user error ends in one line on stderr naming what is wrong and what is allowed, and exit status 2.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import ipaddress
import json
import math
import os
import re
import signal
import socket
import subprocess
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import numpy as np

from model.common.errors import InputError, warn
from model.common.quarters import MAX_YEARS
from model.policy.scenario import load_scenario, scenario_names
from model.simulation.model import DEFAULT_FIRM_SCALE, DEFAULT_SEED
from model.ui.arguments import Parser, firm_scale, folder, host, int_in, scheduler

PR_SET_PDEATHSIG = 1  # from linux/prctl.h
NO_CDN = "http://127.0.0.1:9/"  # the discard port, where nothing answers: the CDN of a server with every file stored
# What the page loads beyond Solara's template: Mesa's panel grid (solara.GridDraggable) and the icon font.
FRONT_END_EXTRA = ("@widgetti/vue-grid-layout@2.3.13-alpha.2", "font-awesome@4.5.0", "vega@5", "vega-lite@5",
                   "vega-embed@6")
WRITER = "ntib run"  # the manifest's `written_by`: how a later run knows an --out folder's files are its own
STOP_SECONDS = 10.0  # how long the server may take to stop on SIGTERM before it is killed


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="ntib", description="Five Eyes defence-industrial-base model")
    parser.add_argument("--version", action="version", version=f"ntib {metadata.version('ntib-model')}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)

    run = sub.add_parser("run", help="run one scenario and print its outcomes")
    run.add_argument("--scenario", default="status_quo", help="a named scenario or a TOML file (default status_quo)")
    run.add_argument("--years", type=int_in(1, MAX_YEARS), default=20, help="run length in years (default 20)")
    run.add_argument("--seed", type=int_in(0, 2**32 - 1), default=DEFAULT_SEED,
                     help=f"random seed (default {DEFAULT_SEED})")
    run.add_argument("--firm-scale", type=firm_scale, default=DEFAULT_FIRM_SCALE,
                     help=f"share of the real firm population (default {DEFAULT_FIRM_SCALE}; 1 = about 124,000 firms)")
    run.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                     help="override a lever or parameter, e.g. USA.preference_margin=0.2 (repeatable)")
    run.add_argument("--out", type=folder, help="folder for the time series, summary, manifest and figures")
    run.add_argument("--force", action="store_true",
                     help="write into an --out folder that holds other files, beside them (never replacing one "
                          "this tool did not write)")
    run.add_argument("--json", action="store_true", help="print one JSON object instead of the readable summary")

    sweep = sub.add_parser("sweep", help="run a study declared in a TOML file (factors, design, seeds, outcomes) "
                                         "and write its tables, figures and manifest")
    sweep.add_argument("study", type=Path,
                       help="the study file, e.g. a copy of experiments/studies/preference_sweep.toml")
    sweep.add_argument("--out", type=folder, help="folder for tables, figures, manifest and run store (default "
                                                "out/<study name>)")
    sweep.add_argument("--workers", type=int_in(1, 1024), default=min(2, os.cpu_count() or 1),
                       help="parallel runs (default: 2, or 1 on a one-core machine)")
    sweep.add_argument("--scheduler", type=scheduler, default=None,
                       help="run on a Dask cluster: tcp://HOST:PORT of its scheduler, or 'local' for one started "
                            "here on 127.0.0.1 with --workers workers (default: a local process pool)")
    sweep.add_argument("--quiet", action="store_true", help="no progress bar")

    sub.add_parser("scenarios", help="list the named scenarios")

    demo = sub.add_parser("demo", help="status quo against full NTIB integration: table and figures")
    demo.add_argument("--seeds", type=int_in(1, 100), default=5, help="seeds per scenario (default 5)")
    demo.add_argument("--years", type=int_in(1, MAX_YEARS), default=20, help="run length in years (default 20)")
    demo.add_argument("--out", type=folder, default=Path("out/demo"), help="folder for figures (default out/demo)")

    viz = sub.add_parser("viz", help="serve the interactive page (scenario, levers, step and watch) in a browser")
    viz.add_argument("--host", type=host, default="127.0.0.1",
                     help="address to listen on (default 127.0.0.1, this machine only)")
    viz.add_argument("--port", type=int_in(1, 65535), default=8765, help="port to listen on (default 8765)")

    sub.add_parser("bench", help="measure speed and memory and write docs/performance.md; options after "
                                 "'bench' go to benchmarks/run.py (ntib bench --help lists them)", add_help=False)
    return parser


def cmd_bench(options: list[str]) -> int:
    """Run the benchmark suite of the source checkout this package was installed from."""
    script = Path(__file__).resolve().parents[2] / "benchmarks" / "run.py"
    if not script.is_file():
        raise InputError(f"ntib bench needs the project's source checkout; expected {script}")
    return subprocess.run([sys.executable, str(script), *options]).returncode


def cmd_scenarios() -> None:
    for name in scenario_names():
        spec = load_scenario(name)
        print(f"{name:16s} {spec.description}")


def cmd_run(args: argparse.Namespace) -> None:
    from model.runs.output import checksums, foreign_entries, manifest, own_files, staged, writable_dir, write_json
    from model.runs.single import run_one
    from model.ui.figures import standard_figures

    spec = load_scenario(args.scenario, args.set)
    replaceable: set[str] = set()
    if args.out is not None:
        writable_dir(args.out)
        replaceable = own_files(args.out, WRITER)
        others = foreign_entries(args.out, replaceable)
        if others and not args.force:
            shown = ", ".join(others[:3]) + (f" and {len(others) - 3} more" if len(others) > 3 else "")
            raise InputError(f"--out {args.out} holds what {WRITER} did not write ({shown}); expected an empty "
                             f"folder or an earlier {WRITER} result, or --force to add this run's files beside them")
        if replaceable and not others:
            warn(f"--out {args.out} holds an earlier result; its files will be replaced")
    summary, ts, flows = run_one(spec, args.seed, args.years, args.firm_scale)
    if args.out is not None:
        with staged(args.out, replaceable) as tmp:
            write_json(tmp / "summary.json", summary)
            ts.to_csv(tmp / "timeseries.csv", index=False)
            standard_figures(ts.assign(scenario=spec.name, seed=args.seed), {spec.name: flows}, args.years, tmp)
            write_json(tmp / "manifest.json", manifest(
                written_by=WRITER, scenario=spec.name, scenario_source=spec.source, overrides=args.set,
                seed=args.seed, years=args.years, firm_scale=args.firm_scale, params=spec.params,
                files=checksums(tmp)))
    if args.json:
        print(json.dumps(summary, allow_nan=False))
    else:
        print(readable(summary))
        if args.out is not None:
            print(f"\nwrote {args.out}/ (summary.json, timeseries.csv, figures, manifest.json)")


def _loopback(host: str) -> bool:
    """Whether every address `host` stands for is this machine only."""
    return all(ipaddress.ip_address(info[4][0]).is_loopback for info in socket.getaddrinfo(host, None))


def cmd_viz(args: argparse.Namespace) -> int:
    """Serve the page (model.ui.app) with Solara until interrupted. Binding the port first turns a busy port or an
    unknown host into one clear line instead of a server traceback."""
    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    try:
        with socket.socket(family) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server will
            probe.bind((args.host, args.port))
    except OSError as exc:
        raise InputError(f"cannot listen on {args.host} port {args.port}: {exc.strerror or exc}; expected an "
                         "address of this machine (127.0.0.1 by default, 0.0.0.0 for every one) and a free port"
                         ) from None
    shown = "127.0.0.1" if args.host in ("0.0.0.0", "::") else f"[{args.host}]" if ":" in args.host else args.host
    print(f"open http://{shown}:{args.port}  (Ctrl-C stops the server)", flush=True)
    if not _loopback(args.host):
        warn(f"listening on {args.host}: anyone who can reach this machine on port {args.port} can use the page "
             "and make it compute")
    environment = {**os.environ, "SOLARA_THEME_SHOW_BANNER": "False"}  # the badge covered a chart's corner
    if missing_front_end():
        print("ntib: note: the page's browser files are not stored here, so it loads them from a CDN and stays "
              "blank without one; make demo (or .venv/bin/python scripts/solara_assets.py) stores them",
              file=sys.stderr, flush=True)
    else:  # every file is served from the local store: a request for any other makes the server fetch nothing
        environment["SOLARA_ASSETS_CDN"] = NO_CDN
    return serve([sys.executable, "-m", "solara", "run", "model.ui.app", "--host", args.host, "--port",
                  str(args.port), "--production", "--no-open"], environment)


def front_end_cache() -> Path:
    """Solara's asset cache: its server looks there for the page's browser files before asking a CDN."""
    from solara.server import settings

    return Path(settings.assets.proxy_cache_dir)


def missing_front_end() -> list[str]:
    """npm packages (name@version) of the page's browser files not yet unpacked into Solara's asset cache: those
    the page template names for the installed Vue version, plus FRONT_END_EXTRA. What the CDN proxy cached on
    its own counts as missing: it keeps only the files one page asked for."""
    import ipyvue
    import solara

    template = Path(solara.__file__).parent / "server" / "templates" / "solara.html.j2"
    named = re.findall(r"\{\{cdn\}\}/((?:@[\w-]+/)?[\w.-]+@\d[\w.-]*)/", template.read_text())
    app = "solara-vuetify3-app" if ipyvue.__version__.startswith("3") else "solara-vuetify-app"  # as Solara picks
    needed = {spec for spec in named if "vuetify" not in spec or f"/{app}@" in spec} | set(FRONT_END_EXTRA)
    cache = front_end_cache()
    return sorted(spec for spec in needed if not (cache / spec / "package.json").is_file())


def serve(command: list[str], environment: dict[str, str] | None = None) -> int:
    """Run the server as a child in a process group of its own, and stop that whole group however this process
    stops: Ctrl-C, SIGTERM or SIGHUP (each a KeyboardInterrupt here), or, on Linux, a SIGKILL no handler sees.
    Its own group keeps the terminal's Ctrl-C from reaching the server before we stop it."""
    from model.runs.experiment import stop_signals_interrupt

    arm = _ends_with(os.getpid())
    server = subprocess.Popen(command, stdin=subprocess.DEVNULL, process_group=0, env=environment,
                              preexec_fn=arm)  # noqa: PLW1509 - the child only calls prctl and getppid before exec
    try:
        with stop_signals_interrupt():
            return server.wait()
    finally:
        _stop_group(server)


def _ends_with(parent: int) -> Callable[[], None] | None:
    """What the server child runs before the server: on Linux, have the kernel kill it when `parent` ends."""
    if not sys.platform.startswith("linux"):
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up before the fork, so the child only calls it

    def arm() -> None:
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:  # the parent ended before the request took effect
            os._exit(1)

    return arm


def _stop_group(leader: subprocess.Popen) -> None:
    """SIGTERM to the leader's process group, SIGKILL to whatever of it is left after it ends or STOP_SECONDS."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(leader.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        leader.wait(STOP_SECONDS)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(leader.pid, signal.SIGKILL)
    leader.wait()


@dataclass(frozen=True)
class Column:
    """A column of the readable run table: its header and unit, the run-summary entry it shows (by country), how
    a value prints, and why a value can be undefined (None in the summary), said in a footnote under the table."""

    header: str
    unit: str
    key: str
    show: Callable[[float], str]
    undefined: Callable[[str], str]


def _percent(share: float) -> str:
    return f"{100 * share:.1f}"


def _bought_nothing(_country: str) -> str:
    return "it bought no end items in the run"


TABLE = (
    Column("foreign", "% of buys", "foreign_share", _percent, _bought_nothing),
    Column("to-US", "% of buys", "us_share", _percent,
           lambda c: "what the US buys from US firms is its home share (100 % less foreign)" if c == "USA"
           else _bought_nothing(c)),
    Column("tech", "2025 US = 1", "tech", "{:.3f}".format, lambda _c: "it has no active firms at the end"),
    Column("unit cost", "2025Q1 = 1", "unit_cost_index", "{:.3f}".format,
           lambda _c: "it has no active primes at the start or at the end"),
    Column("firms", "sampled", "firms_active", "{:d}".format, lambda _c: "it has no firms"),
    Column("HHI", "0-1", "hhi", "{:.2f}".format, lambda _c: "its primes won no end-item awards in the run"),
)
LEGEND = ("foreign, to-US: share of the country's end-item purchases over the run won by foreign and by US primes; "
          "tech: mean quality of its active firms at the end; unit cost: its primes' cost per unit of capability; "
          "firms: sampled active firms; HHI: concentration of its primes' awards within sectors (1 = one prime)")


def _defined(value: object) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def readable(s: dict) -> str:
    """A short terminal summary of one run: each column says its unit, and an undefined value prints as n/a with
    a footnote saying why."""
    countries = list(s["firms_active"])
    cells = [[column.show(value) if _defined(value := s[column.key].get(c)) else "n/a"
              for column in TABLE] for c in countries]
    widths = [max(len(column.header), len(column.unit), *(len(row[i]) for row in cells))
              for i, column in enumerate(TABLE)]
    line = lambda first, texts: "  ".join([f"{first:7s}", *(t.rjust(w) for t, w in zip(texts, widths))])  # noqa: E731
    index = s["integration_index"]
    integration = f"{_percent(index)} %" if _defined(index) else "n/a"
    lines = [f"scenario {s['scenario']}  seed {s['seed']}  {s['start']}-{s['end']}  firm_scale {s['firm_scale']}",
             f"integration index, whole run: {integration} (Five Eyes procurement won by another Five Eyes country)",
             f"sampled firms active at the end: {sum(s['firms_active'].values())}",
             "", line("country", [column.header for column in TABLE]), line("", [column.unit for column in TABLE])]
    lines += [line(c, row) for c, row in zip(countries, cells)]
    for i, column in enumerate(TABLE):
        for c, row in zip(countries, cells):
            if row[i] == "n/a":
                lines.append(f"n/a: {column.header} of {c}: {column.undefined(c)}")
    lines += ["", *textwrap.wrap(LEGEND, 116)]
    pairs = ", ".join(f"{k} {v['active']}+{v['completed']}" for k, v in s["codev_pairs"].items()) or "none"
    money, years = s["money"], s["years"]
    lines += ["", f"joint programmes (active at the end + completed): {pairs}",
              f"money, US$bn a year over the run: governments paid {money['government_paid'] / years:.1f}, firms "
              f"received {money['firms_received'] / years:.1f}, tariffs {money['tariff_revenue'] / years:.1f}"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """The `ntib` command, the same whether run as the installed entry point or as `python -m model.ui.cli`.

    Float warnings are silenced for the command's duration: extreme but valid levers can overflow, and the
    outputs then carry inf or NaN, which the user sees, instead of a numpy warning on the terminal.
    """
    argv = sys.argv[1:] if argv is None else argv
    try:
        with np.errstate(all="ignore"):
            return _dispatch(argv)
    except InputError as exc:
        print(f"{exc.command or 'ntib'}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("ntib: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `ntib run | head`: the reader left, which is not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _dispatch(argv: list[str]) -> int:
    if argv[:1] == ["bench"]:
        return cmd_bench(argv[1:])
    args = build_parser().parse_args(argv)
    try:
        return _command(args)
    except InputError as exc:  # one prefix for every error of a command, its flags' and its input's alike
        exc.command = exc.command or f"ntib {args.command}"
        raise


def _command(args: argparse.Namespace) -> int:
    if args.command in ("run", "demo"):
        from model.ui.figures import headless
        headless()
    if args.command == "scenarios":
        cmd_scenarios()
    elif args.command == "run":
        cmd_run(args)
    elif args.command == "demo":
        from model.ui.demo import demo
        demo(args.seeds, args.years, args.out)
    elif args.command == "sweep":
        from model.ui.sweep_command import main_sweep
        return main_sweep(args)
    elif args.command == "viz":
        return cmd_viz(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
