"""Country and sector codes: the fixed axes of every array in the model, and the one definition of each
country subset the model, its outputs and its figures use."""

from typing import Final

import numpy as np

COUNTRIES: Final = ("USA", "GBR", "CAN", "AUS", "NZL", "EUR", "ROW")
FIVE_EYES: Final = ("USA", "GBR", "CAN", "AUS", "NZL")
ALLIES: Final = tuple(code for code in FIVE_EYES if code != "USA")  # the Five Eyes partners of the US
PRODUCERS: Final = tuple(code for code in COUNTRIES if code != "ROW")  # countries with firms; ROW only buys
SECTORS: Final = ("air", "land", "maritime", "munitions_missiles", "electronics_c4isr", "space_cyber")
TIERS: Final = ("prime", "supplier")

C: Final = {code: i for i, code in enumerate(COUNTRIES)}
S: Final = {name: i for i, name in enumerate(SECTORS)}
N_COUNTRIES: Final = len(COUNTRIES)
N_SECTORS: Final = len(SECTORS)
PRIME, SUPPLIER = 0, 1


def _mask(codes: tuple[str, ...]) -> np.ndarray:
    mask = np.array([code in codes for code in COUNTRIES])
    mask.flags.writeable = False  # shared by every model in the process
    return mask


FIVE_EYES_MASK: Final = _mask(FIVE_EYES)
PRODUCER_MASK: Final = _mask(PRODUCERS)


def pair_key(a: str, b: str) -> str:
    """Name an unordered country pair the way the outputs do: sorted ISO3 codes joined by '-'."""
    return "-".join(sorted((a, b)))
