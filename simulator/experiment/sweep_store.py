"""The sweep results store: one folder, written so that a killed sweep can resume.

Layout of ``DIR``::

    manifest.json            what was run: scenario hash and resolved scenario, design,
                             seed, runs, block size, versions, command (+ history of resumes)
    scenario.resolved.yaml   the resolved base scenario
    design.parquet           one row per design point: point, parameter values
    tasks/<task>.parquet     one row of aggregates per finished task (atomic: temp + rename)
    tasks/<task>.failed.json a task that raised: parameters, error, traceback
    failures.jsonl           every failed task (one JSON object a line; empty if none)
    points.parquet           one row per design point (written when the sweep ends)

A task is finished if and only if its Parquet file exists: files are written to a
temporary name and renamed, so a killed sweep leaves whole files or none.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd

from . import provenance
from .store import (OutputExists, check_reusable, claim, lock_folder, mark_complete, prepare_dir, read_json, read_marker, track,
                    write_json, write_parquet, write_text, write_yaml)
from .sweep import TASK_COLUMNS, SweepPlan, Task, TaskOutcome, task_name

_TASK_FILE = re.compile(r"^p(\d+)-b(\d+)\.parquet$")
_FAILED_FILE = re.compile(r"^p(\d+)-b(\d+)\.failed\.json$")


class SweepMismatch(Exception):
    """``--resume`` of a folder whose sweep differs from the command (or holds none)."""


class StoreCorrupt(Exception):
    """A task file does not match the plan (edited or from another sweep)."""


def manifest_for(plan: SweepPlan, command: str | None, executor: str) -> dict:
    r, s = plan.resolved, plan.spec
    design = plan.design.describe()
    design["notes"] = list(plan.design.notes)
    return {
        "kind": "sweep", "scenario": r.name, "scenario_file": r.file, "scenario_hash": plan.scenario_hash,
        "runs": s.runs, "seed": s.seed, "fixed": s.fixed, "block": s.block, "points": plan.points,
        "tasks": len(plan.tasks), "total_runs": plan.total_runs,
        "sweep": plan.fingerprint(), "design": design, "overrides": list(plan.overrides),
        "resolved": r.data,
        "command": command or provenance.command_line(), "reproduce": plan.command(),
        "time": provenance.now(),
        "git": provenance.git_hash(), "versions": provenance.versions(), "executor": executor,
        "history": [],
    }


def _normal(obj):
    """JSON round trip (tuples -> lists, numpy -> Python) so stored and new values compare."""
    from .store import _clean
    return json.loads(json.dumps(_clean(obj)))


class SweepStore:
    def __init__(self, out: Path, plan: SweepPlan):
        self.out = Path(out)
        self.plan = plan
        self.tasks_dir = self.out / "tasks"
        self.notes: list[str] = []

    # ------------------------------------------------------------------ opening
    @classmethod
    def create(cls, out, plan: SweepPlan, *, force: bool = False, command: str | None = None,
               executor: str = "") -> "SweepStore":
        out = Path(out)
        hint = None
        if (out / "manifest.json").is_file():
            hint = (f"{out} already holds a sweep; use --resume to continue it, --force to start it again, "
                    f"or choose another --out")
        prepare_dir(out, force, kind="sweep", dirs=("tasks",), exists_hint=hint)
        store = cls(out, plan)
        store.tasks_dir.mkdir(exist_ok=True)
        manifest = manifest_for(plan, command, executor)
        manifest["history"].append({"command": manifest["command"], "time": manifest["time"],
                                    "git": manifest["git"], "executor": executor, "resume": False})
        write_yaml(out / "scenario.resolved.yaml", plan.resolved.data)
        design = plan.design.points.copy()
        design.insert(0, "point", range(len(design)))
        write_parquet(out / "design.parquet", design)
        write_json(out / "manifest.json", manifest)   # last: its presence marks a sweep folder
        return store

    @staticmethod
    def precheck(out, plan: SweepPlan, *, resume: bool, force: bool) -> None:
        """The checks that need no lock, before an executor is started (bad input fails fast)."""
        out = Path(out)
        if resume:
            SweepStore.check_resumable(out, plan)
        elif out.is_dir():
            hint = None
            if (out / "manifest.json").is_file():
                hint = (f"{out} already holds a sweep; use --resume to continue it, --force to start it "
                        f"again, or choose another --out")
            check_reusable(out, force, "sweep", hint)
        elif out.exists():
            raise OutputExists(f"{out} exists and is not a folder")

    @staticmethod
    def check_resumable(out: Path, plan: SweepPlan) -> dict:
        """The stored manifest, if ``plan`` is the sweep stored in ``out`` (else SweepMismatch)."""
        out = Path(out)
        path = out / "manifest.json"
        if not path.exists():
            raise SweepMismatch(f"{out} holds no sweep to resume (no manifest.json); run without --resume")
        try:
            manifest = read_json(path)
        except (OSError, ValueError) as exc:
            raise SweepMismatch(f"{path}: cannot read: {exc}") from None
        if manifest.get("kind") != "sweep":
            raise SweepMismatch(f"{out} is not a sweep folder (manifest kind {manifest.get('kind')!r})")
        marker = read_marker(out)
        if marker is not None and marker.get("kind") != "sweep":
            raise SweepMismatch(f"{out} is not a sweep folder (it holds a {marker.get('kind')})")
        stored, now = _normal(manifest.get("sweep", {})), _normal(plan.fingerprint())
        diffs = [key for key in now if stored.get(key) != now[key]]
        if diffs:
            parts = [f"{key}: stored {_short(stored.get(key))}, now {_short(now[key])}" for key in diffs]
            raise SweepMismatch(f"refusing to resume {out}: this command describes a different sweep ("
                                + "; ".join(parts) + "); use the original command, or --force to start again")
        return manifest

    @classmethod
    def reopen(cls, out, plan: SweepPlan, *, command: str | None = None, executor: str = "") -> "SweepStore":
        out = Path(out)
        path = out / "manifest.json"
        cls.check_resumable(out, plan)
        lock_folder(out)
        manifest = cls.check_resumable(out, plan)     # again, now that we hold the lock
        if read_marker(out) is None:                   # a store from before markers existed
            claim(out, "sweep", dirs=("tasks",))
            for name in ("manifest.json", "scenario.resolved.yaml", "design.parquet", "failures.jsonl"):
                if (out / name).is_file():
                    track(out / name)
        mark_complete(out, False)
        store = cls(out, plan)
        git = provenance.git_hash()
        if manifest.get("git") not in (None, git):
            store.notes.append(f"the stored tasks were computed at git {manifest.get('git')}, now {git}")
        versions = provenance.versions()
        changed = [k for k, v in versions.items() if manifest.get("versions", {}).get(k) != v]
        if changed:
            store.notes.append(f"library versions changed since the sweep started: {', '.join(changed)}")
        store.tasks_dir.mkdir(exist_ok=True)
        for tmp in list(store.tasks_dir.glob(".*.tmp")) + list(out.glob(".*.tmp")):
            tmp.unlink(missing_ok=True)       # half-written files of a killed run
        (out / "points.parquet").unlink(missing_ok=True)
        manifest.setdefault("history", []).append({"command": command or provenance.command_line(),
                                                   "time": provenance.now(), "git": git,
                                                   "executor": executor, "resume": True})
        write_json(path, manifest)
        return store

    # ------------------------------------------------------------------ tasks
    def finished(self) -> set[tuple[int, int]]:
        done = set()
        if self.tasks_dir.is_dir():
            for f in self.tasks_dir.iterdir():
                m = _TASK_FILE.match(f.name)
                if m:
                    done.add((int(m.group(1)), int(m.group(2))))
        return done

    def write_task(self, task: Task, frame: pd.DataFrame) -> None:
        write_parquet(self.tasks_dir / f"{task.name}.parquet", frame)
        (self.tasks_dir / f"{task.name}.failed.json").unlink(missing_ok=True)

    def write_failure(self, outcome: TaskOutcome) -> dict:
        t = outcome.task
        record = {"point": t.point, "block": t.block, "task": t.name, "start": t.start,
                  "replicates": t.replicates, "seed": t.seed, "params": {p: v for p, v in t.values},
                  "error": outcome.error, "traceback": outcome.traceback, "host": outcome.host,
                  "time": provenance.now()}
        write_json(self.tasks_dir / f"{t.name}.failed.json", record)
        return record

    def failures(self) -> list[dict]:
        """Tasks that failed and have not finished since (sorted by point, block)."""
        if not self.tasks_dir.is_dir():
            return []
        done = self.finished()
        out = []
        for f in sorted(self.tasks_dir.iterdir()):
            m = _FAILED_FILE.match(f.name)
            if m and (int(m.group(1)), int(m.group(2))) not in done:
                out.append(read_json(f))
        return sorted(out, key=lambda r: (r["point"], r["block"]))

    def write_failures_file(self) -> None:
        text = "".join(json.dumps(r, sort_keys=True) + "\n" for r in self.failures())
        write_text(self.out / "failures.jsonl", text)

    def read_tasks(self) -> pd.DataFrame:
        """All finished task rows, in (point, block) order, checked against the plan."""
        planned = {(t.point, t.block): t for t in self.plan.tasks}
        frames = []
        for point, block in sorted(self.finished()):
            task = planned.get((point, block))
            path = self.tasks_dir / f"{task_name(point, block)}.parquet"
            if task is None:
                raise StoreCorrupt(f"{path}: not a task of this sweep")
            frame = pd.read_parquet(path)
            if (len(frame) != 1 or list(frame.columns) != list(TASK_COLUMNS)
                    or int(frame["seed"].iloc[0]) != task.seed
                    or int(frame["replicates"].iloc[0]) != task.replicates):
                raise StoreCorrupt(f"{path}: does not match the planned task (seed or size differ)")
            frames.append(frame)
        if not frames:
            return pd.DataFrame({c: pd.Series(dtype="float64") for c in TASK_COLUMNS})
        return pd.concat(frames, ignore_index=True)


def _short(value, limit: int = 80) -> str:
    text = json.dumps(value) if not isinstance(value, str) else value
    return text if len(text) <= limit else text[: limit - 3] + "..."
