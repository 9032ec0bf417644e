"""Layer 2, observed data: the sourced country figures (`countries.toml`, every number with its source and
confidence tag, written up in docs/sources.md) and their loader.

May import `model.common` only.
"""
