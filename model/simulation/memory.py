"""Whether a run's population can fit in memory, judged before it starts: a run that would die of a MemoryError
after minutes is refused at once, with the estimate and the limit."""

from __future__ import annotations

import os
from pathlib import Path

from model.common.errors import InputError

# Memory per row of the firm table at its largest, agents and a quarter's temporary arrays included: 894-931
# bytes measured (peak resident memory over rows, status_quo for a year at firm_scale 0.5 and 1), rounded up.
BYTES_PER_ROW = 1000
USABLE_SHARE = 0.8  # of the memory available when the run starts: the interpreter and libraries need the rest


def available_memory() -> int:
    """Bytes the system can give without swapping (Linux's MemAvailable), else the physical memory."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def check_fits(rows: int, where: str) -> None:
    """Refuse a run whose firm table may reach `rows` rows when that would not fit in memory."""
    need, limit = rows * BYTES_PER_ROW, int(available_memory() * USABLE_SHARE)
    if need > limit:
        raise InputError(f"{where}: the firm population may reach {rows:,} rows, about {need / 2**30:.1f} GB, "
                         f"beyond the {limit / 2**30:.1f} GB this machine can give a run; allowed: a smaller "
                         "firm_scale, fewer years or a lower params.entry_rate")
