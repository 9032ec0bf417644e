"""Layer 4, the market: firm state as typed arrays (`FirmTable`), the ledger of what changed hands, the bid
rule every tender and lot is judged by, and one module per market phase (procurement, sourcing, production,
innovation and co-development, entry and exit). Each phase is a function of plain arrays and can be tested on
a hand-built table of a few firms.

May import `model.common`, `model.data` and `model.policy`.
"""
