"""The read models, each after those it reads. This one list creates their tables, drops and
rebuilds an outdated one (infra/schema.py), builds and wires them (infra/wiring.py), and orders
their catch-up and rebuild (the scheduler, `starledger projections rebuild`)."""

from __future__ import annotations

from infra.projections.base import Projection
from infra.projections.cases import CasesProjection
from infra.projections.complaints import ComplaintsProjection
from infra.projections.compliance import ComplianceProjection
from infra.projections.funding import FundingProjection
from infra.projections.register import RegisterProjection
from infra.projections.register_history import RegisterHistoryProjection
from infra.projections.register_totals import RegisterTotalsProjection
from infra.projections.reminders import ReminderProjection
from infra.projections.spot_checks import SpotChecksProjection

READ_MODELS: tuple[type[Projection], ...] = (
    RegisterProjection,
    CasesProjection,
    ComplianceProjection,
    ReminderProjection,
    FundingProjection,
    RegisterTotalsProjection,
    RegisterHistoryProjection,
    ComplaintsProjection,
    SpotChecksProjection,
)


def read_model_statements(dialect: str) -> list[str]:
    return [statement for kind in READ_MODELS for statement in kind.statements(dialect)]
