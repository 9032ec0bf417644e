"""Human names for what the outputs show, one table each for countries, shipped scenarios and outcomes, so that
every figure and readable table names a thing the same way (and none shows a column name such as
`unit_cost_index.GBR`)."""

from __future__ import annotations

COUNTRY_NAMES: dict[str, str] = {
    "USA": "United States", "GBR": "United Kingdom", "CAN": "Canada", "AUS": "Australia", "NZL": "New Zealand",
    "EUR": "Europe", "ROW": "rest of the world",
}

SCENARIO_NAMES: dict[str, str] = {
    "status_quo": "status quo (late 2025)", "pre_2025": "before the 2025 US tariffs", "full_ntib": "full NTIB",
    "aukus_only": "AUKUS only", "allied_hedging": "allies hedge toward Europe",
    "america_first": "America First escalation", "ntib_expansion": "NTIB extended to Europe",
    "demand_surge": "demand surge",
}

# An outcome's measure (its column name before the first dot) -> (name, unit); the run totals of `ntib run`
MEASURES: dict[str, tuple[str, str]] = {
    "integration_index": ("integration index", "share of Five Eyes procurement from other Five Eyes firms, run"),
    "flows": ("value bought", "US$bn over the run"),
    "prime_flows": ("end-item awards", "US$bn over the run"),
    "domestic_share": ("domestic share of awards", "share"),
    "foreign_share": ("foreign share of awards", "share"),
    "us_share": ("share of awards to US firms", "share"),
    "codev_denied": ("joint programmes denied", "programmes"),
    "tech": ("technology level", "mean quality, 2025 US = 1"),
    "unit_cost_index": ("unit-cost index", "cost of capability, 2025Q1 = 1"),
    "firms_active": ("active firms", "sampled firms"),
    "hhi": ("prime concentration (HHI)", "0-1"),
    "us_effective_primes": ("effective US primes per sector", "1 / HHI"),
    "capability_per_bn": ("capability per US$bn", "units x quality per US$bn"),
    "entries": ("firm entries", "sampled firms"),
    "exits": ("firm exits", "sampled firms"),
    "money": ("money", "US$bn over the run"),
    "codev": ("joint programmes", "programmes"),
}
MONEY = {"government_paid": "governments paid", "firms_received": "firms received", "tariff_revenue": "tariff revenue",
         "licensing_costs": "licensing costs", "offsets_discharged": "offsets discharged"}


def scenario_label(name: str) -> str:
    """A shipped scenario's human name; a user's scenario keeps the name its file gives it."""
    return SCENARIO_NAMES.get(name, name)


def _country(code: str) -> str:
    return COUNTRY_NAMES.get(code, code)


def outcome_label(column: str, unit: bool = False) -> str:
    """`foreign_share.CAN` -> 'foreign share of awards, Canada'; `flows.CAN.USA` -> 'value bought, Canada from
    United States'; `codev.CAN-USA` -> 'joint programmes, Canada-United States'; with `unit`, '(unit)' after."""
    measure, *parts = column.split(".")
    if measure not in MEASURES:
        return column.replace("_", " ")
    name, units = MEASURES[measure]
    if measure == "money" and parts:
        name, parts = MONEY.get(parts[0], parts[0].replace("_", " ")), []
    elif measure == "codev" and parts:
        parts = ["-".join(_country(code) for code in parts[0].split("-"))]
    elif len(parts) == 2:
        parts = [f"{_country(parts[0])} from {_country(parts[1])}"]
    else:
        parts = [_country(part) for part in parts]
    text = ", ".join([name, *parts])
    return f"{text} ({units})" if unit else text
