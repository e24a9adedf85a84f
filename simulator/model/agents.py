"""The state agents.  Each holds its state as numpy arrays of shape (replicates,)."""

from __future__ import annotations

import mesa
import numpy as np

from . import decisions as rules
from .world import LinkDecl


class StateAgent(mesa.Agent):
    """One state (china, russia, ..., united_states, ...).  Its attributes are live views of
    the model's parameter arrays, so events and overrides reach them without copies.  It
    decides one rung per link it owns (``links``, declared in world.py): support to a
    partner for the axis, a policy level for the West."""

    def __init__(self, model, state_id: str, links: list[LinkDecl]):
        super().__init__(model)
        self.state_id = state_id
        self.links = {link.target: link for link in links}
        self.partners = tuple(self.links)                 # targets of the links it decides
        n = model.replicates
        spec = model.resolved.scenario.states[state_id]
        self.support = {}
        for target, link in self.links.items():
            start = spec.support.get(target, 0) if link.kind == "support" else \
                spec.policy.get(link.kind, spec.support.get(target, rules.N_RUNGS // 2))
            self.support[target] = np.full(n, start, dtype=np.int8)
        self.pressure = {p: np.zeros(n) for p in self.partners}
        self._next: dict[str, np.ndarray] = {}
        # recorded links: this month's named terms, each an (R, rungs) view of the link's block in
        # ``term_blocks`` (R, terms, rungs); both are overwritten next month: copy what you keep
        self.last_terms: dict[str, dict[str, np.ndarray]] = {}
        self.term_blocks: dict[str, np.ndarray] = {}
        self.recorded = {"russia"} if state_id == "china" else set()   # links whose terms are kept
        self.top = {p: spec.max_support.get(p, rules.N_RUNGS - 1) for p in self.partners}
        prefix = f"states.{state_id}.dependency."     # the parameters' paths are fixed once drawn
        self._dependency_paths = [(k[len(prefix):], k) for k in model.p if k.startswith(prefix)]

    # --- attributes named by the scenario paths states.<id>.* -------------------------
    def _p(self, name: str) -> np.ndarray:
        return self.model.p.get(f"states.{self.state_id}.{name}", self.model.zero)

    @property
    def risk_tolerance(self) -> np.ndarray:
        return self._p("risk_tolerance")

    @property
    def sanction_exposure(self) -> np.ndarray:
        return self._p("sanction_exposure")

    @property
    def capability(self) -> np.ndarray:
        return self._p("capability")

    @property
    def hostility(self) -> np.ndarray:
        return self._p("hostility")

    @property
    def prestige_stake(self) -> np.ndarray:
        return self._p("prestige_stake")

    @property
    def dependency(self) -> dict[str, np.ndarray]:
        p = self.model.p
        return {partner: p[path] for partner, path in self._dependency_paths}

    def dep(self, partner: str) -> np.ndarray:
        return self.model.p.get(f"states.{self.state_id}.dependency.{partner}", self.model.zero)

    def commitment(self, partner: str) -> np.ndarray:
        return rules.COMMIT.take(self.support[partner]) if partner in self.support else self.model.zero

    # --- simultaneous activation: decide on last month's state, then apply ------------
    def decide(self) -> None:
        m = self.model
        self._next = {}
        p = m.p
        for partner, link in self.links.items():
            if m.is_fixed(link):                 # a commitment the scenario made: no choice
                continue
            x = m.link_inputs(self, link)
            w = m.weights_for(link)
            temperature = p["decision.temperature"] if link.kind in ("support", "arms") \
                else p["decision.policy_temperature"]
            u = m.streams.draw(link.name)
            if partner in self.recorded:         # keep every named term (for "why" charts)
                block = self.term_block(partner)
                terms = rules.ladder_terms(x, w, m.gain, m.visibility, out=block)
                intrinsic = rules.cap(rules.total(terms), self.top[partner])
                stock, redecide = rules.update_pressure(
                    self.pressure[partner], rules.regret(intrinsic, x.current),
                    p["decision.pressure_decay"], p["decision.pressure_threshold"])
                terms["inertia"] = rules.inertia_term(x.current, p["decision.switching_cost"], redecide,
                                                      out=block[:, rules.TERMS.index("inertia"), :])
                choice = rules.logit_choice(intrinsic + terms["inertia"], temperature, u)
                self.last_terms[partner] = terms
            else:
                d = rules.drivers(x, w)
                choice, stock, redecide = rules.fast_decide(
                    x, w, m.gain_t, m.visibility_t, m.tie_t, p["decision.switching_cost"],
                    self.pressure[partner], p["decision.pressure_decay"], p["decision.pressure_threshold"],
                    temperature, u, top=self.top[partner], d=d, buffers=m.decide_buffers)
                m.note_held_terms(link, choice, d)
            moved = choice != x.current
            self.pressure[partner] = np.where(moved | (redecide > 0), 0.0, stock)
            self._next[partner] = choice

    def term_block(self, partner: str) -> np.ndarray:
        """The (R, terms, rungs) array this month's named terms on a recorded link are written
        into (one per link, reused every month: ``last_terms`` holds views of it)."""
        block = self.term_blocks.get(partner)
        if block is None:
            block = self.term_blocks[partner] = np.empty((self.model.replicates, len(rules.TERMS), rules.N_RUNGS))
        return block

    def advance(self) -> None:
        self.support.update(self._next)
