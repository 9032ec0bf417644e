"""The model's calendar: quarter 0 is 2025Q1, and a run lasts at most MAX_YEARS."""

from typing import Final

START_YEAR: Final = 2025
MAX_YEARS: Final = 100
DAYS_PER_QUARTER: Final = 91.0


def quarter_label(t: int) -> str:
    """'2025Q1' for t = 0; negative t are the spin-up quarters before the start date."""
    return f"{START_YEAR + t // 4}Q{t % 4 + 1}"
