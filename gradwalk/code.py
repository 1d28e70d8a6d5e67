"""``gradwalk code``: an expression's forward and backward pass, printed as Python code."""

from __future__ import annotations

import argparse

from autograd import code_of

from .expr import parse, parse_assignments
from .text import printable

CODE_DESCRIPTION = """\
Parse EXPRESSION (as 'gradwalk render' does), give each variable its value
(NAME=VALUE), and print the code autograd.trace writes for it: the forward
pass, one line per operation, then the backward pass, one line per edge of
the graph (g_x += g_out * local, with the derivative as a comment). Then
the numbers that running it gives: the value and each variable's gradient.
"""

CODE_EPILOG = """\
examples:
  gradwalk code "tanh(a*b + a**2)" a=2 b=-3
  gradwalk code "sigmoid(x*w + b)" x=0.5 w=-1 b=0.2
"""


def cmd_code(args: argparse.Namespace) -> int:
    """Run ``gradwalk code`` with parsed ``args``; return the exit code."""
    expression = parse(args.expression)
    values = parse_assignments(args.values)
    out, leaves = expression.evaluate(values)
    shown = ", ".join(f"{n}={v!r}" for n, v in values.items())
    print(f"# {printable(expression.source)}" + (f" at {shown}" if shown else ""))
    print("# P: the variables as Values, in order of first use; seed: d(out)/d(out) = 1")
    print(code_of(out), end="")
    out.backward()
    print(f"# running it: value {out.data!r}")
    for name, leaf in leaves.items():
        print(f"#   g_{name} = {leaf.grad!r}")
    return 0
