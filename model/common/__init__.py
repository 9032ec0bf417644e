"""Layer 1, common ground: the fixed axes of every array (countries, sectors, tiers and the country subsets),
the model's calendar, the one exception type for bad input and the one warning line, and the validators that
raise it.

Imports nothing from the rest of the package, so every other layer may import it.
"""
