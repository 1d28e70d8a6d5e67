"""The lessons' worked examples, written once: networks, inputs and expected numbers.

This module is the single place where the lessons' numbers are typed (see
``docs/lessons.md`` for the text a learner reads). ``GIVEN`` numbers are what
the original material prints, rounded to ``*_DECIMALS`` places; ``EXACT`` ones
are the float64 values (PyTorch's, to 1e-12). ``gradwalk examples``, the demo,
the notebooks and the tests read them from here; the tests also recompute
every number with torch float64, so a wrong number here fails a test.

Plain data only (no engine import): matrices are lists of rows, a row being
one neuron's weights.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["LESSON1", "LESSON2", "LESSON3", "Lesson1", "Lesson2", "Lesson3"]

Matrix = tuple[tuple[float, ...], ...]
Vector = tuple[float, ...]


@dataclass(frozen=True)
class Lesson1:
    """§1: a three-neuron ReLU network, one gradient step by hand.

    Hidden neuron i computes ``z_i = w_i1*x1 + w_i2*x2`` and ``a_i = relu(z_i)``
    (no biases); the output is ``y = relu(w1*a1 + w2*a2 + w3*a3)``; the loss is
    ``(y - Y)**2``.
    """

    title: str = "A three-neuron ReLU network, one gradient step by hand"
    inputs: Vector = (2.0, 3.0)
    target: float = 5.0
    #: Weight names in order; in ``w21`` the first index is the hidden neuron.
    weight_names: tuple[str, ...] = ("w11", "w12", "w21", "w22", "w31", "w32", "w1", "w2", "w3")
    weights: Vector = (1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 1.0, 0.0)
    lr: float = 0.001
    # given (whole numbers, exact)
    z: Vector = (2.0, 2.0, 0.0)
    a: Vector = (2.0, 2.0, 0.0)
    y: float = 4.0
    loss: float = 1.0
    dloss_dw11: float = -4.0
    #: ``w11 - lr * dloss/dw11``, given to ``w11_after_decimals`` places.
    w11_after: float = 1.004
    w11_after_decimals: int = 3
    #: Neuron 3 sits at relu's kink (z3 = 0): its weights' gradients are 0, as in PyTorch.
    dloss_dw3x: Vector = (0.0, 0.0)

    @property
    def weight(self) -> dict[str, float]:
        """``{name: initial value}`` of every weight."""
        return dict(zip(self.weight_names, self.weights, strict=True))


@dataclass(frozen=True)
class Lesson2:
    """§2: a 2-2-2 sigmoid network, one SGD step (the classic backprop walk-through).

    ``h = sigmoid(W1 @ x + b1)``, ``o = sigmoid(W2 @ h + b2)``,
    ``loss = sum((o - t)**2) / 2``, then ``p <- p - lr * grad`` for every parameter.
    """

    title: str = "A 2-2-2 sigmoid network, one SGD step"
    x: Vector = (0.05, 0.10)
    t: Vector = (0.01, 0.99)
    W1: Matrix = ((0.15, 0.20), (0.25, 0.30))
    b1: Vector = (0.35, 0.35)
    W2: Matrix = ((0.40, 0.45), (0.50, 0.55))
    b2: Vector = (0.60, 0.60)
    lr: float = 0.5
    decimals: int = 4
    h_exact: Vector = (0.5932699921071872, 0.596884378259767)
    o_given: Vector = (0.7514, 0.7729)
    o_exact: Vector = (0.7513650695523157, 0.7729284653214625)
    loss_given: float = 0.2984
    loss_exact: float = 0.2983711087600027
    #: Gradients of the matrices, row by row (flattened).
    dW1_given: Vector = (0.0004, 0.0009, 0.0005, 0.0010)  # noqa: N815 - the lesson's name
    dW1_exact: Vector = (  # noqa: N815 - the lesson's name
        0.0004385677344743465,
        0.000877135468948693,
        0.0004977127352608599,
        0.0009954254705217198,
    )
    dW2_given: Vector = (0.0822, 0.0827, -0.0226, -0.0227)  # noqa: N815 - the lesson's name
    dW2_exact: Vector = (  # noqa: N815 - the lesson's name
        0.08216704056423077,
        0.08266762784753325,
        -0.02260254047747507,
        -0.022740242215978222,
    )
    db1_exact: Vector = (0.00877135468948693, 0.009954254705217196)
    db2_exact: Vector = (0.13849856162855695, -0.038098236516556236)
    #: The parameters after one SGD step (matrices flattened row by row), given.
    W1_after: Vector = (0.1498, 0.1996, 0.2498, 0.2995)
    b1_after: Vector = (0.3456, 0.3450)
    W2_after: Vector = (0.3589, 0.4087, 0.5113, 0.5614)
    b2_after: Vector = (0.5308, 0.6190)


@dataclass(frozen=True)
class Lesson3:
    """§3: a forward pass through a deep sigmoid network, then softmax.

    Three sigmoid layers of two neurons: ``a_k = sigmoid(W_k @ a_{k-1} + b_k)``.
    """

    title: str = "A deep sigmoid network forward, then softmax"
    #: ``(W, b)`` of each layer.
    layers: tuple[tuple[Matrix, Vector], ...] = (
        (((1.0, -2.0), (-1.0, 1.0)), (1.0, 0.0)),
        (((2.0, -1.0), (-2.0, -1.0)), (0.0, 0.0)),
        (((3.0, -1.0), (-1.0, 4.0)), (-2.0, 2.0)),
    )
    decimals: int = 2
    inputs: Vector = (1.0, -1.0)
    #: The first layer's pre-activations for ``inputs`` (given, exact).
    z1: Vector = (4.0, -2.0)
    #: Every layer's outputs for ``inputs``: a1[1], a1[2], a2[1], a2[2], a3[1], a3[2].
    outputs_given: Vector = (0.98, 0.12, 0.86, 0.11, 0.62, 0.83)
    outputs_exact: Vector = (
        0.9820137900379085,
        0.11920292202211755,
        0.8635183126781821,
        0.11073744383822465,
        0.6177047777553412,
        0.8291239841574399,
    )
    inputs_zero: Vector = (0.0, 0.0)
    outputs_zero_given: Vector = (0.73, 0.50, 0.72, 0.12, 0.51, 0.85)
    logits: Vector = (3.0, 1.0, -3.0)
    exp_given: Vector = (20.09, 2.72, 0.05)
    softmax_given: Vector = (0.88, 0.12, 0.00)
    softmax_exact: Vector = (0.878878242732151, 0.11894323591065209, 0.0021785213571970234)
    #: Notes for the reader; not numbers.
    notes: tuple[str, ...] = field(
        default=(
            "with sigmoid outputs the two outputs are independent probabilities",
            "softmax outputs sum to 1",
        )
    )


LESSON1 = Lesson1()
LESSON2 = Lesson2()
LESSON3 = Lesson3()
