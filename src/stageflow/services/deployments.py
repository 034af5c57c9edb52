"""Validate and deploy a folder of definitions: all or nothing, with every problem reported."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from stageflow.definitions.catalog import signature_of
from stageflow.definitions.loader import Bundle, load_path
from stageflow.definitions.model import (
    Definition,
    FlowDef,
    Kind,
    ObjectDef,
    Orchestration,
    ScreenFlow,
)
from stageflow.definitions.project import Project, find
from stageflow.definitions.source import load_yaml
from stageflow.definitions.validate import (
    Dependent,
    Known,
    dependents,
    deployed_problems,
    validate,
)
from stageflow.errors import DefinitionError, InvalidInput, Problem
from stageflow.flows.registry import Registry, import_modules
from stageflow.services.runtime import Runtime, reading, transaction
from stageflow.store import definitions as store
from stageflow.store.definitions import DeployedVersion

KIND_OF: dict[type, Kind] = {
    Orchestration: Kind.ORCHESTRATION,
    ScreenFlow: Kind.SCREEN_FLOW,
    FlowDef: Kind.FLOW,
    ObjectDef: Kind.OBJECT,
}


@dataclass(frozen=True)
class Deployed:
    kind: str
    name: str
    version: int
    changed: bool  # False: same content as the latest version, nothing new written


def _prepare(
    path: Path, registry: Registry, names_from: Path | None = None
) -> tuple[Project, Bundle]:
    project = find(path)
    import_modules(project.root, project.modules)
    return project, load_path(project.definitions, names_from)


def _problems(conn: Connection, registry: Registry, bundle: Bundle) -> list[Problem]:
    """The bundle's own problems, and what it would break in the deployed orchestrations and
    flows."""
    known, deployed = _deployed(conn, registry)
    return validate(bundle, known) + dependents(bundle, known, deployed)


def _deployed(conn: Connection, registry: Registry) -> tuple[Known, list[tuple[Dependent, int]]]:
    """What is deployed and active (with the Python flows), and the definitions among it that
    other definitions can break: orchestrations and flows, with their versions."""
    flows = dict(registry.signatures())
    objects: dict[str, ObjectDef] = {}
    deployed: list[tuple[Dependent, int]] = []
    for v in store.all_active(conn):
        d = store.parsed(conn, v.id)
        if isinstance(d, ObjectDef):
            objects[d.name] = d
            continue
        if isinstance(d, ScreenFlow | FlowDef):
            flows.setdefault(d.name, signature_of(d))
        deployed.append((d, v.version))
    names = frozenset(d.name for d, _ in deployed if isinstance(d, Orchestration))
    return Known(flows, objects, names, registry.origins()), deployed


def check(rt: Runtime, path: Path) -> list[Problem]:
    """Every problem with the definitions at `path`, against what is deployed; writes nothing."""
    _, bundle = _prepare(path, rt.registry)
    with reading(rt) as tx:
        return _problems(tx.conn, rt.registry, bundle)


def content_hash(text: str) -> str:
    data, _ = load_yaml(text, "")
    canonical = json.dumps(data, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def deploy(
    rt: Runtime, path: Path, by: str, activate: bool = True, names_from: Path | None = None
) -> list[Deployed]:
    """Validate and deploy the definitions at `path`, all or none. Their files are named (in
    problems and versions) relative to `names_from`, or the current directory."""
    project, bundle = _prepare(path, rt.registry, names_from)
    with transaction(rt) as tx:
        problems = _problems(tx.conn, rt.registry, bundle)
        if problems:
            raise DefinitionError(problems)  # the transaction rolls back: nothing deployed
        # A deploy or an activation of a definition at a time; every deploy takes its locks in
        # one order, so two deploys of projects sharing definitions cannot deadlock.
        names = {(KIND_OF[type(s.definition)].value, s.definition.name) for s in bundle.sources}
        for kind, name in sorted(names):
            store.lock_versions(tx.conn, kind, name)
        out = []
        for source in bundle.sources:
            out.append(
                _deploy_one(
                    tx.conn, source.definition, source.file, source.text, tx.now, by, activate
                )
            )
        if project.modules:
            _remember_modules(tx.conn, project)
        return out


def _deploy_one(
    conn: Connection, d: Definition, file: str, text: str, now: Any, by: str, activate: bool
) -> Deployed:
    """Add `d` as a new version unless it is the latest already; its lock is held (deploy)."""
    kind = KIND_OF[type(d)].value
    digest = content_hash(text)
    last = store.latest(conn, kind, d.name)
    if last is not None and last.content_hash == digest:
        if activate and not last.active:
            store.activate(conn, kind, d.name, last.version)
        return Deployed(kind, d.name, last.version, changed=False)
    version = store.add_version(conn, kind, d.name, digest, file, text, now, by, activate)
    return Deployed(kind, d.name, version, changed=True)


def _remember_modules(conn: Connection, project: Project) -> None:
    projects: list[dict[str, Any]] = store.get_setting(conn, "projects", lock=True) or []
    entry = {"root": str(project.root), "modules": list(project.modules)}
    projects = [p for p in projects if p["root"] != entry["root"]] + [entry]
    store.put_setting(conn, "projects", projects)


def versions(
    rt: Runtime, kind: str | None = None, name: str | None = None
) -> list[DeployedVersion]:
    with reading(rt) as tx:
        return store.versions(tx.conn, kind, name)


def set_active(rt: Runtime, kind: str, name: str, version: int | None) -> None:
    """Activate `version` of a definition, or deactivate it when `version` is None."""
    if kind not in {k.value for k in Kind}:  # else "bogus 'X' has no version 1" blames it
        kinds = ", ".join(k.value for k in Kind)
        raise InvalidInput(Problem(f"{kind!r} is not a kind of definition ({kinds})", field="kind"))
    with transaction(rt) as tx:
        store.lock_versions(tx.conn, kind, name)  # sees a deploy that committed meanwhile
        before = deployed_problems(*_deployed(tx.conn, rt.registry))
        if version is None:
            store.deactivate(tx.conn, kind, name)
        elif not store.activate(tx.conn, kind, name, version):
            raise DefinitionError(
                Problem(f"{kind} {name!r} has no version {version}", field="version")
            )
        # An older flow version, or none, can break the active orchestrations that use it.
        after = deployed_problems(*_deployed(tx.conn, rt.registry))
        new = [p for where, p in after.items() if where not in before]
        if new:
            raise DefinitionError(new)  # the transaction rolls back: nothing changed


def source(rt: Runtime, version_id: int) -> str:
    """The YAML text a version was deployed from."""
    with reading(rt) as tx:
        return store.source_text(tx.conn, version_id)
