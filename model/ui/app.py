"""The interactive page: `ntib viz` (which runs `solara run model.ui.app`). Pick a scenario, move the levers,
press Reset to rebuild the model from them, then Step or play and watch integration emerge.

By default the page runs the plain scenario for 20 years (the Years slider sets the run length): the three lever
sliders (preference margin, tariff, export friction) apply only once "Use the lever sliders" is ticked, and then to
the government chosen in the Government select (a Five Eyes code, the US by default); the NTIB and adaptation
selects override the scenario only when set to something other than "scenario". Every setting becomes an ordinary
`--set` override through model.policy.knobs, so what the page runs is reproducible with `ntib run`.
"""

import math
import numbers
from typing import Any

import solara
from mesa.visualization import SolaraViz

from model.common.countries import FIVE_EYES
from model.common.errors import warn
from model.common.validation import shown
from model.policy.knobs import ADAPTATION_MODES, adaptation_overrides, knob_overrides
from model.policy.scenario import scenario_names
from model.simulation.model import DEFAULT_FIRM_SCALE, DEFAULT_SEED, NTIBModel
from model.ui.viz import PANELS

SCENARIO_VALUE = "scenario"  # a select left here keeps what the scenario file says
NTIB_CHOICES = {"on": 1.0, "off": 0.0}


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
    """NTIBModel built from the sidebar's keyword arguments, as SolaraViz's Reset passes them. The scenario comes
    in as `scenario_name`: Reset would replace an argument called `scenario` with a Mesa Scenario object.

    The values come from the browser, which can send anything (a server path as the scenario, a firm scale past
    the slider): each is checked against its control (`refusal`). A refused setting builds nothing from what was
    sent: the page's defaults are loaded instead, and `refused` says why in one line, shown above the charts."""

    def __init__(self, scenario_name: str = "status_quo", seed: int = DEFAULT_SEED, years: int = 20,
                 firm_scale: float = DEFAULT_FIRM_SCALE, levers: bool = False, government: str = "USA",
                 preference_margin: float = 0.5, tariff: float = 0.1, export_friction: float = 0.4,
                 ntib_treatment: str = SCENARIO_VALUE, adaptation: str = SCENARIO_VALUE) -> None:
        sent: dict[str, Any] = {
            "scenario_name": scenario_name, "seed": seed, "years": years, "firm_scale": firm_scale, "levers": levers,
            "government": government, "preference_margin": preference_margin, "tariff": tariff,
            "export_friction": export_friction, "ntib_treatment": ntib_treatment, "adaptation": adaptation}
        self.refused = refusal(sent)
        settings = DEFAULTS if self.refused else sent
        if self.refused:
            warn(f"the page sent {self.refused}; its defaults were loaded")
        self.overrides = lever_overrides(*(settings[name] for name in (
            "levers", "government", "preference_margin", "tariff", "export_friction", "ntib_treatment",
            "adaptation")))
        super().__init__(settings["scenario_name"], seed=settings["seed"], years=settings["years"],
                         firm_scale=settings["firm_scale"], overrides=self.overrides)


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
        if kind in ("SliderInt", "SliderFloat"):
            whole = kind == "SliderInt"
            if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) or not (
                    control["min"] <= value <= control["max"]) or (whole and not float(value).is_integer()):
                what = "a whole number" if whole else "a number"
                return f"{label} {shown(value)}; allowed: {what} from {control['min']} to {control['max']}"
    return None


@solara.component
def Page() -> None:
    """One model per browser session: a module-level instance would be shared, and stepped, by every open tab."""
    model = solara.use_memo(ExploreModel, dependencies=[])
    SolaraViz(model, components=PANELS, model_params=MODEL_PARAMS, name="Five Eyes defence industrial base")
