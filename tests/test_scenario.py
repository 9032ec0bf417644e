"""Scenario files and --set overrides: the shipped files load, and every kind of mistake is refused clearly."""

import numpy as np
import pytest

from model.common.countries import C, S
from model.common.errors import InputError
from model.policy.knobs import knob_overrides
from model.policy.scenario import inline_toml, load_scenario, parse_set, scenario_names

SHIPPED = {"status_quo", "pre_2025", "full_ntib", "america_first", "aukus_only", "allied_hedging",
           "ntib_expansion", "demand_surge"}


def test_all_named_scenarios_ship_and_load():
    assert set(scenario_names()) >= SHIPPED
    for name in scenario_names():
        spec = load_scenario(name)
        assert spec.name == name and spec.description


def test_status_quo_carries_the_brief_values():
    spec = load_scenario("status_quo")
    usa = spec.policies["USA"]
    assert usa.preference_margin[C["NZL"]] == 0.5
    assert usa.qualifying[C["GBR"]] and usa.qualifying[C["CAN"]] and usa.qualifying[C["AUS"]]
    assert not usa.qualifying[C["NZL"]]
    assert usa.content_min == 0.65
    assert spec.schedules["USA"] == [(16, {"content_min": 0.75})]  # 2029Q1 is quarter 16
    assert usa.tariff_end_items[C["CAN"]] == 0.35 and usa.tariff_metals[C["GBR"]] == 0.25
    assert spec.policies["CAN"].offset_rate == 1.0
    assert usa.sovereign_sectors[S["maritime"]]


def test_extends_merges_tables_and_keeps_the_rest():
    full = load_scenario("full_ntib")
    usa = full.policies["USA"]
    assert usa.ntib_treatment and usa.tariff_end_items[C["CAN"]] == 0.0
    assert usa.tariff_end_items[C["EUR"]] == 0.20  # inherited from status_quo
    assert usa.preference_margin[C["NZL"]] == 0.5  # inherited; NZL is now qualifying instead


def test_set_overrides_levers_params_and_partners():
    spec = load_scenario("status_quo", ["USA.preference_margin=0.2", "USA.tariff_end_items.CAN=0",
                                        "params.home_bias=0.1", "CAN.adaptation.mode=reciprocal",
                                        'alliance.ntib_members=["USA","CAN"]'])
    usa = spec.policies["USA"]
    assert np.allclose(usa.preference_margin, 0.2)
    assert usa.tariff_end_items[C["CAN"]] == 0.0 and usa.tariff_end_items[C["GBR"]] == 0.10
    assert spec.params.home_bias == 0.1
    assert spec.policies["CAN"].adaptation.mode == "reciprocal"
    assert spec.policies["CAN"].adaptation.settings["lag"] == 2
    assert spec.ntib_members.sum() == 2


@pytest.mark.parametrize(("text", "expected"), [("0.5", 0.5), ("true", True), ("[1, 2]", [1, 2]),
                                            ("reciprocal", "reciprocal"), ('"x y"', "x y")])
def test_parse_set_values(text, expected):
    assert parse_set(f"a.b={text}") == (["a", "b"], expected)


@pytest.mark.parametrize("value", [0.1, np.float64(1 / 3), 1e-05, 38, np.int64(4), True, np.bool_(False), 'say "x"',
                                   ["GBR", 1.5], [{"at": 2029, "content_min": 0.75, "licence_days": {"GBR": 30}}], []])
def test_inline_toml_reads_back_as_the_same_value(value):
    _, parsed = parse_set(f"a.b={inline_toml(value)}")
    assert parsed == value and type(parsed) is type(value.item() if isinstance(value, np.generic) else value)


BAD_FILES = {
    "unknown top key": ("[USAA]\ncontent_min = 0.5\n", "unknown key 'USAA'"),
    "unknown lever": ("[USA]\nbuy_american = 0.5\n", "unknown lever 'buy_american'"),
    "out of range": ("[USA]\ncontent_min = 1.5\n", "USA.content_min: 1.5 is out of range"),
    "wrong type": ("[USA]\ncontent_min = \"high\"\n", "expected a number"),
    "unknown partner": ("[USA]\ntariff_end_items = { FRA = 0.1 }\n", "unknown country 'FRA'"),
    "unknown sector": ("[USA]\nsovereign_sectors = [\"naval\"]\n", "unknown name 'naval'"),
    "schedule before start": ("[[USA.schedule]]\nat = 2019\ncontent_min = 0.7\n", "outside the model's time"),
    "schedule bad date": ("[[USA.schedule]]\nat = \"2029-01\"\ncontent_min = 0.7\n", "expected a year"),
    "schedule without lever": ("[[USA.schedule]]\nat = 2030\n", "sets no lever"),
    "bad adaptation mode": ("[CAN]\nadaptation = { mode = \"angry\" }\n", "unknown mode"),
    "bad adaptation key": ("[CAN]\nadaptation = { mode = \"reciprocal\", step = 1 }\n", "unknown setting"),
    "bad param": ("[params]\nmarkup = -1\n", "params.markup"),
    "unknown param": ("[params]\nmarkups = 0.1\n", "unknown key 'markups'"),
    "bad shock": ("[[shocks]]\nkind = \"war\"\nat = 2027\nfactor = 2\n", "kind"),
    "truncated": ("[USA\ncontent_min = 0.5\n", "not valid TOML"),
    "extends unknown": ("extends = \"nowhere\"\n", "not found"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_scenario_files_are_refused_with_file_and_key(tmp_path, case):
    text, fragment = BAD_FILES[case]
    path = tmp_path / "mine.toml"
    path.write_text(text)
    with pytest.raises(InputError) as err:
        load_scenario(str(path))
    message = str(err.value)
    assert fragment in message
    assert "\n" not in message
    if case != "extends unknown":
        assert str(path) in message


def test_extends_cycle_is_refused(tmp_path):
    (tmp_path / "a.toml").write_text(f'extends = "{tmp_path / "b.toml"}"\n')
    (tmp_path / "b.toml").write_text(f'extends = "{tmp_path / "a.toml"}"\n')
    with pytest.raises(InputError, match="cycle"):
        load_scenario(str(tmp_path / "a.toml"))


@pytest.mark.parametrize(("assignment", "fragment"), [
    ("USA.preference_margin", "expected KEY=VALUE"),
    ("USA..x=1", "bad key"),
    ("USA.content_min=2", "out of range"),
    ("USA.tariff_end_items.XYZ=0.1", "unknown country 'XYZ'"),
    ("params.nope=1", "unknown key 'nope'"),
    ("USA.content_min=@", "cannot read value"),
])
def test_bad_set_values_are_refused(assignment, fragment):
    with pytest.raises(InputError, match=fragment.replace("(", r"\(")):
        load_scenario("status_quo", [assignment])


def test_relative_extends_is_found_beside_the_extending_file(tmp_path, monkeypatch):
    (tmp_path / "base").mkdir()
    (tmp_path / "base" / "mine.toml").write_text('extends = "status_quo"\n[USA]\npreference_margin = 0.2\n')
    (tmp_path / "top.toml").write_text('extends = "base/mine.toml"\n[USA]\ncontent_min = 0.5\n')
    monkeypatch.chdir("/")
    spec = load_scenario(str(tmp_path / "top.toml"))
    assert spec.policies["USA"].preference_margin[1] == 0.2 and spec.policies["USA"].content_min == 0.5


@pytest.mark.parametrize("friction", [0.0, 0.5, 1.0])
def test_export_friction_knob_sets_the_allies_and_keeps_the_scenarios_other_destinations(friction):
    """The knob sets US exemptions and licence delays toward the four allies only (1 - x and 60 x days); the
    status quo's delays toward EUR and ROW (60 days) and its zero exemption there stay as they were."""
    spec = load_scenario("status_quo", knob_overrides("export_friction", friction))
    usa = spec.policies["USA"]
    allies = [C[c] for c in ("GBR", "CAN", "AUS", "NZL")]
    assert usa.licence_days[allies].tolist() == pytest.approx([60.0 * friction] * 4)
    assert usa.exempt[allies].tolist() == pytest.approx([1.0 - friction] * 4)
    assert usa.licence_days[[C["EUR"], C["ROW"]]].tolist() == [60.0, 60.0]
    assert usa.exempt[[C["EUR"], C["ROW"]]].tolist() == [0.0, 0.0]


def test_an_integer_of_hundreds_of_digits_is_refused_in_one_line():
    """A 400-digit max_tenders is out of range, said in one short line (before, converting it to a float
    raised OverflowError)."""
    huge = "1" + "0" * 400
    with pytest.raises(InputError, match=r"params.max_tenders = 1000.*\.\.\. is out of range; allowed: 1 to 200"):
        load_scenario("status_quo", [f"params.max_tenders={huge}"])


@pytest.mark.parametrize(("overrides", "fragment"), [
    (['alliance.ntib_members=["USA", "USA"]'], "lists a country twice"),
    (["alliance.ntib_members=[]"], "is empty"),
    (['alliance.ntib_members=["USA", "ROW"]'], "lists ROW"),
    (['USA.schedule=[{ at = 2030, content_min = 0.6 }, { at = "2030Q1", content_min = 0.7 }]'],
     "sets content_min at the same quarter as an earlier entry; the later entry wins"),
    (['shocks=[{ kind = "demand", at = 2026, factor = 2, countries = [] }]'], "shocks[0].countries is empty"),
    (['shocks=[{ kind = "supply", at = 2026, factor = 0.5, sectors = [] }]'], "shocks[0].sectors is empty"),
    (['shocks=[' + ", ".join(['{ kind = "demand", at = 2026, factor = 10 }'] * 3) + ']'],
     "shocks overlap in 2026Q1 and multiply demand for USA air by 1e+03, past the 10 one shock may give"),
    (['ROW.adaptation={ mode = "reciprocal" }'], "ROW is the rest of the world"),
])
def test_likely_mistakes_in_a_scenario_get_one_warning_line(capsys, overrides, fragment):
    load_scenario("status_quo", overrides, warn_unchanged=False)
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and fragment in err[0] and err[0].startswith("ntib: warning:")


def test_the_shipped_scenarios_load_without_a_warning(capsys):
    for name in scenario_names():
        load_scenario(name)
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize(("text", "fragment"), [
    ("", "sets nothing"), ("[USA]\n", "sets nothing"),
    ('extends = "status_quo"\n[USA]\nqualifying = ["USA", "GBR"]\n', "USA.qualifying names USA itself"),
    ('extends = "status_quo"\n[[CAN.schedule]]\nat = 2027\nlicence_days = { CAN = 30 }\n',
     "CAN.schedule[0].licence_days names CAN itself"),
])
def test_likely_mistakes_in_a_scenario_file_get_one_warning_line(tmp_path, capsys, text, fragment):
    path = tmp_path / "mine.toml"
    path.write_text(text)
    load_scenario(str(path))
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and fragment in err[0] and err[0].startswith("ntib: warning:")


def test_a_warning_of_the_file_is_said_once_with_many_overrides(capsys):
    """no_effect builds a scenario per --set to judge each; their warnings used to repeat once per build."""
    load_scenario("status_quo", ["alliance.ntib_members=[]", *(f"{c}.content_min=0.1" for c in ("GBR", "CAN"))])
    assert capsys.readouterr().err.count("is empty") == 1


def test_extends_appends_schedules_and_shocks(tmp_path):
    """A file that extends a scenario adds its [[X.schedule]] and [[shocks]] entries to the base's (they were
    replaced: the status quo's 2029 content step vanished from a file that scheduled something else)."""
    (tmp_path / "base.toml").write_text('extends = "status_quo"\n[[shocks]]\nkind = "demand"\nat = 2026\n'
                                        "factor = 2\n")
    (tmp_path / "top.toml").write_text('extends = "base.toml"\n[[USA.schedule]]\nat = 2031\nsafe_share = 0.5\n'
                                       '[[shocks]]\nkind = "supply"\nat = 2027\nfactor = 0.5\n')
    spec = load_scenario(str(tmp_path / "top.toml"))
    assert [(t, sorted(levers)) for t, levers in spec.schedules["USA"]] == [(16, ["content_min"]), (24, ["safe_share"])]
    assert [shock.kind for shock in spec.shocks] == ["demand", "supply"]


def test_set_on_a_table_merges_key_by_key_and_on_a_list_replaces():
    """--set USA={...} changes only the levers it names (it replaced the whole US table, dropping the status quo's
    tariffs); --set USA.schedule=[] still clears a schedule."""
    base, merged = load_scenario("status_quo"), load_scenario("status_quo", ["USA={ preference_margin = 0.2 }"])
    assert merged.policies["USA"].preference_margin[C["GBR"]] == 0.2
    assert (merged.policies["USA"].tariff_end_items == base.policies["USA"].tariff_end_items).all()
    assert merged.schedules["USA"] == base.schedules["USA"] != []
    assert load_scenario("status_quo", ["USA.schedule=[]"]).schedules["USA"] == []


def test_an_adaptation_is_replaced_whole_by_extends_and_by_set(tmp_path):
    """A mode's settings are not another mode's: a reciprocal adaptation with a response, set to industrial, must
    not keep the response (found by the full-range property test once --set merged tables)."""
    reciprocal = 'CAN.adaptation={ mode = "reciprocal", response = 0.3, probability = 0.5 }'
    spec = load_scenario("america_first", [reciprocal, 'CAN.adaptation={ mode = "industrial" }'])
    assert spec.policies["CAN"].adaptation.mode == "industrial"
    (tmp_path / "top.toml").write_text('extends = "america_first"\n[CAN]\nadaptation = { mode = "industrial" }\n')
    assert load_scenario(str(tmp_path / "top.toml")).policies["CAN"].adaptation.mode == "industrial"


def test_a_fractional_adaptation_lag_is_refused():
    with pytest.raises(InputError, match=r"CAN.adaptation.lag: 2.5 is not a whole number of quarters; allowed"):
        load_scenario("status_quo", ['CAN.adaptation={ mode = "reciprocal", lag = 2.5 }'])
    assert load_scenario("status_quo", ['CAN.adaptation={ mode = "reciprocal", lag = 3.0 }']).policies[
        "CAN"].adaptation.settings["lag"] == 3
