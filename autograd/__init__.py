"""A scalar autograd engine with PyTorch float64 semantics, built for learning backprop.

>>> from autograd import Value
>>> a = Value(2.0, label="a"); b = Value(-3.0, label="b")
>>> c = (a * b + a ** 2).tanh(); c.backward()
>>> round(a.grad, 4), round(b.grad, 4)
(0.0707, 0.1413)

Reading order. The engine is small enough to read in an afternoon; read it
in this order, which is also the order in which its modules import each other
(lines of code in brackets; the README gives the full counts):

1. ``ops.py`` (121): the op table. Each op is a forward with torch semantics,
   and one derivative rule per operand, written as the derivative.
2. ``value.py`` (116): ``Value``, its fields, and node creation (``apply``).
3. ``backward.py`` (60): the walk, and the loop that passes each node's
   gradient on to its parents.

Chapters 1-3 are the whole of backprop (297 lines of code) and import
nothing of the engine but each other and private modules below them:
``_math.py`` (floats with torch's semantics), ``_exact.py`` (local gradients
that apply themselves as torch does) and ``_views.py`` (declarations, for type
checkers, of the properties ``viewing.py`` adds to ``Value``). The optional
chapters:

4. ``exact.py``: how a local gradient is applied so results are torch's bits.
5. ``fused.py``: ``dense``, a whole neuron as one node (the speed).
6. ``higher.py``: ``grad`` and ``create_graph`` (second derivatives).
7. ``modes.py``: ``no_grad``, ``detect_anomaly``, ``gc_paused``.
8. ``serial.py``: copies and pickles at any depth.
9. ``tracing.py`` and ``codegen.py``: ``trace``, a function's forward and
   backward pass recorded once and written out as straight-line Python (one
   ``g_x += g_out * local`` line per edge) that replays with ``backward()``'s
   bits; ``traced_fit.py`` runs ``fit``'s steps on it.

Beside them, never imported by chapters 1-3: ``viewing.py`` (what the players
read: ``Edge``, ``inputs``, ``backward_steps``...), ``userops.py``
(``Op.unary``), ``lecture.py`` (the micrograd lecture's ``_prev``, ``_op``,
``_backward``). Then ``nn.py`` (Neuron, Layer, MLP), ``functional.py``
(losses), ``optim.py`` (SGD, Adam), ``train.py`` (``fit``) build on the engine.
"""

from . import lecture, serial, userops  # noqa: F401 - they add to Value and Op
from .fused import dense
from .gradcheck import GradcheckError, gradcheck
from .higher import grad
from .modes import (
    AnomalyError,
    detect_anomaly,
    gc_paused,
    is_anomaly_enabled,
    is_grad_enabled,
    no_grad,
)
from .ops import Op
from .tracing import Trace, TraceError, code_of, trace
from .value import Value
from .viewing import Edge, backward_steps, topological_order

__all__ = [
    "AnomalyError",
    "Edge",
    "GradcheckError",
    "Op",
    "Trace",
    "TraceError",
    "Value",
    "backward_steps",
    "code_of",
    "dense",
    "detect_anomaly",
    "gc_paused",
    "grad",
    "gradcheck",
    "is_anomaly_enabled",
    "is_grad_enabled",
    "no_grad",
    "topological_order",
    "trace",
]


def __getattr__(name: str) -> str:
    if name == "__version__":  # one version: the installed distribution's metadata
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("gradwalk")
        except PackageNotFoundError:  # a source tree that was never installed
            return "0+unknown"
    raise AttributeError(f"module 'autograd' has no attribute {name!r}")


#: Marks this package as the gradwalk engine (another project also installs a package named
#: ``autograd``; the ``gradwalk`` command checks for this before it starts).
__gradwalk_engine__ = True
