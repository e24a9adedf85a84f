"""Random streams that make results a pure function of (scenario, seed).

Replicates are grouped in fixed chunks of ``CHUNK`` consecutive indices.  Each
chunk owns numpy Generators spawned from ``SeedSequence(seed, spawn_key=...)``
and always draws a full chunk, so replicate ``i`` sees the same numbers whatever
the total number of replicates, the batch it runs in, or the worker that runs it.
"""

from __future__ import annotations

import zlib

import numpy as np
from scipy.special import ndtri

CHUNK = 1024
_PARAMS, _DYNAMICS = 1, 2


def _chunks(offset: int, n: int) -> range:
    return range(offset // CHUNK, (offset + n - 1) // CHUNK + 1) if n > 0 else range(0)


def _generator(seed: int, *key: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(int(seed), spawn_key=key)))


def path_key(path: str) -> int:
    """A stable integer for a parameter path (so each parameter has its own stream)."""
    return zlib.crc32(path.encode("utf-8"))


def param_uniforms(seed: int, path: str, n: int, offset: int = 0) -> np.ndarray:
    """Uniform(0,1) draws for parameter ``path`` for replicates offset..offset+n-1."""
    key = path_key(path)
    blocks = [_generator(seed, _PARAMS, key, c).random(CHUNK) for c in _chunks(offset, n)]
    if not blocks:
        return np.empty(0)
    start = offset - (offset // CHUNK) * CHUNK
    return np.concatenate(blocks)[start:start + n]


class DynamicStreams:
    """Per-month uniforms for replicates offset..offset+n-1, one named stream per link or
    theatre: ``draw(name)`` gives the next month's (n,) uniforms of that stream.

    Each name's stream is its own Generator per chunk (keyed by the name's CRC), so adding a
    link or a theatre leaves the numbers of every other stream unchanged.
    """

    def __init__(self, seed: int, n: int, offset: int = 0):
        self.seed, self.n, self.offset = int(seed), n, offset
        self._chunks = list(_chunks(offset, n))
        self._start = offset - (offset // CHUNK) * CHUNK
        self._gens: dict[str, list[np.random.Generator]] = {}

    def draw(self, name: str) -> np.ndarray:
        gens = self._gens.get(name)
        if gens is None:
            key = path_key(name)
            gens = self._gens[name] = [_generator(self.seed, _DYNAMICS, key, c) for c in self._chunks]
        block = np.empty(len(gens) * CHUNK)
        for j, g in enumerate(gens):          # each chunk's generator fills its own slice
            g.random(out=block[j * CHUNK:(j + 1) * CHUNK])
        return block[self._start:self._start + self.n]

    @staticmethod
    def normals(u: np.ndarray) -> np.ndarray:
        return ndtri(np.clip(u, 1e-12, 1 - 1e-12))
