"""The page's own browser widgets, where Solara's do not fit: a live Vega-Lite chart that swaps only its data at
each step (live_chart.vue; Solara's VegaLite re-embeds the whole chart, after a 100 ms debounce, on every
change), and a file picker that a user can click or drop a file on (file_picker.vue; Solara's FileDrop takes
drops only)."""

from __future__ import annotations

import ipyvue
import traitlets


class LiveVegaLite(ipyvue.VueTemplate):
    """`spec`: a Vega-Lite specification on named data, set once per model and theme; `datasets`: its data, an
    object of rows by name, set at each step. Both are JSON text: as Python values, thousands of rows would be
    walked by the renderer looking for child elements and validated by traitlets on every step (0.2 s)."""

    template_file = (__file__, "live_chart.vue")
    spec = traitlets.Unicode("{}").tag(sync=True)
    datasets = traitlets.Unicode("{}").tag(sync=True)


class FilePicker(ipyvue.VueTemplate):
    """A file input; `chosen` is what the browser sent of the file picked: its `name` and at most `limit` + 1
    bytes of it as base64 `data`. Anything may arrive: the reader of `chosen` checks it."""

    template_file = (__file__, "file_picker.vue")
    label = traitlets.Unicode().tag(sync=True)
    accept = traitlets.Unicode(".toml").tag(sync=True)
    limit = traitlets.Int().tag(sync=True)
    chosen = traitlets.Dict().tag(sync=True)
