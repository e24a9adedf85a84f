"""A posterior over a scenario's parameters: weighted rows of parameter values (``--posterior``).

The file is Parquet: one float column per parameter, named by its dotted path exactly as the
scenario names it (``decision.weights.sanction_cost``), a float column ``weight`` (non-negative,
any scale, not all zero) and the key-value metadata ``axis_sim``, a JSON object
{"scenario", "command", "seed", "version"} saying what wrote it (``calibrate``).

Each replicate draws one row by weight (simulator/model/sampling.py); the parameters present
take that row's values, the others keep their draw from the prior range.  Anything wrong with
the file is bad input (:class:`PosteriorError`: one line naming the file and the column).
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import ScenarioError
from .loader import SET_SOURCE, Resolved, did_you_mean

WEIGHT = "weight"
METADATA_KEY = "axis_sim"


class PosteriorError(ScenarioError):
    """Bad posterior input, reported as ``FILE: column: message`` (a Parquet file has no lines)."""

    def __init__(self, file: str, column: str, message: str):
        super().__init__(file, None, column, message)

    def format(self) -> str:
        return f"{self.file}: {self.path or '(file)'}: {self.message}"


@dataclass(frozen=True, eq=False)
class Posterior:
    """The rows of a posterior file: ``columns`` (path -> values) and their ``weights``."""

    file: str
    sha256: str
    metadata: dict | None
    columns: dict[str, np.ndarray]
    weights: np.ndarray
    cumulative: np.ndarray = field(repr=False)       # running sum of the weights, in file order

    @property
    def rows(self) -> int:
        return int(self.weights.size)

    @property
    def effective_rows(self) -> float:
        """Kish's effective sample size of the weights, (sum w)^2 / sum w^2."""
        w = self.weights / self.weights.max()          # any scale: no overflow
        return float(w.sum() ** 2 / np.square(w).sum())

    def applied(self, resolved: Resolved) -> list[str]:
        """The posterior's parameters that replicates take from it: all but those fixed by
        ``--set`` or a sweep point."""
        return [p for p in self.columns if resolved.params[p].source != SET_SOURCE]

    def record(self, resolved: Resolved, fixed: bool = False, swept: tuple[str, ...] = ()) -> dict:
        """What summary.json (or a sweep's manifest.json, with the ``swept`` parameters that each
        design point sets) says about the posterior: its file, checksum and metadata, the
        parameters taken from it, those an override keeps, and those drawn from the prior."""
        applied = [p for p in self.applied(resolved) if p not in swept]
        drawn = [p for p, spec in resolved.params.items()
                 if not fixed and spec.range is not None and spec.range[0] < spec.range[1]]
        return {"file": self.file, "sha256": self.sha256, "metadata": self.metadata, "rows": self.rows,
                "effective_rows": round(self.effective_rows, 3), "parameters": applied,
                "overridden": [p for p in self.columns if p not in applied],
                "prior": [p for p in drawn if p not in self.columns]}


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read_posterior(file: str | Path) -> Posterior:
    """Read and check a posterior file on its own (columns against a scenario: :func:`check_posterior`)."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    label = str(file)
    path = Path(file)
    if not path.is_file():
        raise PosteriorError(label, "", "not found" if not path.exists() else "not a regular file")
    try:
        digest = _sha256(path)
        table = pq.read_table(path)
    except (OSError, pa.ArrowException, ValueError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise PosteriorError(label, "", f"cannot read it as Parquet: {first}") from None
    metadata = None
    raw = (table.schema.metadata or {}).get(METADATA_KEY.encode())
    if raw is not None:
        try:
            metadata = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise PosteriorError(label, METADATA_KEY, "the metadata is not JSON") from None
        if not isinstance(metadata, dict):
            raise PosteriorError(label, METADATA_KEY, "the metadata is not a JSON object")
    names = list(table.column_names)
    if WEIGHT not in names:
        raise PosteriorError(label, WEIGHT, "missing: a posterior needs a weight column")
    if len(set(names)) != len(names):
        dup = next(n for n in names if names.count(n) > 1)
        raise PosteriorError(label, dup, "the column appears twice")
    values: dict[str, np.ndarray] = {}
    for name in names:
        col = table.column(name)
        if not (pa.types.is_floating(col.type) or pa.types.is_integer(col.type)):
            raise PosteriorError(label, name, f"not a numeric column ({col.type})")
        if col.null_count:
            raise PosteriorError(label, name, f"{col.null_count} empty value(s)")
        values[name] = np.asarray(col.to_numpy(), dtype=np.float64)
    weights = values.pop(WEIGHT)
    if weights.size == 0:
        raise PosteriorError(label, WEIGHT, "the posterior has no rows")
    if not np.isfinite(weights).all():
        raise PosteriorError(label, WEIGHT, f"row {int(np.argmin(np.isfinite(weights)))}: not a finite number")
    if (weights < 0).any():
        row = int(np.argmax(weights < 0))
        raise PosteriorError(label, WEIGHT, f"row {row}: negative weight {weights[row]:g}")
    if not (weights > 0).any():
        raise PosteriorError(label, WEIGHT, "every weight is zero")
    if not values:
        raise PosteriorError(label, "", "no parameter columns besides weight")
    for name, v in values.items():
        v.setflags(write=False)
    weights.setflags(write=False)
    with np.errstate(over="ignore"):
        cumulative = np.cumsum(weights)
    if not np.isfinite(cumulative[-1]):
        raise PosteriorError(label, WEIGHT, "the weights sum past the largest float; rescale them")
    cumulative.setflags(write=False)
    return Posterior(file=label, sha256=digest, metadata=metadata, columns=values, weights=weights,
                     cumulative=cumulative)


def check_posterior(posterior: Posterior, resolved: Resolved) -> None:
    """Refuse a column that is not a parameter of the scenario, or a value outside its bounds."""
    for name, v in posterior.columns.items():
        if name not in resolved.params:
            hint = did_you_mean(name, list(resolved.params))
            raise PosteriorError(posterior.file, name,
                                 f"not a parameter of scenario {resolved.name}{hint}")
        lo, hi, _ = resolved.bounds.get(name, (-math.inf, math.inf, False))
        bad = ~np.isfinite(v) | (v < lo) | (v > hi)
        if bad.any():
            row = int(np.argmax(bad))
            raise PosteriorError(posterior.file, name,
                                 f"row {row}: {v[row]:g} is outside the parameter's bounds [{lo:g}, {hi:g}]")


def load_posterior(file: str | Path | None, resolved: list[Resolved] | Resolved) -> Posterior | None:
    """Read ``file`` (None: no posterior) and check it against every scenario given."""
    if file is None:
        return None
    posterior = read_posterior(file)
    for r in (resolved if isinstance(resolved, list) else [resolved]):
        check_posterior(posterior, r)
    return posterior
