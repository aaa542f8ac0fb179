"""Who may see an evaluation case, for the API and the pages alike: the roles that may open a
case at all, the relation that lets one of them open this case, and who sees the panel's names."""

from __future__ import annotations

from uuid import UUID

from litestar.exceptions import PermissionDeniedException

from domain.evaluation import Evaluation
from domain.provenance import Role
from interfaces.common.security import Principal

CASE_ROLES = (Role.ADMIN, Role.REGISTRAR, Role.CHAIR, Role.EVALUATOR, Role.ORGANIZATION, Role.AUDITOR)


def reveals_names(principal: Principal, evaluation: Evaluation) -> bool:
    return principal.role in (Role.ADMIN, Role.REGISTRAR, Role.AUDITOR) or (
        principal.role is Role.CHAIR and principal.user_id == evaluation.chair_user_id
    )


def require_case_access(principal: Principal, evaluation: Evaluation, subject_organization: UUID) -> None:
    """Organizations see their own cases (and their projects'); evaluators the cases they sit on
    (not after recusal or replacement); chairs the cases they chair."""
    if principal.role is Role.ORGANIZATION and principal.organization_id != subject_organization:
        raise PermissionDeniedException("an organization sees only its own evaluations")
    sits = any(
        m.user_id == principal.user_id and m.expert_id not in evaluation.recused and m.expert_id not in evaluation.replaced
        for m in evaluation.panel
    )
    if principal.role is Role.EVALUATOR and not sits:
        raise PermissionDeniedException("an evaluator sees only the cases on which they sit")
    if principal.role is Role.CHAIR and principal.user_id != evaluation.chair_user_id and not sits:
        raise PermissionDeniedException("a chair sees only the cases they chair (or sit on)")
