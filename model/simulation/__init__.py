"""Layer 6, the model core: `NTIBModel` (a Mesa model whose `step` is one quarter through the phases) and its
Mesa agents (governments, and firms as thin views onto the firm table).

May import every layer below it: common, data, policy, market, metrics.
"""
