"""The interactive page: `ntib viz` (which runs `solara run model.ui.app`). Pick a scenario or upload one, move
the levers, press Reset to rebuild the model from them, then Step or play and watch integration emerge; pick a
scenario to compare with, and both run side by side.

By default the page runs the plain scenario for 20 years (the Years slider sets the run length): the three lever
sliders (preference margin, tariff, export friction) apply only once "Use the lever sliders" is ticked, and then to
the government chosen in the Government select (a Five Eyes code, the US by default); the NTIB and adaptation
selects override the scenario only when set to something other than "scenario". Every setting becomes an ordinary
`--set` override through model.policy.knobs, so what the page runs is reproducible with `ntib run`. The compared
scenario runs as shipped, with the same seed, years and firm scale.

The sidebar is the page's own, not SolaraViz's: it shows every control's value, takes a file, and groups the
controls; Mesa's ModelController still steps, plays and resets the model.
"""

import base64
import binascii
import functools
import math
import numbers
from typing import Any, override

import solara
from mesa.visualization.solara_viz import ModelController

from model.common.countries import FIVE_EYES
from model.common.errors import InputError, collected_warnings, warn
from model.common.validation import MAX_TOML_BYTES, shown
from model.policy.knobs import ADAPTATION_MODES, adaptation_overrides, knob_overrides
from model.policy.scenario import UPLOAD_NAME, load_scenario, load_uploaded_scenario, scenario_names
from model.simulation.model import DEFAULT_FIRM_SCALE, DEFAULT_SEED, NTIBModel
from model.ui.names import SCENARIO_NAMES, scenario_label
from model.ui.viz import Panels
from model.ui.widgets import FilePicker

SCENARIO_VALUE = "scenario"  # a select left here keeps what the scenario file says
NO_COMPARISON = "none"
NTIB_CHOICES = {"on": 1.0, "off": 0.0}
TITLE = "Five Eyes defence industrial base"


def lever_overrides(levers: bool, government: str, preference_margin: float, tariff: float, export_friction: float,
                    ntib_treatment: str, adaptation: str) -> list[str]:
    """The sidebar's lever settings as `--set` assignments (empty when every lever is left to the scenario). The
    three sliders set `government`'s levers through the knobs the sweeps use (for the US, the same assignments)."""
    out: list[str] = []
    if levers:
        for name, value in (("us_preference", preference_margin), ("tariff_level", tariff),
                            ("export_friction", export_friction)):
            out += knob_overrides(name, value, government)
    if ntib_treatment != SCENARIO_VALUE:
        out += knob_overrides("ntib_treatment", NTIB_CHOICES[ntib_treatment])
    if adaptation != SCENARIO_VALUE:
        out += adaptation_overrides(adaptation)
    return out


class ExploreModel(NTIBModel):
    """NTIBModel built from the sidebar's keyword arguments, as Mesa's Reset passes them. The scenario comes in as
    `scenario_name`, or as an uploaded file's bytes and name (`scenario_file`, `scenario_file_name`), which win
    over the name; `compare_with` names a shipped scenario to run beside it (`companion`), stepped with it.

    The values come from the browser, which can send anything (a server path as the scenario, a firm scale past
    the slider): each is checked against its control (`refusal`), and an upload is read as a file from a user not
    on this machine. A refused setting builds nothing from what was sent: the page's defaults are loaded instead,
    and `refused` says why in one line, shown above the charts. Warnings of loading are kept in `notes`."""

    def __init__(self, scenario_name: str = "status_quo", seed: int = DEFAULT_SEED, years: int = 20,
                 firm_scale: float = DEFAULT_FIRM_SCALE, levers: bool = False, government: str = "USA",
                 preference_margin: float = 0.5, tariff: float = 0.1, export_friction: float = 0.4,
                 ntib_treatment: str = SCENARIO_VALUE, adaptation: str = SCENARIO_VALUE,
                 compare_with: str = NO_COMPARISON, scenario_file: bytes = b"", scenario_file_name: str = "") -> None:
        self.settings: dict[str, Any] = {
            "scenario_name": scenario_name, "seed": seed, "years": years, "firm_scale": firm_scale, "levers": levers,
            "government": government, "preference_margin": preference_margin, "tariff": tariff,
            "export_friction": export_friction, "ntib_treatment": ntib_treatment, "adaptation": adaptation,
            "compare_with": compare_with, "scenario_file": scenario_file, "scenario_file_name": scenario_file_name}
        with collected_warnings() as notes:
            self.refused = refusal(self.settings)
            settings = DEFAULTS if self.refused else self.settings
            self.overrides = lever_overrides(*(settings[name] for name in (
                "levers", "government", "preference_margin", "tariff", "export_friction", "ntib_treatment",
                "adaptation")))
            scenario: Any = settings["scenario_name"]
            self.scenario_argument = scenario
            if settings["scenario_file"]:
                try:
                    scenario = load_uploaded_scenario(settings["scenario_file"], settings["scenario_file_name"],
                                                      self.overrides)
                    self.scenario_argument = settings["scenario_file_name"]
                except InputError as exc:
                    self.refused, settings, scenario = f"Scenario file: {exc}", DEFAULTS, DEFAULTS["scenario_name"]
                    self.overrides = []
            super().__init__(scenario, seed=settings["seed"], years=settings["years"],
                             firm_scale=settings["firm_scale"], overrides=self.overrides)
            self.companion = None if settings["compare_with"] == NO_COMPARISON else NTIBModel(
                settings["compare_with"], seed=settings["seed"], years=settings["years"],
                firm_scale=settings["firm_scale"])
        self.notes = list(dict.fromkeys(notes))
        if self.refused:
            warn(f"the page sent {self.refused}; its defaults were loaded")

    @override
    def step(self) -> None:
        """A quarter of this model and of the one it is compared with."""
        super().step()
        if self.companion is not None:
            self.companion.step()


def _slider(label: str, value: float, low: float, high: float, step: float) -> dict:
    return {"type": "SliderFloat", "label": label, "value": value, "min": low, "max": high, "step": step}


MODEL_PARAMS: dict[str, dict[str, Any]] = {
    "scenario_name": {"type": "Select", "label": "Scenario", "value": "status_quo", "values": scenario_names()},
    "seed": {"type": "SliderInt", "label": "Seed", "value": DEFAULT_SEED, "min": 1, "max": 100, "step": 1},
    "years": {"type": "SliderInt", "label": "Years", "value": 20, "min": 1, "max": 40, "step": 1},
    "firm_scale": _slider("Firm scale", DEFAULT_FIRM_SCALE, 0.004, 0.05, 0.002),
    "levers": {"type": "Checkbox", "label": "Use the lever sliders", "value": False},
    "government": {"type": "Select", "label": "Government", "value": "USA", "values": list(FIVE_EYES)},
    "preference_margin": _slider("Preference margin", 0.5, 0.0, 1.0, 0.05),
    "tariff": _slider("Tariff", 0.1, 0.0, 1.0, 0.05),
    "export_friction": _slider("Export friction", 0.4, 0.0, 1.0, 0.05),
    "ntib_treatment": {"type": "Select", "label": "NTIB treatment", "value": SCENARIO_VALUE,
                       "values": [SCENARIO_VALUE, *NTIB_CHOICES]},
    "adaptation": {"type": "Select", "label": "Adaptation", "value": SCENARIO_VALUE,
                   "values": [SCENARIO_VALUE, *ADAPTATION_MODES]},
    "compare_with": {"type": "Select", "label": "Compare with", "value": NO_COMPARISON,
                     "values": [NO_COMPARISON, *scenario_names()]},
    "scenario_file": {"type": "File", "label": "Scenario file", "value": b""},
    "scenario_file_name": {"type": "FileName", "label": "Scenario file name", "value": ""},
}


DEFAULTS: dict[str, Any] = {name: control["value"] for name, control in MODEL_PARAMS.items()}


def refusal(settings: dict[str, object]) -> str | None:
    """Why the server will not build a model from these sidebar values (None if it will): each must be one its
    control can give, a choice of a select, a whole or real number within a slider's range, true or false."""
    for name, value in settings.items():
        control = MODEL_PARAMS[name]
        label, kind = control["label"], control["type"]
        if kind == "Select" and (not isinstance(value, str) or value not in control["values"]):
            return f"{label} {shown(value)}; allowed: {', '.join(control['values'])}"
        if kind == "Checkbox" and not isinstance(value, bool):
            return f"{label} {shown(value)}; allowed: true or false"
        if kind == "File" and (not isinstance(value, bytes) or len(value) > MAX_TOML_BYTES):
            what = f"{len(value):,} bytes" if isinstance(value, bytes) else shown(value)
            return f"{label} {what}; allowed: the bytes of a TOML file of at most {MAX_TOML_BYTES:,} bytes"
        if kind == "FileName" and not (isinstance(value, str) and (value == "" or UPLOAD_NAME.fullmatch(value))):
            return f"{label} {shown(value)}; allowed: a name ending in .toml, of letters, digits, '_', '-' and '.'"
        if kind in ("SliderInt", "SliderFloat"):
            whole = kind == "SliderInt"
            if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) or not (
                    control["min"] <= value <= control["max"]) or (whole and not float(value).is_integer()):
                what = "a whole number" if whole else "a number"
                return f"{label} {shown(value)}; allowed: {what} from {control['min']} to {control['max']}"
    return None


GROUPS: dict[str, tuple[str, ...]] = {
    "Scenario": ("scenario_name", "seed", "years", "firm_scale"),
    "Levers": ("levers", "government", "preference_margin", "tariff", "export_friction", "ntib_treatment",
               "adaptation"),
    "Compare": ("compare_with",),
}


def value_text(name: str, value: object) -> str:
    """A slider's value as its label shows it, to the slider's step (0.05 -> two decimals)."""
    control = MODEL_PARAMS[name]
    if control["type"] == "SliderFloat" and isinstance(value, numbers.Real):
        decimals = max(0, -math.floor(math.log10(control["step"]) + 1e-9))
        return f"{value:.{decimals}f}"
    return str(value)


@functools.cache
def described(name: str) -> str:
    """A shipped scenario's human name and the description its file gives, to read under the select."""
    return f"{scenario_label(name)}: {load_scenario(name).description}"


def uploaded(chosen: dict) -> tuple[bytes, str]:
    """The bytes and name of a file the browser says it sent (base64 data): anything else reads as no bytes,
    under its name as sent, so that the model refuses it with the reason."""
    try:
        return base64.b64decode(chosen["data"], validate=True), str(chosen["name"])
    except (KeyError, TypeError, ValueError, binascii.Error):
        return b"", shown(chosen.get("name", ""))


@solara.component
def Control(name: str, parameters: solara.Reactive[dict[str, Any]]) -> None:
    """One sidebar control, its value always shown in its label."""
    control, value = MODEL_PARAMS[name], parameters.value[name]

    def set_value(new: object) -> None:
        parameters.value = {**parameters.value, name: new}

    kind, label = control["type"], control["label"]
    if kind in ("SliderInt", "SliderFloat"):
        slider = solara.SliderInt if kind == "SliderInt" else solara.SliderFloat
        slider(f"{label}: {value_text(name, value)}", value=value, min=control["min"], max=control["max"],
               step=control["step"], on_value=set_value)
    elif kind == "Select":
        solara.Select(label, value=value, values=control["values"], on_value=set_value)
    elif kind == "Checkbox":
        solara.Checkbox(label=label, value=value, on_value=set_value)


@solara.component
def Upload(parameters: solara.Reactive[dict[str, Any]]) -> None:
    """A scenario file from the user's machine: used instead of the Scenario select from the next Reset."""
    name = parameters.value["scenario_file_name"]

    def take(chosen: dict) -> None:
        if chosen:
            data, file_name = uploaded(chosen)
            parameters.value = {**parameters.value, "scenario_file": data, "scenario_file_name": file_name}

    def clear() -> None:
        parameters.value = {**parameters.value, "scenario_file": b"", "scenario_file_name": ""}

    FilePicker.element(label="Or a scenario file (.toml) of your own:", limit=MAX_TOML_BYTES, on_chosen=take)
    if name:
        solara.Text(f"Using {name}, not the Scenario select", style={"font-size": "0.85em"})
        solara.Button("Use the Scenario select", on_click=clear, text=True, small=True)


@solara.component
def Sidebar(model: solara.Reactive[ExploreModel], parameters: solara.Reactive[dict[str, Any]]) -> None:
    """Run controls (Mesa's), then the settings by group; settings apply at the next Reset, and the sidebar says
    which have changed since."""
    play_interval, render_interval = solara.use_reactive(100), solara.use_reactive(1)
    threads = solara.use_reactive(False)  # Mesa's controller reads `.value` of it, so a plain False fails
    with solara.Card("Run", margin=0):
        ModelController(model, model_parameters=parameters, play_interval=play_interval,
                        render_interval=render_interval, use_threads=threads)
        solara.SliderInt(f"Play interval: {play_interval.value} ms", value=play_interval, min=0, max=500, step=10)
        solara.SliderInt(f"Quarters per redraw: {render_interval.value}", value=render_interval, min=1, max=20)
        changed = [MODEL_PARAMS[name]["label"] for name, value in parameters.value.items()
                   if model.value.settings.get(name) != value and name != "scenario_file"]
        if changed:
            solara.Text(f"Changed since the last Reset: {', '.join(changed)}. Press Reset to apply.",
                        style={"font-size": "0.85em", "color": "#e65100"})
    for group, names in GROUPS.items():
        with solara.Card(group, margin=0):
            for name in names:
                Control(name, parameters)
                if name in ("scenario_name", "compare_with") and parameters.value[name] in SCENARIO_NAMES:
                    solara.Text(described(parameters.value[name]), style={"font-size": "0.8em"})
            if group == "Scenario":
                Upload(parameters)


@solara.component
def Page() -> None:
    """One model per browser session: a module-level instance would be shared, and stepped, by every open tab."""
    model: solara.Reactive[ExploreModel] = solara.use_reactive(solara.use_memo(ExploreModel, dependencies=[]))
    parameters = solara.use_reactive(dict(DEFAULTS))
    solara.Title(TITLE)
    with solara.AppBar():
        solara.AppBarTitle(TITLE)
        solara.lab.ThemeToggle()
    with solara.Sidebar(), solara.Column(gap="8px"):
        Sidebar(model, parameters)
    Panels(model.value)
