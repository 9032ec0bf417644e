"""The model's mechanics: reproducibility, money conservation, registry consistency, schedules, outputs."""

import json
import re

import numpy as np
import pytest

from model import NTIBModel
from model.common.countries import COUNTRIES, C
from model.common.errors import InputError
from model.metrics.outcomes import run_summary
from model.policy.scenario import scenario_names
from model.simulation.agents import Firm
from model.simulation.model import DEFAULT_FIRM_SCALE

REQUIRED = {"scenario", "seed", "years", "integration_index", "flows", "prime_flows", "domestic_share",
            "foreign_share", "codev_pairs", "tech", "unit_cost_index", "firms_active", "hhi"}


def test_same_seed_same_json_different_seed_different_history():
    a = json.dumps(run_summary(NTIBModel(seed=7, years=5).run()))
    b = json.dumps(run_summary(NTIBModel(seed=7, years=5).run()))
    c = json.dumps(run_summary(NTIBModel(seed=8, years=5).run()))
    assert a == b
    assert a != c


def test_default_population_has_every_country_in_its_sectors():
    m = NTIBModel(years=1)
    f = m.firms
    assert 1000 <= f.n <= 2000
    for code in ("USA", "GBR", "CAN", "AUS", "NZL", "EUR"):
        mine = f.country == C[code]
        present = m.data.supplier_sectors[C[code]] | (m.data.primes[C[code]] > 0)
        assert set(np.unique(f.sector[mine])) == set(np.flatnonzero(present))
    assert not (f.country == C["ROW"]).any()


@pytest.mark.parametrize("scenario", scenario_names())
def test_money_is_conserved_every_quarter(scenario):
    m = NTIBModel(scenario, seed=3, years=4)
    paid = 0.0
    while m.running:
        m.step()
        led = m.ledger
        gap = led.last_gov_paid - led.last_firm_received - led.last_tariffs - led.last_licensing
        assert abs(gap) <= 1e-9 * max(1.0, led.last_gov_paid)
        paid += led.last_gov_paid
    assert paid > 0
    led = m.ledger
    assert abs(led.gov_paid - led.firm_received - led.tariff_revenue - led.licensing_costs) <= 1e-8 * led.gov_paid


def test_agent_registry_matches_the_firm_arrays_through_entry_and_exit():
    m = NTIBModel(seed=2, years=10).run()
    rows = {a.row for a in m.agents_by_type[Firm]}
    assert rows == set(np.flatnonzero(m.firms.active))
    assert m.entries > 0 and m.exits > 0
    some = next(iter(m.agents_by_type[Firm]))
    assert some.country in COUNTRIES and some.capacity == m.firms.capacity[some.row]


def test_schedule_raises_us_content_minimum_in_2029():
    m = NTIBModel(seed=1, years=5)
    usa = m.governments[C["USA"]]
    for _ in range(16):
        m.step()
    assert usa.policy.content_min == 0.65
    m.step()  # 2029Q1
    assert usa.policy.content_min == 0.75
    assert m.rules.content_min[C["USA"]] == 0.75


def test_state_stays_finite_and_shares_in_range():
    m = NTIBModel("america_first", seed=4, years=10).run()
    f = m.firms
    for column in ("quality", "unit_cost", "capacity", "backlog", "cash", "cum_output", "comp_price"):
        assert np.isfinite(getattr(f, column)).all(), column
    assert (f.capacity >= 0).all() and (f.backlog >= -1e-9).all() and (f.quality > 0).all()
    s = run_summary(m)
    for share in (*s["foreign_share"].values(), *s["domestic_share"].values(), s["integration_index"]):
        assert share is None or 0.0 <= share <= 1.0


def test_summary_has_the_promised_shape():
    s = run_summary(NTIBModel(seed=1, years=3).run())
    assert set(s) >= REQUIRED
    assert set(s["flows"]) == set(COUNTRIES) and "ROW" not in s["flows"]["USA"]
    assert all("-" in k and k.split("-") == sorted(k.split("-")) for k in s["codev_pairs"])
    fe_total = sum(s["prime_flows"]["USA"].values())
    assert fe_total > 0 and s["years"] == 3


def test_adaptive_governments_answer_a_tariff_shock():
    m = NTIBModel("status_quo", seed=1, years=3, overrides=["CAN.adaptation.mode=reciprocal",
                                                             "CAN.adaptation.probability=1"]).run()
    can = m.governments[C["CAN"]].policy
    assert can.tariff_end_items[C["USA"]] > 0.05  # Canada answered the US tariff on Canada
    assert can.tariff_end_items[C["GBR"]] == 0.0  # and left the UK alone


def test_every_phase_named_for_timing_runs_once_per_step():
    """NTIBModel.PHASES is the benchmark's timing hook: each name is a method that every quarter calls once."""
    m = NTIBModel("status_quo", seed=1, years=1)
    calls = dict.fromkeys(NTIBModel.PHASES, 0)

    def counted(name, method):
        def wrapper(*args, **kwargs):
            calls[name] += 1
            return method(*args, **kwargs)
        return wrapper

    for name in NTIBModel.PHASES:
        setattr(m, name, counted(name, getattr(m, name)))
    m.step()
    m.step()
    assert calls == dict.fromkeys(NTIBModel.PHASES, 2)


@pytest.mark.parametrize(("arguments", "message"), [
    ({"firm_scale": 0}, "firm_scale: expected a number above 0 up to 2.0"),
    ({"firm_scale": -1}, "firm_scale: expected a number above 0 up to 2.0"),
    ({"firm_scale": float("nan")}, "got nan"),
    ({"firm_scale": 50}, "got 50"),
    ({"firm_scale": None}, "got None"),
    ({"years": 0}, "years: 0 is out of range; allowed: 1 to 100"),
    ({"years": 1.5}, "years: expected a whole number from 1 to 100, got 1.5"),
    ({"years": "20"}, "years: expected a whole number"),
    ({"overrides": "USA.preference_margin=0.2"}, "overrides: expected a list of 'key=value' strings"),
])
def test_the_python_api_checks_its_arguments_like_the_cli(arguments, message):
    """Bad run arguments raise the project's one error type with a message naming the argument and what is
    allowed, before any firm is built (before, firm_scale 0 or -1 silently ran 129 firms)."""
    with pytest.raises(InputError, match=re.escape(message)):
        NTIBModel(**arguments)


def test_numpy_numbers_are_accepted_as_run_arguments():
    """Sweeps pass numpy scalars: a numpy integer run length and a numpy float scale are as good as Python's."""
    model = NTIBModel(years=np.int64(1), firm_scale=np.float64(DEFAULT_FIRM_SCALE))
    assert model.years == 1 and isinstance(model.years, int)


def test_a_population_that_would_not_fit_in_memory_is_refused_at_once(monkeypatch):
    """The firm table's row limit (start x (1 + 4 x (1 + entry_rate x quarters))) times the bytes a row needs is
    checked against the memory available before the run starts, not found by a MemoryError minutes in."""
    monkeypatch.setattr("model.simulation.memory.available_memory", lambda: 2**30)
    with pytest.raises(InputError, match=r"may reach [\d,]+ rows, about [\d.]+ GB, beyond the 0.8 GB this machine "
                                         r"can give a run; allowed: a smaller firm_scale, fewer years"):
        NTIBModel("status_quo", years=100, firm_scale=1.0, overrides=["params.entry_rate=0.05"])
    model = NTIBModel("status_quo", years=2, firm_scale=DEFAULT_FIRM_SCALE)
    assert model.limits.rows * 1000 < 2**30 * 0.8


def test_the_highest_entry_rate_for_a_century_stays_within_the_population_limits():
    """Regression: entry_rate 0.05 (its maximum) grew 1,544 firms to 2.54 million in 50 years and died of a
    MemoryError at 100; each group now stops at 4 x its start, and the table at its row limit."""
    model = NTIBModel("status_quo", years=100, firm_scale=0.002, overrides=["params.entry_rate=0.05"]).run()
    start = model.limits.group / 4
    group = (model.firms.tier.astype(int) * 6 + model.firms.sector) * len(COUNTRIES) + model.firms.country
    active = np.bincount(group, model.firms.active, minlength=len(start))
    assert (active <= 4 * start).all() and model.firms.n <= model.limits.rows
    assert model.ledger.gov_paid > 0


def test_unbalanced_books_stop_the_run_naming_the_phase_and_quarter():
    """The ledger checks each phase's transfer and each quarter's total: a breach is a ConservationError (one line, an
    InputError to every entry point), never a silent wrong number or a bare assertion."""
    from model.common.errors import ConservationError
    from model.market.ledger import Ledger
    ledger = Ledger()
    ledger.open_quarter(9)
    ledger.transfer("procurement", 100.0, 90.0, 6.0, 4.0)
    with pytest.raises(ConservationError, match=r"^2027Q2, sourcing phase: money not conserved \(governments paid 0, "):
        ledger.transfer("sourcing", 0.0, 1.0, 0.0, 0.0, between_firms=50.0)
    with pytest.raises(ConservationError, match=r"2027Q2, research phase: money not conserved"):
        ledger.transfer("research", 10.0, 10.0, -1.0, 1.0)  # negative duties
    with pytest.raises(ConservationError, match=r"^2027Q2: money not conserved over the quarter \(governments "
                                                r"paid 100, firms received 91"):
        ledger.close_quarter(91.0)
    ledger.close_quarter(90.0)
    assert ledger.gov_paid == 100.0 and ledger.tariff_revenue == 6.0


def test_a_shock_after_the_run_ends_is_warned_of_once(capsys):
    shock = ['shocks=[{ kind = "demand", at = 2040, factor = 2 }]']
    for _ in range(2):
        NTIBModel("status_quo", years=2, overrides=shock)
    err = capsys.readouterr().err.splitlines()
    assert err == ["ntib: warning: status_quo.toml (with --set): shocks[0] starts in 2040Q1, after the run's last "
                   "quarter (2026Q4), so it never happens"]
