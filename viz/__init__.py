"""Computation graphs drawn as SVG, with the value and gradient on every node.

>>> from autograd import Value
>>> from viz import draw_dot
>>> a = Value(2.0, label="a"); b = Value(-3.0, label="b")
>>> c = (a * b + a**2).tanh(); c.backward()
>>> draw_dot(c).save("graph.svg")  # doctest: +SKIP

Rendering happens in-process with pygraphviz (``pip install 'gradwalk[viz]'``);
no system Graphviz is needed.
"""

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
