"""Country and sector codes: the fixed axes of every array in the model."""

from typing import Final

COUNTRIES: Final = ("USA", "GBR", "CAN", "AUS", "NZL", "EUR", "ROW")
FIVE_EYES: Final = ("USA", "GBR", "CAN", "AUS", "NZL")
SECTORS: Final = ("air", "land", "maritime", "munitions_missiles", "electronics_c4isr", "space_cyber")
TIERS: Final = ("prime", "supplier")

C: Final = {code: i for i, code in enumerate(COUNTRIES)}
S: Final = {name: i for i, name in enumerate(SECTORS)}
N_COUNTRIES: Final = len(COUNTRIES)
N_SECTORS: Final = len(SECTORS)
FE_MASK: Final = tuple(code in FIVE_EYES for code in COUNTRIES)
PRIME, SUPPLIER = 0, 1


def pair_key(a: str, b: str) -> str:
    """Name an unordered country pair the way the outputs do: sorted ISO3 codes joined by '-'."""
    return "-".join(sorted((a, b)))
