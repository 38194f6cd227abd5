"""The law registry: every gateway, condition and named check the rules engine knows.

accord's own law files are registered exactly as a third party's would be: build a
:class:`LawRegistry`, add records or load YAML files into it, then :meth:`~LawRegistry.freeze`
it. Nothing is registered at import time. A record without a citation or source URL cannot be
registered, and a gateway naming a precondition check the registry does not hold is refused.

>>> from accord.law import builtin_registry
>>> reg = builtin_registry()
>>> reg.gateway("copi_reg3_4_notice").legislation_id
'uksi/2002/1438/regulation/3'
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from accord.errors import ConfigError, NotFound, Problem
from accord.law.records import (
    AnnexCondition,
    Art6Rule,
    Art9Rule,
    CcaRefusalGround,
    Citation,
    CldcRule,
    DeaObjective,
    DpiaTrigger,
    DsptStatusRule,
    Gateway,
    Sch1Paragraph,
)
from accord.model.enums import Art6Basis, Art9Condition, ConfidentialityBasis, DsptStatus

if TYPE_CHECKING:
    from accord.law.context import Context
    from accord.law.findings import Finding
    from accord.model.agreement import Purpose

PreconditionCheck = Callable[["Context", Gateway, Mapping[str, Any]], "Iterable[Finding]"]
DpiaDetector = Callable[["Context"], "str | None"]
# Finds an Annex 1/2 condition for one purpose of the agreement: a short reason, or None.
ConditionDetector = Callable[["Context", "Purpose"], "str | None"]
R = TypeVar("R", bound=BaseModel)

# The data files of a law directory and the record type each holds (a YAML list of records).
DATA_FILES: dict[str, type[BaseModel]] = {
    "citations.yaml": Citation,
    "art6.yaml": Art6Rule,
    "art9.yaml": Art9Rule,
    "sch1.yaml": Sch1Paragraph,
    "cldc.yaml": CldcRule,
    "dpia_triggers.yaml": DpiaTrigger,
    "dea_objectives.yaml": DeaObjective,
    "dspt.yaml": DsptStatusRule,
    "cca_refusal_grounds.yaml": CcaRefusalGround,
    "annex1.yaml": AnnexCondition,
    "annex2.yaml": AnnexCondition,
}


def _where(source: str, loc: tuple[int | str, ...]) -> str:
    return f"{source}: " + (".".join(str(p) for p in loc) or "(record)")


def parse_record(model: type[R], data: Any, *, source: str) -> R:
    """Validate one record; on failure raise :class:`ConfigError` naming file and field."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = [Problem(_where(source, e["loc"]), e["msg"]) for e in exc.errors()]
        raise ConfigError(f"{source} is not a valid {model.__name__} record", problems) from None


def read_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"law file not found: {path.name}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path.name}: line {mark.line + 1}" if mark else path.name
        raise ConfigError(
            f"{path.name} is not valid YAML", [Problem(where, str(getattr(exc, "problem", exc)))]
        ) from None


class LawRegistry:
    """A mutable-until-frozen collection of law records and named checks."""

    def __init__(self) -> None:
        self._frozen = False
        self._gateways: dict[str, Gateway] = {}
        self._preconditions: dict[str, PreconditionCheck] = {}
        self._detectors: dict[str, DpiaDetector] = {}
        self._condition_detectors: dict[str, ConditionDetector] = {}
        self._annex: dict[tuple[int, str], AnnexCondition] = {}
        self._citations: dict[str, Citation] = {}
        self._art6: dict[Art6Basis, Art6Rule] = {}
        self._art9: dict[Art9Condition, Art9Rule] = {}
        self._sch1: dict[int, Sch1Paragraph] = {}
        self._cldc: dict[ConfidentialityBasis, CldcRule] = {}
        self._dpia: dict[str, DpiaTrigger] = {}
        self._dea: dict[str, DeaObjective] = {}
        self._dspt: dict[DsptStatus, DsptStatusRule] = {}
        self._cca: dict[str, CcaRefusalGround] = {}

    # -- registration -------------------------------------------------------------------------

    def _writable(self) -> None:
        if self._frozen:
            raise ConfigError("this law registry is frozen; build a new one to add records")

    def freeze(self) -> LawRegistry:
        """Check cross-references, then refuse further changes. Returns ``self``."""
        self.validate()
        self._frozen = True
        return self

    @property
    def frozen(self) -> bool:
        return self._frozen

    def add_precondition(self, name: str, check: PreconditionCheck) -> None:
        self._writable()
        if name in self._preconditions:
            raise ConfigError(f"precondition check {name!r} is registered twice")
        self._preconditions[name] = check

    def add_dpia_detector(self, name: str, detector: DpiaDetector) -> None:
        self._writable()
        if name in self._detectors:
            raise ConfigError(f"DPIA detector {name!r} is registered twice")
        self._detectors[name] = detector

    def add_condition_detector(self, name: str, detector: ConditionDetector) -> None:
        self._writable()
        if name in self._condition_detectors:
            raise ConfigError(f"condition detector {name!r} is registered twice")
        self._condition_detectors[name] = detector

    def add_gateway(self, gateway: Gateway, *, source: str = "(code)") -> None:
        self._writable()
        if gateway.id in self._gateways:
            raise ConfigError(
                f"gateway {gateway.id!r} is registered twice",
                [Problem(f"{source}: id", "another gateway already has this id")],
            )
        unknown = [p.check for p in gateway.preconditions if p.check not in self._preconditions]
        if unknown:
            raise ConfigError(
                f"gateway {gateway.id!r} names unknown precondition checks",
                [Problem(f"{source}: preconditions", f"unknown check {u!r}") for u in unknown],
            )
        self._gateways[gateway.id] = gateway

    def add_gateway_file(self, path: Path) -> Gateway:
        gateway = parse_record(Gateway, read_yaml(path), source=path.name)
        if path.stem != gateway.id:
            raise ConfigError(
                f"{path.name} holds gateway {gateway.id!r}",
                [Problem(f"{path.name}: id", "a gateway file is named after its id")],
            )
        self.add_gateway(gateway, source=path.name)
        return gateway

    def add_gateway_directory(self, directory: Path) -> list[Gateway]:
        return [self.add_gateway_file(p) for p in sorted(directory.glob("*.yaml"))]

    def add_record(self, record: BaseModel, *, source: str = "(code)") -> None:
        """Register one non-gateway record (Art 6 basis, Sch 1 paragraph, citation, ...)."""
        self._writable()
        table, key = self._table_for(record)
        if key in table:
            raise ConfigError(
                f"{type(record).__name__} {key!r} is registered twice",
                [Problem(source, "duplicate record")],
            )
        table[key] = record

    def _table_for(self, record: BaseModel) -> tuple[dict[Any, Any], Any]:
        match record:
            case Citation():
                return self._citations, record.id
            case Art6Rule():
                return self._art6, record.basis
            case Art9Rule():
                return self._art9, record.condition
            case Sch1Paragraph():
                return self._sch1, record.paragraph
            case CldcRule():
                return self._cldc, record.basis
            case DpiaTrigger():
                return self._dpia, record.id
            case DeaObjective():
                return self._dea, record.id
            case DsptStatusRule():
                return self._dspt, record.status
            case CcaRefusalGround():
                return self._cca, record.id
            case AnnexCondition():
                return self._annex, (record.annex, record.id)
        raise ConfigError(f"{type(record).__name__} is not a law record type")

    def add_data_file(self, path: Path) -> int:
        model = DATA_FILES.get(path.name)
        if model is None:
            raise ConfigError(
                f"{path.name} is not a known law data file",
                [Problem(path.name, f"expected one of {', '.join(DATA_FILES)}")],
            )
        data = read_yaml(path)
        if not isinstance(data, list):
            raise ConfigError(f"{path.name} must be a YAML list of records")
        for i, item in enumerate(data):
            self.add_record(parse_record(model, item, source=f"{path.name}: {i}"), source=path.name)
        return len(data)

    def add_data_directory(self, directory: Path) -> None:
        for name in DATA_FILES:
            path = directory / name
            if path.exists():
                self.add_data_file(path)

    def validate(self) -> None:
        """Raise :class:`ConfigError` if records refer to things the registry lacks."""
        problems: list[Problem] = []
        for obj in self._dea.values():
            if obj.gateway not in self._gateways:
                problems.append(
                    Problem(f"dea objective {obj.id}", f"unknown gateway {obj.gateway}")
                )
        for rule in self._cldc.values():
            for g in rule.requires_gateway_any:
                if g not in self._gateways:
                    problems.append(Problem(f"cldc basis {rule.basis}", f"unknown gateway {g}"))
        for trig in self._dpia.values():
            if trig.detector not in self._detectors:
                problems.append(
                    Problem(f"dpia trigger {trig.id}", f"unknown detector {trig.detector}")
                )
        for rule9 in self._art9.values():
            for para in rule9.sch1_paragraphs:
                if para not in self._sch1:
                    problems.append(
                        Problem(f"art9 {rule9.condition}", f"no Sch 1 paragraph {para}")
                    )
        for cond in self._annex.values():
            if cond.detector not in self._condition_detectors:
                problems.append(
                    Problem(
                        f"annex {cond.annex} condition {cond.id}",
                        f"unknown detector {cond.detector}",
                    )
                )
        if self._dspt:
            problems += [
                Problem("dspt.yaml", f"no rule for the DSPT status {s.value}")
                for s in DsptStatus
                if s not in self._dspt
            ]
        if problems:
            raise ConfigError("the law registry has dangling references", problems)

    # -- lookups ------------------------------------------------------------------------------

    def gateway(self, gateway_id: str) -> Gateway:
        try:
            return self._gateways[gateway_id]
        except KeyError:
            raise NotFound(f"no legal gateway {gateway_id!r} is registered") from None

    def has_gateway(self, gateway_id: str) -> bool:
        return gateway_id in self._gateways

    @property
    def gateways(self) -> tuple[Gateway, ...]:
        return tuple(self._gateways.values())

    def precondition(self, name: str) -> PreconditionCheck:
        return self._preconditions[name]

    def detector(self, name: str) -> DpiaDetector:
        return self._detectors[name]

    def condition_detector(self, name: str) -> ConditionDetector:
        return self._condition_detectors[name]

    def annex_conditions(self, annex: int) -> tuple[AnnexCondition, ...]:
        """The conditions of UK GDPR Annex 1 or Annex 2, in file order."""
        return tuple(c for (n, _), c in self._annex.items() if n == annex)

    def citation(self, citation_id: str) -> Citation:
        try:
            return self._citations[citation_id]
        except KeyError:
            raise NotFound(f"no citation {citation_id!r} is registered") from None

    def art6(self, basis: Art6Basis) -> Art6Rule:
        return self._art6[basis]

    def art9(self, condition: Art9Condition) -> Art9Rule:
        return self._art9[condition]

    def sch1(self, paragraph: int) -> Sch1Paragraph | None:
        return self._sch1.get(paragraph)

    def cldc(self, basis: ConfidentialityBasis) -> CldcRule:
        return self._cldc[basis]

    @property
    def dpia_triggers(self) -> tuple[DpiaTrigger, ...]:
        return tuple(self._dpia.values())

    def dea_objective(self, objective_id: str) -> DeaObjective | None:
        return self._dea.get(objective_id)

    @property
    def dea_objectives(self) -> tuple[DeaObjective, ...]:
        return tuple(self._dea.values())

    def dspt(self, status: DsptStatus | str) -> DsptStatusRule:
        """What a DSPT status means (``data/dspt.yaml``)."""
        try:
            return self._dspt[DsptStatus(status)]
        except (KeyError, ValueError):
            raise NotFound(f"no DSPT status {status!r} is registered") from None

    @property
    def dspt_statuses(self) -> tuple[DsptStatusRule, ...]:
        return tuple(self._dspt.values())

    @property
    def cca_refusal_grounds(self) -> tuple[CcaRefusalGround, ...]:
        return tuple(self._cca.values())

    def cca_refusal_ground(self, ground_id: str) -> CcaRefusalGround:
        try:
            return self._cca[ground_id]
        except KeyError:
            known = ", ".join(self._cca)
            raise NotFound(f"no CCA refusal ground {ground_id!r}; known: {known}") from None

    def records(self) -> Iterable[BaseModel]:
        """Every registered record (for documentation and the citation test)."""
        for table in (
            self._gateways,
            self._citations,
            self._art6,
            self._art9,
            self._sch1,
            self._cldc,
            self._dpia,
            self._dea,
            self._dspt,
            self._cca,
            self._annex,
        ):
            yield from table.values()
