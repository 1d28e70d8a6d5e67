"""Computation graphs drawn as SVG, with the value and gradient on every node."""
