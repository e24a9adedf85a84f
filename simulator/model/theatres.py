"""Theatre dynamics: pure numpy functions, no Mesa.

Three theatres are model state, each an array of shape (replicates,):
the Ukraine front (Russia's progress toward its war aims), Middle East
escalation (with the Hormuz energy disruption it causes) and Korean tension.
"""

from __future__ import annotations

import numpy as np


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def front_step(front, russia_input, ukraine_input, rate, noise, z):
    """Russia's progress moves with the balance of what each side gets, plus noise."""
    return np.clip(front + rate * (russia_input - ukraine_input) + noise * z, 0.0, 1.0)


def relax_step(level, target, rate, noise, z):
    """A level relaxes toward its driven target, plus noise (escalation, tension)."""
    return np.clip(level + rate * (target - level) + noise * z, 0.0, 1.0)


def hormuz_disruption(escalation, threshold, width):
    """Share of Hormuz flows disrupted: small below the threshold, near 1 well above it."""
    return sigmoid((escalation - threshold) / width)


def ema(previous, value, rate):
    return previous + rate * (value - previous)


def perceived_failure(shortfall, scale):
    """0.5 when a partner moves as fast as its aims require; toward 1 as it falls short.

    ``shortfall`` is the partner's smoothed momentum minus its ambition (the momentum it
    needs): for Russia a frozen line already reads as failing (Hadley, M26).
    """
    momentum = shortfall
    return sigmoid(-momentum / scale)
