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

import hashlib
import json
import os
import re
from pathlib import Path

import pandas as pd

from . import provenance
from .store import (OutputExists, check_reusable, claim, lock_folder, mark_complete, prepare_dir, read_json, read_marker, track,
                    write_json, write_parquet, write_text, write_yaml)
from .tasks import TASK_COLUMNS, SweepPlan, Task, TaskOutcome, task_name

_TASK_FILE = re.compile(r"^p(\d+)-b(\d+)\.parquet$")
CHECKSUMS = "checksums.sha256"          # in tasks/: "sha256  file name", one line per task written
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
        "posterior": None if plan.posterior is None else plan.posterior.record(plan.resolved, s.fixed,
                                                                          tuple(plan.design.paths)),
        "resolved": r.data,
        "command": command or provenance.command_line(), "reproduce": plan.command(),
        "time": provenance.now(),
        "git": provenance.git_hash(), "code": provenance.code_digest(), "versions": provenance.versions(),
        "executor": executor, "history": [],
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
    def precheck(out, plan: SweepPlan, *, resume: bool, force: bool, allow_code_change: bool = False) -> None:
        """The checks that need no lock, before an executor is started (bad input fails fast)."""
        out = Path(out)
        if resume:
            SweepStore.check_resumable(out, plan, allow_code_change)
        elif out.is_dir():
            hint = None
            if (out / "manifest.json").is_file():
                hint = (f"{out} already holds a sweep; use --resume to continue it, --force to start it "
                        f"again, or choose another --out")
            check_reusable(out, force, "sweep", hint)
        elif out.exists():
            raise OutputExists(f"{out} exists and is not a folder")

    @staticmethod
    def check_resumable(out: Path, plan: SweepPlan, allow_code_change: bool = False) -> dict:
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
        stored.setdefault("streams", "independent")     # stores from before common random numbers
        diffs = [key for key in now if stored.get(key) != now[key]]
        if diffs:
            parts = [f"{key}: stored {_short(stored.get(key))}, now {_short(now[key])}" for key in diffs]
            raise SweepMismatch(f"refusing to resume {out}: this command describes a different sweep ("
                                + "; ".join(parts) + "); use the original command, or --force to start again")
        code = provenance.code_digest()
        if manifest.get("code") != code and not allow_code_change:
            raise SweepMismatch(f"refusing to resume {out}: the code changed since the sweep began (source "
                                f"digest {manifest.get('code') or 'not recorded'} at git "
                                f"{manifest.get('git', 'unknown')}; now {code} at git {provenance.git_hash()}), "
                                f"so results of two code versions would mix; --force starts again, "
                                f"--allow-code-change resumes anyway")
        return manifest

    @classmethod
    def reopen(cls, out, plan: SweepPlan, *, command: str | None = None, executor: str = "",
               allow_code_change: bool = False) -> "SweepStore":
        out = Path(out)
        path = out / "manifest.json"
        cls.check_resumable(out, plan, allow_code_change)
        lock_folder(out)
        manifest = cls.check_resumable(out, plan, allow_code_change)     # again, now that we hold the lock
        if read_marker(out) is None:                   # a store from before markers existed
            claim(out, "sweep", dirs=("tasks",))
            for name in ("manifest.json", "scenario.resolved.yaml", "design.parquet", "failures.jsonl"):
                if (out / name).is_file():
                    track(out / name)
        mark_complete(out, False)
        store = cls(out, plan)
        git = provenance.git_hash()
        if manifest.get("code") != provenance.code_digest():
            store.notes.append(f"the code changed since the sweep began (git {manifest.get('git')}, now {git}); "
                               f"resumed with --allow-code-change")
            manifest["code_changed"] = True
        elif manifest.get("git") not in (None, git):
            store.notes.append(f"the stored tasks were computed at git {manifest.get('git')}, now {git} "
                               f"(the simulator's source is unchanged)")
        versions = provenance.versions()
        changed = [k for k, v in versions.items() if manifest.get("versions", {}).get(k) != v]
        if changed:
            store.notes.append(f"library versions changed since the sweep started: {', '.join(changed)}")
        store.tasks_dir.mkdir(exist_ok=True)
        for tmp in list(store.tasks_dir.glob(".*.tmp")) + list(out.glob(".*.tmp")):
            tmp.unlink(missing_ok=True)       # half-written files of a killed run
        bad = store.quarantine_corrupt()
        if bad:
            shown = ", ".join(bad[:5]) + (" ..." if len(bad) > 5 else "")
            store.notes.append(f"{len(bad)} task file(s) failed their checksum and were set aside as "
                               f"*.bad-N (they run again): {shown}")
        # points.parquet stays until the new one replaces it (written atomically at the end)
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
        path = self.tasks_dir / f"{task.name}.parquet"
        write_parquet(path, frame)
        line = f"{_sha256(path)}  {path.name}\n".encode()
        fd = os.open(self.tasks_dir / CHECKSUMS, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o666)
        try:
            os.write(fd, line)               # one short append: whole or absent
        finally:
            os.close(fd)
        (self.tasks_dir / f"{task.name}.failed.json").unlink(missing_ok=True)

    def checksums(self) -> dict[str, str] | None:
        """name -> sha256 of every task file written (None for a store from before checksums)."""
        path = self.tasks_dir / CHECKSUMS
        if not path.exists():
            return None
        out = {}
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            parts = line.split("  ", 1)
            if len(parts) == 2 and len(parts[0]) == 64:
                out[parts[1]] = parts[0]
        return out

    def _valid(self, path: Path, sums: dict[str, str] | None) -> bool:
        if sums is not None:
            return sums.get(path.name) == _sha256(path)
        try:                                   # an older store: at least a readable, well-formed row
            frame = pd.read_parquet(path)
        except Exception:  # noqa: BLE001 - any reader error means a damaged file
            return False
        return len(frame) == 1 and list(frame.columns) == list(TASK_COLUMNS)

    def quarantine_corrupt(self) -> list[str]:
        """Set aside every task file whose checksum does not match (truncated, emptied, flipped
        bits, or written without its checksum line by a killed process), so it runs again."""
        sums = self.checksums()
        bad = []
        for point, block in sorted(self.finished()):
            path = self.tasks_dir / f"{task_name(point, block)}.parquet"
            if not self._valid(path, sums):
                n = 1
                while (self.tasks_dir / f"{path.name}.bad-{n}").exists():
                    n += 1
                os.replace(path, self.tasks_dir / f"{path.name}.bad-{n}")
                bad.append(path.name)
        return bad

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
        sums = self.checksums()
        frames = []
        for point, block in sorted(self.finished()):
            task = planned.get((point, block))
            path = self.tasks_dir / f"{task_name(point, block)}.parquet"
            if task is None:
                raise StoreCorrupt(f"{path}: not a task of this sweep")
            if sums is not None and sums.get(path.name) != _sha256(path):
                raise StoreCorrupt(f"{path}: does not match its checksum (damaged since it was written); "
                                   f"--resume sets it aside and runs it again")
            try:
                frame = pd.read_parquet(path)
            except Exception as exc:  # noqa: BLE001
                raise StoreCorrupt(f"{path}: cannot be read ({type(exc).__name__}); --resume sets it aside "
                                   f"and runs it again") from None
            if (len(frame) != 1 or list(frame.columns) != list(TASK_COLUMNS)
                    or int(frame["seed"].iloc[0]) != task.seed
                    or int(frame["replicates"].iloc[0]) != task.replicates):
                raise StoreCorrupt(f"{path}: does not match the planned task (seed or size differ)")
            frames.append(frame)
        if not frames:
            return pd.DataFrame({c: pd.Series(dtype="float64") for c in TASK_COLUMNS})
        return pd.concat(frames, ignore_index=True)


def _sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _short(value, limit: int = 80) -> str:
    text = json.dumps(value) if not isinstance(value, str) else value
    return text if len(text) <= limit else text[: limit - 3] + "..."
