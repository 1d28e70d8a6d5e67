"""Computation graphs drawn as SVG, with the value and gradient on every node.

>>> from autograd import Value
>>> from viz import draw_dot
>>> a = Value(2.0, label="a"); b = Value(-3.0, label="b")
>>> c = (a * b + a**2).tanh(); c.backward()
>>> draw_dot(c).save("graph.svg")  # doctest: +SKIP

Rendering happens in-process with pygraphviz (``pip install 'gradwalk[viz]'``);
no system Graphviz is needed.
"""

import autograd as _autograd

if not getattr(_autograd, "__gradwalk_engine__", False):
    raise ImportError(
        "'autograd' is another package of that name "
        f"(from {getattr(_autograd, '__file__', None)}), probably HIPS autograd installed over "
        "gradwalk's engine; uninstall it (pip uninstall autograd), then "
        "reinstall gradwalk over it (pip install --force-reinstall --no-deps with the gradwalk "
        "wheel you installed, or -e . in a checkout), or keep each in a venv of its own",
        name="viz",
    )

from .graph import (
    COLLAPSE_MODES,
    COLOR_MODES,
    RANKDIRS,
    Drawing,
    VizWarning,
    draw_dot,
    format_number,
)
from .live import LiveRecorder, LiveView, live_view, save_replay
from .player import BackwardPlayer, EdgeStep, Frame, backward_frames, backward_player

__all__ = [
    "COLLAPSE_MODES",
    "COLOR_MODES",
    "RANKDIRS",
    "BackwardPlayer",
    "Drawing",
    "EdgeStep",
    "Frame",
    "VizWarning",
    "backward_frames",
    "backward_player",
    "draw_dot",
    "format_number",
    "LiveRecorder",
    "LiveView",
    "live_view",
    "save_replay",
]
#: Marks this package as gradwalk's graphs (the package index has another ``viz``; the
#: ``gradwalk`` command checks for this before it starts).
__gradwalk_viz__ = True
