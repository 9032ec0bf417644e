"""Layer 3, the rules of the game: behavioural parameters with their priors and the calibrated posterior, the
table of protectionism levers and the `Policy` built from it, how governments adapt their policies, scenario
files, the rules compiled into buyer x partner matrices for the market, and the knobs that sweeps and the page
move.

May import `model.common` and `model.data`; nothing here knows about firms or the model.
"""
