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
    """Per-month uniforms for replicates offset..offset+n-1 (shape (width, n))."""

    def __init__(self, seed: int, n: int, offset: int = 0):
        self.n, self.offset = n, offset
        self._gens = [_generator(seed, _DYNAMICS, c) for c in _chunks(offset, n)]
        self._start = offset - (offset // CHUNK) * CHUNK

    def uniforms(self, width: int) -> np.ndarray:
        if len(self._gens) == 1:
            block = self._gens[0].random((width, CHUNK))
        else:
            block = np.concatenate([g.random((width, CHUNK)) for g in self._gens], axis=1)
        return block[:, self._start:self._start + self.n]

    @staticmethod
    def normals(u: np.ndarray) -> np.ndarray:
        return ndtri(np.clip(u, 1e-12, 1 - 1e-12))
