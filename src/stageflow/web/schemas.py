"""Request and response bodies of the REST API (they make the OpenAPI document)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from stageflow.engine.commands import LogEntry
from stageflow.engine.state import WorkItem
from stageflow.services.views import RunView
from stageflow.store.people import Group, User
from stageflow.store.records import RecordRow
from stageflow.store.runs import RunSummary
from stageflow.store.work_items import WorkItemRow

T = TypeVar("T")


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next: str | None = Field(None, description="Pass as `after` to get the next page.")


class RunStart(Body):
    orchestration: str = Field(..., min_length=1, max_length=80)
    inputs: dict[str, Any] = Field(default_factory=dict)
    record: str | None = Field(None, max_length=40, description="The context record's id.")


class Action(Body):
    event_id: str | None = Field(None, max_length=100, description="Repeat-safe request id.")


class Complete(Action):
    outputs: dict[str, Any] = Field(default_factory=dict)


class Reassign(Body):
    to: str = Field(
        ..., min_length=1, max_length=200, description="user:NAME, group:NAME, queue:NAME"
    )


class RecordValues(Body):
    values: dict[str, Any]


class NewUser(Body):
    username: str = Field(..., min_length=1, max_length=150)
    name: str | None = Field(None, max_length=255)
    email: str | None = Field(None, max_length=255)
    role: str = "user"
    password: str | None = Field(None, max_length=200)


class UserChanges(Body):
    """What to change of a user: a field left out (or null) stays as it is."""

    name: str | None = Field(None, max_length=255)
    email: str | None = Field(None, max_length=255, description='"": no address, no emails.')
    role: str | None = Field(None, max_length=20, description="admin, supervisor or user.")
    active: bool | None = Field(
        None, description="false: the user cannot sign in and is given no work item."
    )


class NewGroup(Body):
    name: str = Field(..., min_length=1, max_length=80)
    label: str | None = Field(None, max_length=255)
    members: list[str] = Field(default_factory=list)


class Member(Body):
    username: str = Field(..., min_length=1, max_length=150)


class Login(Body):
    username: str = Field(..., min_length=1, max_length=150)
    password: str = Field(..., min_length=1, max_length=200)
    name: str = Field("api", max_length=100)


class DeployFolder(Body):
    path: str = Field(..., min_length=1, max_length=1000, description="A folder on the server.")
    activate: bool = True


class TokenOut(BaseModel):
    id: str
    username: str
    token: str


class UserOut(BaseModel):
    username: str
    name: str
    email: str | None = Field(description="None: no address, the user gets no emails")
    role: str
    active: bool

    @classmethod
    def of(cls, u: User) -> UserOut:
        return cls(username=u.username, name=u.name, email=u.email, role=u.role, active=u.active)


class GroupOut(BaseModel):
    name: str
    kind: str
    label: str
    members: list[str]

    @classmethod
    def of(cls, g: Group) -> GroupOut:
        return cls(name=g.name, kind=g.kind, label=g.label, members=list(g.members))


class RecordOut(BaseModel):
    id: str
    object: str
    name: str
    owner: str | None
    fields: dict[str, Any]
    created_at: datetime
    created_by: str
    modified_at: datetime
    modified_by: str

    @classmethod
    def of(cls, r: RecordRow) -> RecordOut:
        return cls(
            id=r.id, object=r.object, name=r.name, owner=r.owner, fields=r.fields,
            created_at=r.created_at, created_by=r.created_by, modified_at=r.modified_at,
            modified_by=r.modified_by,
        )  # fmt: skip


class WorkItemOut(BaseModel):
    id: str
    name: str
    status: str
    assigned_to: str
    record_id: str | None
    step: str
    run_id: str
    created_at: datetime
    created_by: str
    modified_at: datetime
    modified_by: str
    completed_by: str | None
    completed_at: datetime | None

    @classmethod
    def of_row(cls, w: WorkItemRow) -> WorkItemOut:
        return cls(
            id=w.id, name=w.name, status=w.status, assigned_to=w.assigned_to, record_id=w.record_id,
            step=w.step, run_id=w.run_id, created_at=w.created_at, created_by=w.created_by,
            modified_at=w.modified_at, modified_by=w.modified_by, completed_by=w.completed_by,
            completed_at=w.completed_at,
        )  # fmt: skip

    @classmethod
    def of(cls, w: WorkItem) -> WorkItemOut:
        return cls(
            id=w.id, name=w.name, status=w.status.value, assigned_to=str(w.assignee),
            record_id=w.record_id, step=w.step, run_id=w.run_id, created_at=w.created_at,
            created_by=w.created_by, modified_at=w.modified_at, modified_by=w.modified_by,
            completed_by=w.completed_by, completed_at=w.completed_at,
        )  # fmt: skip


class RunSummaryOut(BaseModel):
    id: str
    name: str
    orchestration: str
    version: int
    status: str
    current_stage: str | None
    record_id: str | None
    created_at: datetime
    created_by: str
    modified_at: datetime
    modified_by: str

    @classmethod
    def of(cls, r: RunSummary) -> RunSummaryOut:
        return cls(**r.__dict__)


class ErrorOut(BaseModel):
    message: str
    traceback: str


class StepOut(BaseModel):
    name: str
    label: str
    type: str
    status: str
    attempt: int
    inputs: dict[str, Any]
    outputs: dict[str, Any] | None
    error: ErrorOut | None
    work_item: str | None
    started_at: datetime | None
    ended_at: datetime | None


class StageOut(BaseModel):
    name: str
    label: str
    status: str
    error: ErrorOut | None
    steps: list[StepOut]


class LogOut(BaseModel):
    at: datetime
    actor: str
    object_type: str
    object_name: str
    from_status: str | None
    to_status: str | None
    detail: str

    @classmethod
    def of(cls, e: LogEntry) -> LogOut:
        return cls(**e.__dict__)


class RunOut(RunSummaryOut):
    inputs: dict[str, Any]
    stages: list[StageOut]
    work_items: list[WorkItemOut]
    log: list[LogOut]
    actions: list[str]

    @classmethod
    def of_view(cls, v: RunView) -> RunOut:
        def err(e: Any) -> ErrorOut | None:
            return None if e is None else ErrorOut(message=e.message, traceback=e.traceback)

        stages = [
            StageOut(
                name=s.name, label=s.label, status=s.status, error=err(s.error),
                steps=[
                    StepOut(
                        name=p.name, label=p.label, type=p.type, status=p.status,
                        attempt=p.attempt, inputs=dict(p.inputs),
                        outputs=None if p.outputs is None else dict(p.outputs),
                        error=err(p.error), work_item=p.work_item, started_at=p.started_at,
                        ended_at=p.ended_at,
                    )
                    for p in s.steps
                ],
            )
            for s in v.stages
        ]  # fmt: skip
        return cls(
            id=v.id, name=v.name, orchestration=v.orchestration, version=v.version,
            status=v.status, current_stage=v.current_stage, record_id=v.record_id,
            created_at=v.created_at, created_by=v.created_by, modified_at=v.modified_at,
            modified_by=v.modified_by, inputs=dict(v.inputs), stages=stages,
            work_items=[WorkItemOut.of(w) for w in v.work_items],
            log=[LogOut.of(e) for e in v.log], actions=list(v.actions),
        )  # fmt: skip


class VersionOut(BaseModel):
    kind: str
    name: str
    version: int
    active: bool
    deployed_at: datetime
    deployed_by: str
    source_file: str


class DeployedOut(BaseModel):
    kind: str
    name: str
    version: int
    changed: bool


class FieldProblem(BaseModel):
    """One thing wrong with a request, and where: the field (`inputs.amount`, `path.run_id`),
    or the file and line of a definition."""

    field: str | None = None
    message: str
    file: str | None = None
    line: int | None = None


class ProblemDetails(BaseModel):
    """An error, as RFC 9457 problem details (media type application/problem+json)."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: list[FieldProblem] = Field(
        default_factory=list, description="Each problem with its field; absent when none."
    )
