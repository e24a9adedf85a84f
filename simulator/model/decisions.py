"""Decision rules: pure numpy functions, no Mesa.

Every support decision in the model -- China's ladder to Russia, Iran and North
Korea, the partners' support to each other, South Korea's arms to Ukraine -- uses
the same rule: the expected utility of each rung of a five-rung support ladder is
a sum of NAMED terms (see :data:`TERMS`), and the choice is a logit (quantal
response) draw over the rungs.  Arrays have shape (replicates,) for drivers and
(replicates, rungs) for utilities.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .world import TERM_IDS

N_RUNGS = 5
RUNGS = np.arange(N_RUNGS)
COMMIT = RUNGS / (N_RUNGS - 1)          # commitment of each rung, 0 .. 1
#: A Western/regional policy's level at each rung, as a multiple of its November 2024 level:
#: rung 2 (the middle of the ladder) is that level, 0 stops, 4 doubles it.
POLICY_SCALE = RUNGS / (N_RUNGS // 2)

TERMS = TERM_IDS                         # declared once, in world.py


@dataclass
class LinkInputs:
    """What one state weighs when it sets its support to one partner (arrays (R,)).

    An input a decision does not have (a Western policy has no leaders' tie, no energy bought,
    no interdependence with the partner) may be None: a factor is then 1, an addend 0, and every
    term has the values the arrays of ones or zeros would give (a zero's sign aside, which no
    decision and no recorded sum sees); the decision only skips the arithmetic.  Inputs and
    weights are arrays of shape (R,) (some products are taken in place)."""

    alignment: np.ndarray | None    # strategic weight of this link (scales the gain); None: 1
    hostility: np.ndarray           # its hostility to the rival bloc (the common aim)
    leverage: np.ndarray | None     # interdependence: partner's dependency on it (leverage) + its own on the partner; None: 0
    energy: np.ndarray | None       # share of its crude bought from the partner (discounted energy); None: 0
    bond: np.ndarray | None         # leaders' personal tie; None: 0
    tie_floor: np.ndarray           # rung up to which the tie rewards support
    exposure: np.ndarray            # sanction exposure
    west_dep: np.ndarray | None     # dependency on the sanctioning coalition's markets; None: 1
    intensity: np.ndarray | None    # sanctions intensity in force (0..1); None: full (1), the cost not scaled
    threat: np.ndarray | None       # expected broad-sanctions jump at/after the redline (0..1); None: none
    redline: np.ndarray             # first rung that crosses the redline (5 = none)
    instability: np.ndarray         # instability it bears from the partner's theatres
    risk_tolerance: np.ndarray
    failure: np.ndarray             # perceived failure of the partner(s) ("axis of losers")
    prestige_stake: np.ndarray | None   # how much of its standing rides on its partners' success; None: 0
    cohesion: np.ndarray | None     # rival allies' cohesion (closing ranks); None: 0
    current: np.ndarray         # rung held last month (int)
    neutral: np.ndarray | None = None   # failure that is neither cost nor gain (None: the midpoint)
    need: np.ndarray | None = None      # how much the partner needs military help (its war, 0-1; None: fully)


@dataclass
class Weights:
    strategic_gain: np.ndarray
    leverage: np.ndarray
    energy: np.ndarray
    sanction_cost: np.ndarray
    instability_cost: np.ndarray
    prestige_cost: np.ndarray
    allies_cost: np.ndarray
    tie: np.ndarray


def profiles(gain_curvature: np.ndarray, visibility_curvature: np.ndarray):
    """Per-rung gain (concave) and sanction visibility (convex), shape (R, rungs)."""
    base = COMMIT[None, :]
    gain = base ** gain_curvature[:, None]
    visibility = base ** visibility_curvature[:, None]
    return gain, visibility


def drivers(x: LinkInputs, w: Weights) -> dict[str, np.ndarray]:
    """The per-replicate coefficient of each named term (shape (R,)); costs are negative."""
    # In place where it saves an array; a sign flip is exact, so -(a b c) is (-a) b c bit for bit.
    # An absent (None) addend adds 0 and an absent factor multiplies by 1: both exact, so skipped.
    gain = w.strategic_gain * x.hostility
    if x.leverage is not None:
        gain += w.leverage * x.leverage
    if x.energy is not None:
        gain += w.energy * x.energy
    if x.alignment is not None:
        gain *= x.alignment
    sanction = np.multiply(w.sanction_cost, x.exposure)
    if x.west_dep is not None:
        sanction *= x.west_dep
    instability = np.subtract(1.0, x.risk_tolerance)
    np.multiply(w.instability_cost, instability, out=instability)
    instability *= x.instability
    # failure at the neutral point is neither cost nor gain; a succeeding partner lends prestige.
    if x.prestige_stake is None:
        prestige = np.zeros_like(gain)
    else:
        prestige = np.negative(w.prestige_cost)
        prestige *= x.prestige_stake
        prestige *= 2.0
        prestige *= x.failure - _neutral(x)
    if x.cohesion is None:
        allies = np.zeros_like(gain)
    else:
        allies = np.negative(w.allies_cost)
        allies *= x.exposure
        allies *= x.cohesion
    return {
        "strategic_gain": gain,
        "sanction_cost": np.negative(sanction, out=sanction),
        "instability_cost": np.negative(instability, out=instability),
        "prestige_cost": prestige,
        "allies_cost": allies,
        "leader_tie": np.zeros_like(gain) if x.bond is None else w.tie * x.bond,
    }


def needed_gain(gain: np.ndarray, need) -> np.ndarray:
    """The gain (or leaders' tie) profile (R, rungs) toward a partner that needs military help
    only to the degree ``need`` (R,): trade (rung 1) gains what it always does; what the military
    rungs (2 and up) add above trade is scaled by ``need``.  ``need`` None or 1: unchanged."""
    if need is None or np.all(need == 1.0):
        return gain
    out = gain[:, 1:2] + need[:, None] * (gain - gain[:, 1:2])
    out[:, :2] = gain[:, :2]
    return np.where(need[:, None] == 1.0, gain, out)


def _neutral(x: LinkInputs):
    """The neutral perceived failure: the scenario's ``decision.neutral_failure``, or the midpoint
    of the failure scale (0.5) when a caller gives none."""
    return 0.5 if x.neutral is None else x.neutral


def _sanction_profile(x: LinkInputs, visibility: np.ndarray) -> np.ndarray:
    """Expected sanctions at each rung: intensity x visibility, plus the threat past the redline."""
    expected = visibility if x.intensity is None else x.intensity[:, None] * visibility
    if x.threat is not None and np.any(x.threat):
        expected = expected + x.threat[:, None] * (RUNGS[None, :] >= x.redline[:, None])
    return expected


def _tie_profile(x: LinkInputs) -> np.ndarray:
    """What the leaders' tie rewards at each rung: commitment up to the tie floor, and, like the
    strategic gain, above trade only as far as the partner needs military help (the tie rewards
    the help a partner needs: in peacetime, trade)."""
    return needed_gain(np.minimum(COMMIT[None, :], x.tie_floor[:, None] / (N_RUNGS - 1)), x.need)


def ladder_terms(x: LinkInputs, w: Weights, gain: np.ndarray, visibility: np.ndarray,
                 out: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """The intrinsic named terms for every rung, shape (R, rungs).  Costs are negative.

    With :func:`inertia_term` added, the utility the choice uses is exactly the
    sum of the terms (:func:`total`); :func:`intrinsic_utility` is the same sum,
    computed without materialising each term.  ``out``: an (R, len(TERMS), rungs) array to
    write the terms into, each in its slot (a recorder then sums every term over the replicates
    in one pass); the values are the same.
    """
    d = drivers(x, w)
    c = COMMIT[None, :]
    per_rung = {"strategic_gain": needed_gain(gain, x.need), "sanction_cost": _sanction_profile(x, visibility),
                "instability_cost": c, "prestige_cost": c, "allies_cost": c, "leader_tie": _tie_profile(x)}
    if out is None:
        return {name: d[name][:, None] * profile for name, profile in per_rung.items()}
    if set(per_rung) | {"inertia"} != set(TERMS):      # every slot of `out` is written, or none
        raise ValueError(f"ladder_terms computes {sorted(per_rung)} + inertia, but the world declares {TERMS}")
    return {name: np.multiply(d[name][:, None], profile, out=out[:, TERMS.index(name), :])
            for name, profile in per_rung.items()}


def intrinsic_utility(x: LinkInputs, w: Weights, gain: np.ndarray, visibility: np.ndarray) -> np.ndarray:
    """Sum of the six intrinsic terms (the fast path used for links whose terms are not recorded)."""
    d = drivers(x, w)
    linear = d["instability_cost"] + d["prestige_cost"] + d["allies_cost"]
    u = d["strategic_gain"][:, None] * needed_gain(gain, x.need)
    u += d["sanction_cost"][:, None] * _sanction_profile(x, visibility)
    u += linear[:, None] * COMMIT[None, :]
    u += d["leader_tie"][:, None] * _tie_profile(x)
    return u


_DISTANCE = np.abs(RUNGS[:, None] - RUNGS[None, :]).astype(float)   # rungs moved, held x chosen
_RUNGS_F = RUNGS.astype(float)
_COMMIT_COL = np.ascontiguousarray(COMMIT[:, None])


def inertia_term(current: np.ndarray, switching_cost: np.ndarray, redecide: np.ndarray,
                 out: np.ndarray | None = None) -> np.ndarray:
    """Utility lost by moving away from the rung held; waived on a re-decision (``out``: an
    (R, rungs) array to write it into)."""
    moved = _DISTANCE[np.asarray(current, dtype=np.intp)]
    return np.multiply(moved, (-(switching_cost * (1.0 - redecide)))[:, None], out=out)


def total(terms: dict[str, np.ndarray]) -> np.ndarray:
    """The utility of each rung: the plain sum of the named terms given."""
    names = list(terms)
    out = terms[names[0]].copy()
    for name in names[1:]:
        out += terms[name]
    return out


def cap(intrinsic: np.ndarray, top: int) -> np.ndarray:
    """Make rungs above ``top`` unavailable (utility -inf, so probability 0)."""
    if top < intrinsic.shape[1] - 1:
        intrinsic = intrinsic.copy()
        intrinsic[:, top + 1:] = -np.inf
    return intrinsic


def flat_index_t(rungs: np.ndarray, n: int) -> np.ndarray:
    """Where replicate i's rung ``rungs[i]`` sits in a flattened (rungs, n) array."""
    return np.asarray(rungs, dtype=np.intp) * n + np.arange(n)


def at_rung_t(values_t: np.ndarray, rungs: np.ndarray) -> np.ndarray:
    """``values_t[rungs[i], i]`` of a (rungs, R) array: one read per replicate (a ``take`` on the
    flat array, faster than the equivalent fancy index)."""
    return values_t.reshape(-1).take(flat_index_t(rungs, values_t.shape[1]))


def at_rung(values: np.ndarray, rungs: np.ndarray) -> np.ndarray:
    """``values[i, rungs[i]]`` of an (R, rungs) array, read like :func:`at_rung_t`."""
    n, k = values.shape
    return values.reshape(-1).take(np.arange(n) * k + np.asarray(rungs, dtype=np.intp))


def regret(intrinsic: np.ndarray, current: np.ndarray) -> np.ndarray:
    """How much better the best rung is than the rung held (>= 0)."""
    t = np.ascontiguousarray(intrinsic.T)          # (rungs, R): fast reductions over 5 rows
    return t.max(axis=0) - at_rung_t(t, current)


def update_pressure(stock: np.ndarray, regret_now: np.ndarray, decay: np.ndarray,
                    threshold: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Accumulate pressure; past the threshold the state re-decides without inertia.

    Returns (new stock, re-decide flag as 0/1).  This is the zero-COVID precedent:
    pressure builds quietly, then policy changes abruptly.
    """
    stock = decay * stock + regret_now
    return stock, (stock > threshold).astype(float)


def logit_probabilities(utility: np.ndarray, temperature: np.ndarray) -> np.ndarray:
    z = utility / np.asarray(temperature, dtype=float)[:, None]
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def logit_choice(utility: np.ndarray, temperature: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Quantal-response choice: rung k with probability softmax(utility / temperature)_k.

    ``u`` holds one Uniform(0,1) per replicate (inverse-CDF sampling).
    """
    z = np.ascontiguousarray((utility / np.asarray(temperature, dtype=float)[:, None]).T)
    z -= z.max(axis=0)
    e = np.exp(z, out=z)                     # (rungs, R) unnormalised probabilities
    threshold = u * e.sum(axis=0)
    acc = e[0].copy()
    choice = (acc <= threshold).astype(np.int8)
    for k in range(1, e.shape[0] - 1):       # inverse CDF: count the rungs passed
        acc += e[k]
        choice += acc <= threshold
    return choice


# ---------------------------------------------------------------------------------------
# Fast path, laid out as (rungs, R): the same rule as ladder_terms + inertia_term +
# update_pressure + logit_choice, for the links whose terms are not recorded.  Reductions
# over five contiguous rows are much faster than over a short last axis.

def fast_decide(x: LinkInputs, w: Weights, gain_t: np.ndarray, visibility_t: np.ndarray,
                tie_t: np.ndarray, switching_cost: np.ndarray, stock: np.ndarray, decay: np.ndarray,
                threshold: np.ndarray, temperature: np.ndarray, u: np.ndarray, top: int = N_RUNGS - 1,
                d: dict[str, np.ndarray] | None = None, buffers: tuple[np.ndarray, np.ndarray] | None = None):
    """Choose a rung for every replicate.  Returns (choice, new pressure stock, re-decided).

    ``gain_t``, ``visibility_t``, ``tie_t`` are the (rungs, R) profiles (transposed); rungs
    above ``top`` are not available.  ``d``: ``drivers(x, w)`` where the caller has them.
    ``buffers``: two float (rungs, R) arrays to work in (a model keeps one pair for all its
    decisions), so that no (rungs, R) array is allocated per call; the results are the same.
    """
    if buffers is None:
        dtype = np.result_type(gain_t, visibility_t, tie_t, 0.0 if x.intensity is None else x.intensity)
        buffers = (np.empty(gain_t.shape, dtype), np.empty(gain_t.shape, dtype))
    util, tmp = buffers
    if d is None:
        d = drivers(x, w)
    linear = d["instability_cost"] + d["prestige_cost"] + d["allies_cost"]
    # `tmp` holds each term's (rungs, R) values in turn before they are added: the operations and
    # their order are those of the plain expressions, without a new array for each.
    # expected sanctions at each rung (the visibility itself at full intensity: x 1 is exact)
    expected = visibility_t if x.intensity is None else np.multiply(visibility_t, x.intensity, out=tmp)
    if x.threat is not None and x.threat.any():
        expected = np.add(expected, (RUNGS[:, None] >= x.redline[None, :]) * x.threat, out=tmp)
    if x.need is not None and not np.all(x.need == 1.0):      # at war (need 1) nothing changes
        gain_t = needed_gain(gain_t.T, x.need).T
        tie_t = needed_gain(tie_t.T, x.need).T
    np.multiply(gain_t, d["strategic_gain"], out=util)
    util += np.multiply(expected, d["sanction_cost"], out=tmp)
    util += np.multiply(_COMMIT_COL, linear, out=tmp)
    if d["leader_tie"].any():               # a zero tie (the Western decisions) adds exactly 0
        util += np.multiply(tie_t, d["leader_tie"], out=tmp)
    util[top + 1:] = -np.inf
    current = x.current.astype(np.intp)
    held = at_rung_t(util, current)
    stock, redecide = update_pressure(stock, util.max(axis=0) - held, decay, threshold)
    # rungs moved from the one held (the values of _DISTANCE[:, current], without the gather)
    np.subtract(_RUNGS_F[:, None], current, out=tmp)
    np.abs(tmp, out=tmp)
    util += np.multiply(tmp, -(switching_cost * (1.0 - redecide)), out=tmp)
    util /= temperature         # rungs above `top` stay at -inf and get probability 0
    util -= util.max(axis=0)
    e = np.exp(util, out=util)
    limit = u * e.sum(axis=0)
    acc = e[0].copy()
    choice = (acc <= limit).astype(np.int8)
    for k in range(1, N_RUNGS - 1):
        acc += e[k]
        choice += acc <= limit
    return choice, stock, redecide
