"""Data items and flows: the enforceable part of an agreement (§a.3 DataItem, Flow).

A flow names one recipient and says exactly what reaches it: the projected data items, a row
filter in accord's small predicate language (``accord.model.predicate``, never evaluated as
Python), and an ordered list of transforms.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from accord.model._base import Part
from accord.model.enums import (
    AccessMethod,
    AgeBand,
    Classification,
    DeliveryFormat,
    DisclosureProfile,
    Frequency,
    Identifiability,
    ItemTransform,
    KeyScope,
    Location,
    OnwardSharing,
    PostcodeLevel,
    PushMethod,
    Standard,
    TransferMethod,
)
from accord.model.ids import OrgId
from accord.model.legal import OptOutDecision

FIELD_NAME = r"^[a-z][a-z0-9_]{0,62}$"
# A MESH workflow id as NHS England registers them (letters, digits, underscores, hyphens).
MESH_WORKFLOW_ID = r"^[A-Za-z0-9_-]{1,64}$"


class DataItem(Part):
    name: str = Field(pattern=FIELD_NAME)
    description: str = ""
    classification: Classification
    standard: Standard | None = None
    # Frictionless Table Schema field descriptor (type, format, constraints).
    table_schema: dict[str, Any] = Field(default_factory=lambda: {"type": "string"})
    justification: str = Field(min_length=1)
    transform: ItemTransform = ItemTransform.none
    # Whether this item concerns a child (drives the children's-data rule).
    about_children: bool = False

    @model_validator(mode="after")
    def _schema_type_known(self) -> DataItem:
        allowed = {"string", "integer", "number", "boolean", "date", "datetime", "year"}
        kind = self.table_schema.get("type", "string")
        if not isinstance(kind, str) or kind not in allowed:
            raise ValueError(f"table_schema.type must be one of {sorted(allowed)}")
        return self


class Pseudonymise(Part):
    op: Literal["pseudonymise"] = "pseudonymise"
    field: str = Field(pattern=FIELD_NAME)
    key_scope: KeyScope = KeyScope.recipient


class Generalise(Part):
    op: Literal["generalise"] = "generalise"
    field: str = Field(pattern=FIELD_NAME)
    to: AgeBand = AgeBand.age_band_5y


class PostcodeTo(Part):
    op: Literal["postcode_to"] = "postcode_to"
    field: str = Field(pattern=FIELD_NAME)
    level: PostcodeLevel = PostcodeLevel.lsoa


class Drop(Part):
    op: Literal["drop"] = "drop"
    field: str = Field(pattern=FIELD_NAME)


class SuppressSmall(Part):
    op: Literal["suppress_small"] = "suppress_small"
    profile: DisclosureProfile = DisclosureProfile.nhs_secondary_care


class DisclosureFigures(Part):
    """The figures of a custom disclosure-control profile, and the rule they follow.

    Counts of ``suppress_at_or_below`` or fewer are withheld (zeros too when ``zeros`` is
    ``suppress``); published counts are rounded to the nearest multiple of ``round_to``, or to
    the midpoint of their band of ``round_to`` (``rounding: midpoint``, OpenSAFELY's midpoint
    6); totals come from the true values (then controlled like any cell) or from the published
    cells. ``source`` names the rule, policy or decision the figures follow; it is published
    with every table made under them.
    """

    suppress_at_or_below: int = Field(ge=0, le=1000)
    zeros: Literal["keep", "suppress"] = "keep"
    round_to: int | None = Field(default=None, ge=1, le=1000)
    rounding: Literal["nearest", "midpoint"] = "nearest"
    totals: Literal["from_true", "from_published"] = "from_true"
    source: str = Field(min_length=3, max_length=500)

    @model_validator(mode="after")
    def _rounding(self) -> DisclosureFigures:
        if self.rounding == "midpoint" and self.round_to is None:
            raise ValueError("midpoint rounding needs round_to")
        if not self.source.strip():
            raise ValueError("source names the rule the figures follow")
        return self


class Measure(Part):
    """A measure of the people each cell counts, published beside the count: the ``sum`` or
    ``mean`` of a numeric field, or the ``rate`` per ``per`` of a yes/no field (those for whom
    it is true, over those counted). It is withheld where its count is, where it rests on too
    few values, where a dominance rule of the profile holds, and on a total that covers a
    withheld one (``accord.disclosure.measures``)."""

    kind: Literal["sum", "mean", "rate"]
    field: str = Field(min_length=1)
    per: Literal[100, 1000, 100000] | None = None

    @model_validator(mode="after")
    def _per(self) -> Measure:
        if (self.kind == "rate") != (self.per is not None):
            raise ValueError("a rate gives its per (100, 1000 or 100000); a sum or mean does not")
        return self

    @property
    def column(self) -> str:
        """The delivered column: ``sum_<field>``, ``mean_<field>``, ``rate_<field>_per_<per>``."""
        if self.kind == "rate":
            return f"rate_{self.field}_per_{self.per}"
        return f"{self.kind}_{self.field}"


class Aggregate(Part):
    """The flow leaves as counts of people by one to four of its fields, never as rows.

    The engine groups the flow's rows (after routing, opt-outs and transforms, so a date of
    birth can be counted as an age band and a postcode as an area) and applies the
    disclosure-control ``profile`` (default: the agreement's, else NHS secondary care) before
    the table leaves; with ``totals`` the table carries its row, column and grand totals (by
    three or four fields, every marginal table: by each pair of fields, each field, and all).
    """

    group_by: list[str] = Field(min_length=1, max_length=4)
    profile: DisclosureProfile | None = None
    totals: bool = True
    # The figures of a custom profile (``profile: custom``, or the agreement's).
    custom_profile: DisclosureFigures | None = None
    measures: list[Measure] = Field(default_factory=list, max_length=8)

    @model_validator(mode="after")
    def _distinct(self) -> Aggregate:
        if len(set(self.group_by)) != len(self.group_by):
            raise ValueError("group_by names a field twice")
        if self.custom_profile is not None and self.profile not in (
            None,
            DisclosureProfile.custom,
        ):
            raise ValueError("custom_profile figures go with profile custom, not a packaged one")
        if self.profile is DisclosureProfile.custom and self.custom_profile is None:
            raise ValueError("profile custom needs its figures in custom_profile")
        columns = [m.column for m in self.measures]
        if len(set(columns)) != len(columns):
            raise ValueError("measures names the same measure twice")
        if any(m.field in self.group_by for m in self.measures):
            raise ValueError("a measure is of a field the table does not count by")
        return self


Transform = Annotated[
    Pseudonymise | Generalise | PostcodeTo | Drop | SuppressSmall, Field(discriminator="op")
]


class Flow(Part):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,80}$")
    recipient: OrgId
    dataset: str | None = None
    projection: list[str] = Field(min_length=1)
    row_filter: str = Field(min_length=1)
    transforms: list[Transform] = Field(default_factory=list)
    identifiability: Identifiability = Identifiability.identifiable
    opt_outs: OptOutDecision | None = None
    frequency: Frequency = Frequency.daily
    access_method: AccessMethod = AccessMethod.ongoing
    transfer_method: TransferMethod = TransferMethod.api
    onward_sharing: OnwardSharing = OnwardSharing.prohibited
    linkage_permitted: list[str] = Field(default_factory=list)
    start: datetime | None = None
    end: datetime | None = None
    location: Location = Location.uk_only
    delivery_format: DeliveryFormat = DeliveryFormat.parquet
    # Counts instead of rows (the aggregate output stage), or None for a record-level flow.
    aggregate: Aggregate | None = None
    # Sent to the recipient after each run (``accord.service.push``), or None: pulled only.
    push: PushMethod | None = None
    # The MESH workflow id the message travels under; required with ``push: mesh``.
    mesh_workflow_id: str | None = Field(default=None, pattern=MESH_WORKFLOW_ID)

    @model_validator(mode="after")
    def _consistent(self) -> Flow:
        if len(set(self.projection)) != len(self.projection):
            raise ValueError("projection lists a data item twice")
        if self.aggregate is not None and not set(self.aggregate.group_by) <= set(self.projection):
            raise ValueError("aggregate.group_by names a field outside the projection")
        if self.aggregate is not None and not {m.field for m in self.aggregate.measures} <= set(
            self.projection
        ):
            raise ValueError("aggregate.measures names a field outside the projection")
        if self.start and self.end and self.end <= self.start:
            raise ValueError("end must be after start")
        if self.push is PushMethod.mesh:
            if self.mesh_workflow_id is None:
                raise ValueError("push: mesh needs the flow's mesh_workflow_id")
            if self.transfer_method is not TransferMethod.mesh:
                raise ValueError("push: mesh needs transfer_method: mesh")
        elif self.mesh_workflow_id is not None:
            raise ValueError("mesh_workflow_id is only for a flow with push: mesh")
        return self
