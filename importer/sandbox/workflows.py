"""Workflows of the sandbox tenant: named stages an incident moves through, and the move rules.

The vendor documents that a new incident starts in its workflow's first stage and that Update
Incident Stage moves it by the stage's name; it does not publish which moves a workflow allows.
The sandbox takes the strict reading: a move goes forward, to any later stage of the incident's
own workflow; a move to the stage it is already in, back, or to a stage of another workflow is
refused (400). An importer that copes with these refusals copes with a laxer register too.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID, uuid5

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "DEFAULT_WORKFLOW",
    "STAGE_FIELDS",
    "Stage",
    "Workflow",
    "move_fields",
    "stage_fields_of",
    "start_fields",
]

STAGE_FIELDS = (
    "workflowName",
    "incidentStageName",
    "incidentStageId",
    "incidentStatus",
    "dateClosed",
)

Text = Annotated[str, Field(min_length=1, pattern=r"\S")]
_IDS = UUID("5f0c1c52-8d5e-4a43-9a3e-3a34b6c0e2a1")  # namespace: stage ids are stable per name


class Stage(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Text
    description: str | None = None
    closes: bool = False  # an incident in this stage is CLOSED (incidentStatus, dateClosed)


class Workflow(BaseModel):
    """A named, ordered list of stages; the first is where every new incident starts."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Text
    stages: list[Stage] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_stages(self) -> Workflow:
        names = [s.name for s in self.stages]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"workflow {self.name!r} repeats stage(s) {', '.join(repeated)}")
        return self

    def stage_id(self, stage: Stage) -> str:
        return str(uuid5(_IDS, f"{self.name}\x1f{stage.name}"))

    def position(self, name: str) -> int | None:
        return next((n for n, s in enumerate(self.stages) if s.name == name), None)

    def stage_json(self, stage: Stage) -> dict[str, Any]:
        """A stage as the stage endpoint answers: `id`, `name`, `description`, `sequence`."""
        return {
            "id": self.stage_id(stage),
            "name": stage.name,
            "description": stage.description,
            "sequence": self.stages.index(stage) + 1,
            "workflowName": self.name,
        }


DEFAULT_WORKFLOW = Workflow(
    name="Incident Workflow",
    stages=[
        Stage(name="New"),
        Stage(name="Investigating"),
        Stage(name="Remediating"),
        Stage(name="Closed", closes=True),
    ],
)


def start_fields(workflow: Workflow) -> dict[str, Any]:
    """The read-model stage fields of a new incident: its workflow's first stage, OPEN."""
    return _stage_fields(workflow, workflow.stages[0], None)


def stage_fields_of(incident: dict[str, Any]) -> dict[str, Any]:
    """The stage fields of a stored incident: an update (PUT) keeps them."""
    return {name: incident.get(name) for name in STAGE_FIELDS}


def move_fields(workflow: Workflow, incident: dict[str, Any], target: str) -> dict[str, Any] | str:
    """The stage fields after moving `incident` to `target`, or why the move is refused."""
    current = workflow.position(str(incident.get("incidentStageName")))
    wanted = workflow.position(target)
    if wanted is None:
        known = ", ".join(s.name for s in workflow.stages)
        return f"stage {target!r} is not in workflow {workflow.name!r} (its stages: {known})"
    if current is not None and wanted == current:
        return f"the incident is already in stage {target!r}"
    if current is not None and wanted < current:
        current_name = workflow.stages[current].name
        return f"workflow {workflow.name!r} cannot move back from {current_name!r} to {target!r}"
    closed = incident.get("dateClosed") or _now()
    return _stage_fields(workflow, workflow.stages[wanted], closed)


def _stage_fields(workflow: Workflow, stage: Stage, closed_at: str | None) -> dict[str, Any]:
    return {
        "workflowName": workflow.name,
        "incidentStageName": stage.name,
        "incidentStageId": workflow.stage_id(stage),
        "incidentStatus": "CLOSED" if stage.closes else "OPEN",
        "dateClosed": closed_at if stage.closes else None,
    }


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
