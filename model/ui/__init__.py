"""Layer 8, the interfaces: the `ntib` command, what the experiment scripts share, the demo, the figures and
their style, and the interactive Solara page.

May import every layer below it; nothing below imports it.
"""
