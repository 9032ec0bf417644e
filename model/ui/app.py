"""The interactive page: `ntib viz` (which runs `solara run model.ui.app`). Pick a scenario, move the levers,
press Reset to rebuild the model from them, then Step or play and watch integration emerge.

By default the page runs the plain scenario: the three US lever sliders apply only once "Use the US lever sliders"
is ticked, and the NTIB and adaptation selects override the scenario only when set to something other than
"scenario". Every setting becomes an ordinary `--set` override through model.policy.knobs, so what the page runs is
reproducible with `ntib run`.
"""

import solara
from mesa.visualization import SolaraViz

from model.policy.knobs import ADAPTATION_MODES, adaptation_overrides, knob_overrides
from model.policy.scenario import scenario_names
from model.simulation.model import DEFAULT_FIRM_SCALE, DEFAULT_SEED, NTIBModel
from model.ui.viz import PANELS

SCENARIO_VALUE = "scenario"  # a select left here keeps what the scenario file says
NTIB_CHOICES = {"on": 1.0, "off": 0.0}


def lever_overrides(us_levers: bool, us_preference: float, tariff_level: float, export_friction: float,
                    ntib_treatment: str, adaptation: str) -> list[str]:
    """The sidebar's lever settings as `--set` assignments (empty when every lever is left to the scenario)."""
    out: list[str] = []
    if us_levers:
        for name, value in (("us_preference", us_preference), ("tariff_level", tariff_level),
                            ("export_friction", export_friction)):
            out += knob_overrides(name, value)
    if ntib_treatment != SCENARIO_VALUE:
        out += knob_overrides("ntib_treatment", NTIB_CHOICES[ntib_treatment])
    if adaptation != SCENARIO_VALUE:
        out += adaptation_overrides(adaptation)
    return out


class ExploreModel(NTIBModel):
    """NTIBModel built from the sidebar's keyword arguments, as SolaraViz's Reset passes them. The scenario comes
    in as `scenario_name`: Reset would replace an argument called `scenario` with a Mesa Scenario object."""

    def __init__(self, scenario_name: str = "status_quo", seed: int = DEFAULT_SEED, years: int = 20,
                 firm_scale: float = DEFAULT_FIRM_SCALE, us_levers: bool = False, us_preference: float = 0.5,
                 tariff_level: float = 0.1, export_friction: float = 0.4, ntib_treatment: str = SCENARIO_VALUE,
                 adaptation: str = SCENARIO_VALUE) -> None:
        self.overrides = lever_overrides(us_levers, us_preference, tariff_level, export_friction, ntib_treatment,
                                         adaptation)
        super().__init__(scenario_name, seed=seed, years=years, firm_scale=firm_scale, overrides=self.overrides)


def _slider(label: str, value: float, low: float, high: float, step: float) -> dict:
    return {"type": "SliderFloat", "label": label, "value": value, "min": low, "max": high, "step": step}


MODEL_PARAMS = {
    "scenario_name": {"type": "Select", "label": "Scenario", "value": "status_quo", "values": scenario_names()},
    "seed": {"type": "SliderInt", "label": "Seed", "value": DEFAULT_SEED, "min": 1, "max": 100, "step": 1},
    "years": 20,
    "firm_scale": _slider("Firm scale", DEFAULT_FIRM_SCALE, 0.004, 0.05, 0.002),
    "us_levers": {"type": "Checkbox", "label": "Use the US lever sliders", "value": False},
    "us_preference": _slider("US preference", 0.5, 0.0, 1.0, 0.05),
    "tariff_level": _slider("US tariff", 0.1, 0.0, 1.0, 0.05),
    "export_friction": _slider("Export friction", 0.4, 0.0, 1.0, 0.05),
    "ntib_treatment": {"type": "Select", "label": "NTIB treatment", "value": SCENARIO_VALUE,
                       "values": [SCENARIO_VALUE, *NTIB_CHOICES]},
    "adaptation": {"type": "Select", "label": "Adaptation", "value": SCENARIO_VALUE,
                   "values": [SCENARIO_VALUE, *ADAPTATION_MODES]},
}


@solara.component
def Page() -> None:
    """One model per browser session: a module-level instance would be shared, and stepped, by every open tab."""
    model = solara.use_memo(ExploreModel, dependencies=[])
    SolaraViz(model, components=PANELS, model_params=MODEL_PARAMS, name="Five Eyes defence industrial base")
