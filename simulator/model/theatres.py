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


def driven_target(drive, risk_tolerance, capability, deterrence, damping, coupling, others_change):
    """Where a regional theatre's level is driven: the belligerent's drive x risk tolerance x
    capability, of which full deterrence removes the share ``damping``, plus the spill-over of
    the *other* theatres (``coupling`` x how far they have moved since month 0, summed)."""
    return drive * risk_tolerance * capability * (1 - damping * deterrence) + coupling * others_change


def capability_step(capability, rate, revenue, attrition, deterrence, escalation):
    """Iran's capability: grows with the revenue and help it gets, worn down by strikes
    (attrition x deterrence x escalation)."""
    return np.clip(capability + rate * (revenue - attrition * deterrence * escalation), 0.0, 1.0)


def enforcement_step(top_rung, redline, months_over, months_under, active, lag):
    """Broad secondary sanctions: switched on once the top rung China gives any partner has
    been at or above the redline for more than ``lag`` months, off again once it has been
    below it for more than ``lag`` months.  Returns (active, months_over, months_under)."""
    over = top_rung >= redline
    months_over = np.where(over, months_over + 1, 0)
    months_under = np.where(over, 0, months_under + 1)
    active = (active | (months_over > lag)) & ~(months_under > lag)
    return active, months_over, months_under


def sanctions_hit(exposure, west_dep, intensity, visibility_at_rung, broad_active, broad_intensity):
    """China's monthly sanctions cost: exposure x coalition dependency x the larger of the
    targeted sanctions its rung is visible to and broad sanctions in force."""
    return exposure * west_dep * np.maximum(intensity * visibility_at_rung, broad_active * broad_intensity)


def perceived_failure(shortfall, scale, gained, position_scale):
    """0.5 when a partner holds its November 2024 position and moves as fast as its aims
    require; toward 1 as it falls short or loses ground, toward 0 as it advances or wins.

    ``shortfall`` is the partner's smoothed momentum minus its ambition (the momentum it
    needs): for Russia a frozen line already reads as failing (Hadley, M26).  ``gained`` is
    its position now minus at month 0 (the front; a partner's capability): a Russia that has
    won reads as succeeding although its front no longer moves, one that collapses as failing
    although its losses have stopped (Hadley, F14: success is achieving the war aims).
    """
    return sigmoid(-(shortfall / scale + gained / position_scale))
