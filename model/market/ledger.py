"""What changed hands: buyer x supplier flows, the money identity, and co-development counts.

Phases book into the current quarter; `close_quarter` files it into the run totals and a four-quarter
window, so the reporters stay pure functions of this state.
"""

from __future__ import annotations

import numpy as np

from model.common.countries import N_COUNTRIES, N_SECTORS
from model.common.errors import ConservationError
from model.common.quarters import quarter_label

WINDOW = 4
MONEY_TOLERANCE = 1e-9  # float rounding allowed on a money identity, relative to the money moved


def balanced(gap: float, moved: float) -> bool:
    """Whether a money identity's `gap` is rounding, relative to the money `moved` (budgets may compound to
    1e20 in a century of 100 % growth, so an absolute tolerance would not do)."""
    return abs(gap) <= MONEY_TOLERANCE * max(1.0, abs(moved))


class Ledger:
    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Forget everything (called once the spin-up quarters are over)."""
        shape = (N_COUNTRIES, N_COUNTRIES)
        self.q_flows = np.zeros(shape)  # all value (end items by value added + components), this quarter
        self.q_prime = np.zeros(shape)  # end-item awards, this quarter
        self.q_tenders = np.zeros(N_COUNTRIES)  # value put out to tender by each buyer
        self.q_capability = np.zeros(N_COUNTRIES)  # units x quality bought by each buyer
        self.q_ordered = np.zeros(N_SECTORS)  # end-item units ordered, by sector
        self.q_components = np.zeros(shape)  # components bought, prime's country x supplier's country (US$bn)
        self.components = np.zeros(shape)
        self.last_ordered = np.zeros(N_SECTORS)
        self.q_gov_paid = 0.0
        self.q_tariffs = 0.0
        self.q_licensing = 0.0  # export-licensing costs: compliance and delay, spent outside the model's firms
        self.q_offsets = 0.0
        self.flows = np.zeros(shape)
        self.prime_flows = np.zeros(shape)
        self.tenders = np.zeros(N_COUNTRIES)
        self.capability = np.zeros(N_COUNTRIES)
        self.recent_flows = np.zeros((WINDOW, *shape))
        self.recent_prime = np.zeros((WINDOW, *shape))
        self.recent_capability = np.zeros((WINDOW, N_COUNTRIES))
        self.gov_paid = 0.0
        self.firm_received = 0.0
        self.tariff_revenue = 0.0
        self.licensing_costs = 0.0
        self.offsets_discharged = 0.0
        self.last_gov_paid = 0.0
        self.last_firm_received = 0.0
        self.last_tariffs = 0.0
        self.last_licensing = 0.0
        # joint programmes by country pair (upper triangle), counted in real firms' programmes: a sampled
        # supplier's programme stands for as many as the suppliers the supplier represents
        self.codev_completed = np.zeros(shape)
        self.codev_started = np.zeros(shape)
        self.codev_denied = np.zeros(shape)
        self.quarters = 0
        self.t = 0

    def open_quarter(self, t: int) -> None:
        """Name the quarter the next bookings belong to (t < 0 in the spin-up), for the books' messages."""
        self.t = t

    def transfer(self, phase: str, paid: float, received: float, duties: float = 0.0, licensing: float = 0.0,
                 between_firms: float = 0.0) -> None:
        """Book one phase's money: governments `paid` = firms' net `received` + `duties` + `licensing`, where
        `between_firms` is what firms paid one another in the phase (the scale of its rounding).

        A phase whose own books do not balance, or that books negative duties or licensing costs, stops the run
        with a ConservationError naming the phase and the quarter: a silent wrong money figure is worse than none."""
        moved = max(abs(paid), abs(received), abs(duties), abs(licensing), abs(between_firms))
        if not (balanced(paid - received - duties - licensing, moved) and balanced(min(duties, 0.0), moved)
                and balanced(min(licensing, 0.0), moved)):
            raise self._breach(f", {phase} phase: money not conserved", paid, received, duties, licensing)
        self.q_gov_paid += paid
        self.q_tariffs += max(duties, 0.0)  # rounding below zero is no revenue
        self.q_licensing += max(licensing, 0.0)

    def _breach(self, what: str, paid: float, received: float, duties: float, licensing: float) -> ConservationError:
        """The one message of a breach of the books: the quarter, `what` broke, and the four sums."""
        return ConservationError(f"{quarter_label(self.t)}{what} (governments paid "
                                 f"{paid:.9g}, firms received {received:.9g}, duties {duties:.9g}, licensing "
                                 f"{licensing:.9g}, US$bn); a fault of the model, not of the input: please report "
                                 "it with the scenario, seed and --set flags")

    def close_quarter(self, firm_received: float) -> None:
        """File this quarter: run totals, the rolling window, and the money identity's three terms, after checking
        that what every firm received adds up to what the phases booked (a row booked twice or not at all)."""
        gap = self.q_gov_paid - firm_received - self.q_tariffs - self.q_licensing
        if not balanced(gap, self.q_gov_paid):
            raise self._breach(": money not conserved over the quarter", self.q_gov_paid, firm_received, self.q_tariffs,
                               self.q_licensing)
        slot = self.quarters % WINDOW
        self.recent_flows[slot] = self.q_flows
        self.recent_prime[slot] = self.q_prime
        self.recent_capability[slot] = self.q_capability
        self.flows += self.q_flows
        self.prime_flows += self.q_prime
        self.tenders += self.q_tenders
        self.capability += self.q_capability
        self.last_gov_paid, self.last_firm_received, self.last_tariffs, self.last_licensing = (
            self.q_gov_paid, firm_received, self.q_tariffs, self.q_licensing)
        self.last_ordered = self.q_ordered
        self.components += self.q_components
        self.gov_paid += self.q_gov_paid
        self.firm_received += firm_received
        self.tariff_revenue += self.q_tariffs
        self.licensing_costs += self.q_licensing
        self.offsets_discharged += self.q_offsets
        self.quarters += 1
        self.q_flows = np.zeros_like(self.q_flows)
        self.q_prime = np.zeros_like(self.q_prime)
        self.q_tenders = np.zeros(N_COUNTRIES)
        self.q_capability = np.zeros(N_COUNTRIES)
        self.q_ordered = np.zeros(N_SECTORS)
        self.q_components = np.zeros_like(self.q_components)
        self.q_gov_paid = self.q_tariffs = self.q_licensing = self.q_offsets = 0.0
