"""The `ntib` command: run a scenario, list scenarios, run the demo comparison, or serve the interactive page.

Every user error ends in one line on stderr naming what is wrong and what is allowed, and exit status 2.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import ipaddress
import json
import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

import numpy as np

from model.common.errors import InputError, warn
from model.common.quarters import MAX_YEARS
from model.policy.scenario import load_scenario, scenario_names
from model.simulation.model import DEFAULT_FIRM_SCALE
from model.ui.arguments import Parser, firm_scale, host, int_in

PR_SET_PDEATHSIG = 1  # from linux/prctl.h
# What the page loads beyond Solara's template: Mesa's panel grid (solara.GridDraggable) and the icon font.
FRONT_END_EXTRA = ("@widgetti/vue-grid-layout@2.3.13-alpha.2", "font-awesome@4.5.0")
STOP_SECONDS = 10.0  # how long the server may take to stop on SIGTERM before it is killed


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="ntib", description="Five Eyes defence-industrial-base model")
    parser.add_argument("--version", action="version", version=f"ntib {metadata.version('ntib-model')}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)

    run = sub.add_parser("run", help="run one scenario and print its outcomes")
    run.add_argument("--scenario", default="status_quo", help="a named scenario or a TOML file (default status_quo)")
    run.add_argument("--years", type=int_in(1, MAX_YEARS), default=20, help="run length in years (default 20)")
    run.add_argument("--seed", type=int_in(0, 2**32 - 1), default=1, help="random seed (default 1)")
    run.add_argument("--firm-scale", type=firm_scale, default=DEFAULT_FIRM_SCALE,
                     help=f"share of the real firm population (default {DEFAULT_FIRM_SCALE}; 1 = about 124,000 firms)")
    run.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                     help="override a lever or parameter, e.g. USA.preference_margin=0.2 (repeatable)")
    run.add_argument("--out", type=Path, help="folder for the time series, summary, manifest and figures")
    run.add_argument("--json", action="store_true", help="print one JSON object instead of the readable summary")

    sub.add_parser("scenarios", help="list the named scenarios")

    demo = sub.add_parser("demo", help="status quo against full NTIB integration: table and figures")
    demo.add_argument("--seeds", type=int_in(1, 100), default=5, help="seeds per scenario (default 5)")
    demo.add_argument("--years", type=int_in(1, MAX_YEARS), default=20, help="run length in years (default 20)")
    demo.add_argument("--out", type=Path, default=Path("out/demo"), help="folder for figures (default out/demo)")

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
    from model.runs.output import manifest, staged, writable_dir, write_json
    from model.runs.single import run_one
    from model.ui.figures import standard_figures

    spec = load_scenario(args.scenario, args.set)
    if args.out is not None:
        if (args.out / "manifest.json").is_file():
            print(f"ntib: warning: --out {args.out} holds an earlier result; its files will be replaced",
                  file=sys.stderr)
        writable_dir(args.out)
    summary, ts, flows = run_one(spec, args.seed, args.years, args.firm_scale)
    if args.out is not None:
        with staged(args.out) as tmp:
            write_json(tmp / "summary.json", summary)
            ts.to_csv(tmp / "timeseries.csv", index=False)
            standard_figures(ts.assign(scenario=spec.name, seed=args.seed), {spec.name: flows}, args.years, tmp)
            write_json(tmp / "manifest.json", manifest(
                scenario=spec.name, scenario_source=spec.source, overrides=args.set, seed=args.seed,
                years=args.years, firm_scale=args.firm_scale, params=spec.params))
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
        raise InputError(f"cannot listen on {args.host} port {args.port}: {exc.strerror or exc}") from None
    shown = "127.0.0.1" if args.host in ("0.0.0.0", "::") else f"[{args.host}]" if ":" in args.host else args.host
    print(f"open http://{shown}:{args.port}  (Ctrl-C stops the server)", flush=True)
    if not _loopback(args.host):
        warn(f"listening on {args.host}: anyone who can reach this machine on port {args.port} can use the page "
             "and make it compute")
    if missing_front_end():
        print("ntib: note: the page's browser files are not stored here, so it loads them from a CDN and stays "
              "blank without one; make demo (or .venv/bin/python scripts/solara_assets.py) stores them",
              file=sys.stderr, flush=True)
    return serve([sys.executable, "-m", "solara", "run", "model.ui.app", "--host", args.host, "--port",
                  str(args.port), "--production", "--no-open"])


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


def serve(command: list[str]) -> int:
    """Run the server as a child in a process group of its own, and stop that whole group however this process
    stops: Ctrl-C, SIGTERM or SIGHUP (each a KeyboardInterrupt here), or, on Linux, a SIGKILL no handler sees.
    Its own group keeps the terminal's Ctrl-C from reaching the server before we stop it."""
    from model.runs.experiment import stop_signals_interrupt

    arm = _ends_with(os.getpid())
    server = subprocess.Popen(command, stdin=subprocess.DEVNULL, process_group=0,
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


def readable(s: dict) -> str:
    """A short terminal summary of one run."""
    pct = lambda v: "  n/a" if v is None else f"{100 * v:5.1f}%"  # noqa: E731
    lines = [f"scenario {s['scenario']}  seed {s['seed']}  {s['start']}-{s['end']}  firm_scale {s['firm_scale']}",
             f"integration index, whole run {pct(s['integration_index'])}   sampled firms "
             f"{sum(s['firms_active'].values())}",
             "", "country  foreign  to-US   tech  unit-cost  firms   HHI"]
    lines += [f"{c:7s} {pct(s['foreign_share'].get(c))} {pct(s['us_share'].get(c, None))}"
              f" {s['tech'][c] or float('nan'):6.3f} {s['unit_cost_index'][c] or float('nan'):9.3f}"
              f" {s['firms_active'][c]:6d} {s['hhi'][c] or float('nan'):5.2f}" for c in s["firms_active"]]
    pairs = ", ".join(f"{k} {v['active']}+{v['completed']}" for k, v in s["codev_pairs"].items()) or "none"
    lines += ["", f"co-development (active+completed): {pairs}",
              f"money: governments paid {s['money']['government_paid']:.1f}, firms received "
              f"{s['money']['firms_received']:.1f}, tariffs {s['money']['tariff_revenue']:.1f} (US$bn)"]
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
    elif args.command == "viz":
        return cmd_viz(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
