"""异议 from the public on a result under announcement: filed without signing in (throttled per
address), answered with a reference number the objector looks the state up by, decided by the
case's chair or a registrar with reasons; the result is confirmed only once all are decided."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import msgspec

from application.context import CommandContext
from application.documents import accept
from application.errors import NotFound, TooFrequent
from application.evaluations import Evaluations
from application.ports import CasesView, DocumentStore, DocumentUpload, LoginThrottle
from application.rights import authorize
from application.throttling import filings_left
from application.usecases import UseCases
from domain.documents import Attached, slot
from domain.evaluation import Evaluation
from domain.objections import reference_for


class ObjectionState(msgspec.Struct, frozen=True):
    """What the objector (anyone holding the reference) may read: no names, no contacts."""

    reference: str
    case_id: UUID
    organization_name: str | None
    received_on: str
    state: str  # open | upheld | dismissed
    decided_on: str | None
    reasons: str


class Objections(UseCases):
    def __init__(
        self,
        *args: Any,
        evaluations: Evaluations,
        view: CasesView,
        documents: DocumentStore,
        throttle: LoginThrottle,
        per_hour: int,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.evaluations = evaluations
        self.view = view
        self.documents = documents
        self.throttle = throttle
        self.per_hour = per_hour

    def file(
        self,
        ctx: CommandContext,
        evaluation_id: UUID,
        objector: str,
        contact: str,
        grounds: str,
        address: str | None,
    ) -> str:
        """The objection recorded on the case; its reference (material follows with `attach`)."""
        authorize(ctx, "objections.file", set())
        key = f"objection:{address or 'unknown'}"
        self._not_too_frequent(key)
        reference = reference_for(self.ids.new_id())

        def record() -> Evaluation:
            evaluation = self.evaluations.evaluation(evaluation_id)
            evaluation.receive_objection(reference, objector, contact, grounds, self.store.today(), self._at(ctx))
            return self._save(evaluation)

        self._retrying(None, record)
        self.throttle.record_failure([key], self.clock.now())  # counts filings, not typing mistakes
        return reference

    def attach(self, ctx: CommandContext, reference: str, upload: DocumentUpload, file_name: str) -> Attached:
        """The objector's material, while the objection is open: the reference is what entitles them."""
        authorize(ctx, "objections.attach", set())
        found = self.view.objection(reference.strip().upper())
        if found is None or not found.open:
            raise NotFound("objection", reference[:40])
        kind = slot("objection_grounds")
        ref = accept(self.documents, upload, kind.key, file_name, kind.types)

        def attach() -> Evaluation:
            evaluation = self.evaluations.evaluation(found.case_id)
            evaluation.attach_document(kind, f"objection:{found.reference}", ref, self._at(ctx))
            return self._save(evaluation)

        saved = self._retrying(None, attach)
        subject = f"objection:{found.reference}"
        return next(a for a in reversed(saved.documents) if a.subject == subject and a.document.sha256 == ref.sha256)

    def decide(self, ctx: CommandContext, evaluation_id: UUID, reference: str, upheld: bool, reasons: str) -> Evaluation:
        """The case's chair or a registrar decides, with reasons either way."""

        def decide() -> Evaluation:
            evaluation = self.evaluations.evaluation(evaluation_id)
            authorize(ctx, "objections.decide", self.evaluations.relations(ctx, evaluation))
            evaluation.decide_objection(reference, upheld, reasons, self.store.today(), self._at(ctx))
            return self._save(evaluation)

        return self._retrying(None, decide)

    def state(self, reference: str) -> ObjectionState:
        """Looked up by the reference alone: what was decided, when and why."""
        found = self.view.objection(reference.strip().upper())
        if found is None:
            raise NotFound("objection", reference[:40])
        evaluation = self.evaluations.evaluation(found.case_id)
        objection = next(o for o in evaluation.objections if o.reference == found.reference)
        state = "open" if objection.open else "upheld" if objection.upheld else "dismissed"
        return ObjectionState(
            objection.reference,
            evaluation.id,
            found.organization_name,
            objection.received_on.isoformat(),
            state,
            objection.decided_on.isoformat() if objection.decided_on else None,
            objection.reasons,
        )

    def _not_too_frequent(self, key: str) -> None:
        if not filings_left(self.throttle, key, self.clock.now(), self.per_hour):
            raise TooFrequent(
                "objection.throttled",
                f"提交过于频繁:每个网络地址每小时最多提交{self.per_hour}份异议,请稍后再试",
                f"Too many objections from this address: at most {self.per_hour} an hour; try again later",
            )
