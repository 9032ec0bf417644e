"""The look shared by the report figures and the live page: one colour per producing country."""

from __future__ import annotations

from model.common.countries import PRODUCERS

COLOURS: dict[str, str] = dict(zip(PRODUCERS, ("#1f4e9c", "#c8102e", "#8e44ad", "#00843d", "#111111", "#f2a900"),
                                   strict=True))
