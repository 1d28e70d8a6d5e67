"""What the layers beside the core add to ``Value``, declared for type checkers.

``viewing.py`` (what the players read) attaches these properties to
:class:`~autograd.value.Value` when ``autograd`` is imported; the core never
imports it. This base class only tells a type checker, and a reader of
``value.py``, that they exist: it has no fields and no code that runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

__all__ = ["Views"]


class Views:
    """Declarations of ``Value``'s read-only views (their code is in ``viewing.py``)."""

    __slots__ = ()

    if TYPE_CHECKING:

        @property
        def op(self) -> str: ...

        @property
        def op_name(self) -> str: ...

        @property
        def is_leaf(self) -> bool: ...

        @property
        def inputs(self) -> tuple[Any, ...]: ...

        @property
        def parents(self) -> tuple[Any, ...]: ...

        @property
        def edges(self) -> list[Any]: ...

        @property
        def local_grads(self) -> list[tuple[Any, float]]: ...

        @property
        def dense_parts(self) -> tuple[Sequence[Any], tuple[Any, ...], Any] | None: ...
