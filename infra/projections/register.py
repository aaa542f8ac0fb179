"""The register read model (登记名册): one row per organization, kept from the
notification log exactly once: rows and the tracking position commit together."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from datetime import date, datetime
from typing import Any, ClassVar
from uuid import UUID

from application.queries.common import Page
from application.queries.register import RegisterEntry, RegisterQuery
from infra.database import Tx
from infra.projections.base import Handler, Projection, paged, rows_for_ids, update_row, utc
from infra.projections.register_credit import CreditColumns, write_one

NAME = "register"
_COLUMNS = (
    "id, name, org_type, track, status, code, filing_no, legal_representative, district, division_code, "
    "supervising_unit, is_hub, hub_id, member_count, public_benefit, community_level, party_branch, "
    "registered_on, grade, grade_valid_from, grade_valid_until, version, updated_at, abnormal_since, serious_since, "
    "status_document_no, status_reason, address, grade_document_no, abnormal_document_no, serious_document_no"
)
_SORTS = {
    "name": "name",
    "registered_on": "registered_on",
    "district": "district",
    "status": "status",
    "updated_at": "updated_at",
}


# status and grade columns after each event that changes them (the register and the register through time)
LINE_CHANGES: dict[str, Callable[[Any], dict[str, Any]]] = {
    "Suspended": lambda e: {"status": "suspended"},
    "Resumed": lambda e: {"status": "active"},
    "Deregistered": lambda e: {"status": "deregistered"},
    "RegistrationRevoked": lambda e: {"status": "revoked"},
    "GradeAwarded": lambda e: {"grade": e.level, "grade_valid_until": e.valid_until.isoformat()},
    "GradeMigrated": lambda e: {"grade": e.level, "grade_valid_until": e.valid_until.isoformat()},
    "GradeLowered": lambda e: {"grade": e.level},
    "GradeRevoked": lambda e: {"grade": None, "grade_valid_until": None},
    "GradeExpired": lambda e: {"grade": None, "grade_valid_until": None},
    # a decision corrected: the line as it was before it (in the register through time, from its day)
    "DecisionCorrected": lambda e: {
        "status": e.status.value,
        "grade": e.grade,
        "grade_valid_until": e.grade_valid_until.isoformat() if e.grade_valid_until else None,
    },
}


# the register shows the decision behind a status that is not 正常: its document number and grounds
def _status_basis(e: Any) -> dict[str, Any]:
    active = type(e).__name__ == "Resumed"
    basis = e.provenance.basis
    return {"status_document_no": None if active else basis.document_no, "status_reason": None if active else basis.reason}


STATUS_BASIS = {
    **dict.fromkeys(("Suspended", "Resumed", "Deregistered", "RegistrationRevoked"), _status_basis),
    "DecisionCorrected": lambda e: {"status_document_no": None, "status_reason": None},
}

# the number of the decision behind the grade (a committee's, or the old system's for a migrated one)
GRADE_DOCUMENT: dict[str, Callable[[Any], dict[str, Any]]] = {
    "GradeAwarded": lambda e: {"grade_document_no": e.provenance.basis.document_no or f"评估 {e.evaluation_id}"},
    "GradeMigrated": lambda e: {"grade_document_no": e.document_no},
    "GradeRevoked": lambda e: {"grade_document_no": None},
    "GradeExpired": lambda e: {"grade_document_no": None},
    "DecisionCorrected": lambda e: {} if e.grade else {"grade_document_no": None},
}


# the register also keeps the day an awarded grade takes effect (1 January after a December finalization)
VALID_FROM_CHANGES: dict[str, Callable[[Any], dict[str, Any]]] = {
    "GradeAwarded": lambda e: {"grade_valid_from": e.valid_from.isoformat()},
    "GradeMigrated": lambda e: {"grade_valid_from": e.valid_from.isoformat()},
    "GradeRevoked": lambda e: {"grade_valid_from": None},
    "GradeExpired": lambda e: {"grade_valid_from": None},
    "DecisionCorrected": lambda e: {"grade_valid_from": e.grade_valid_from.isoformat() if e.grade_valid_from else None},
}


def normalise(text: str) -> str:
    """Search form: full-width → half-width, case folded (Chinese names match by substring)."""
    return unicodedata.normalize("NFKC", text).casefold()


def _search_text(*parts: str | None) -> str:
    return normalise(" ".join(p for p in parts if p))


class RegisterProjection(Projection):
    name = NAME
    version = 6  # 5: the status's basis; 6: the decision numbers of the grade and listings
    tables: ClassVar[dict[str, str]] = {
        "sl_register": """
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            org_type TEXT NOT NULL,
            track TEXT NOT NULL,
            status TEXT NOT NULL,
            code TEXT,
            filing_no TEXT,
            legal_representative TEXT NOT NULL,
            address TEXT NOT NULL,
            district TEXT NOT NULL,
            division_code TEXT NOT NULL,
            supervising_unit TEXT,
            is_hub INTEGER NOT NULL,
            hub_id TEXT,
            member_count INTEGER NOT NULL DEFAULT 0,
            public_benefit INTEGER NOT NULL,
            community_level INTEGER NOT NULL,
            party_branch INTEGER NOT NULL DEFAULT 0,
            registered_on TEXT,
            grade TEXT,
            grade_valid_from TEXT,
            grade_valid_until TEXT,
            version INTEGER NOT NULL,
            updated_at TEXT NOT NULL,
            search_text TEXT NOT NULL,
            credit_record_id TEXT,
            abnormal_since TEXT,
            serious_since TEXT,
            status_document_no TEXT,
            status_reason TEXT,
            grade_document_no TEXT,
            abnormal_document_no TEXT,
            serious_document_no TEXT""",
    }
    indexes = (
        "CREATE INDEX IF NOT EXISTS sl_register_name ON sl_register (name)",
        "CREATE INDEX IF NOT EXISTS sl_register_district ON sl_register (district, name)",
        "CREATE INDEX IF NOT EXISTS sl_register_division ON sl_register (division_code)",
        "CREATE INDEX IF NOT EXISTS sl_register_hub ON sl_register (hub_id)",
        "CREATE INDEX IF NOT EXISTS sl_register_credit ON sl_register (credit_record_id)",
        # the grade-expiry reminders' question, a day range over the graded: it read the whole register (3 s at a million)
        "CREATE INDEX IF NOT EXISTS sl_register_grade_expiry ON sl_register (grade_valid_until) WHERE grade IS NOT NULL",
    )
    topic_prefixes = ("domain.organization:Organization.", "domain.credit:CreditRecord.")

    def define_handlers(self) -> dict[str, Handler]:
        return {
            "Registered": self._entered,
            "Filed": self._entered,
            "PromotedToRegistration": self._promoted,
            "Renamed": self._renamed,
            "AddressChanged": lambda tx, e: self._set(tx, e, address=e.address),
            "LegalRepresentativeChanged": self._legal_representative_changed,
            "CharterAmended": lambda tx, e: self._set(tx, e),
            "CertificateIssued": lambda tx, e: self._set(tx, e),  # the line's version follows the organization's
            "PartyBranchEstablished": lambda tx, e: self._set(tx, e, party_branch=1),
            "DesignatedAsHub": lambda tx, e: self._set(tx, e, is_hub=1),
            "JoinedHub": self._joined_hub,
            "LeftHub": self._left_hub,
            **{name: self._line_changed(name) for name in LINE_CHANGES},
            # credit status (信用状态) beside the registration data; the details live in the compliance read model
            "CreditRecord.Opened": write_one,
            "Listed": write_one,
            "Removed": write_one,
        }

    def apply(self, tx: Tx, events: list[Any]) -> int:
        """The events in order, but the credit records' folded and written at the end (see
        infra/projections/register_credit.py)."""
        handled = self.handled(events, self.handlers)
        credit = CreditColumns()
        for handler, event in handled:
            if handler is write_one:
                credit.add(event)
            else:
                handler(tx, event)
        credit.write(tx)
        return len(handled)

    # -- event handlers --------------------------------------------------------
    def _line_changed(self, name: str) -> Handler:
        """An event that changes the register line: its columns, and where it says so the grade's
        validity and the basis of a status."""
        changes = [
            c for c in (LINE_CHANGES[name], VALID_FROM_CHANGES.get(name), STATUS_BASIS.get(name), GRADE_DOCUMENT.get(name)) if c
        ]
        return lambda tx, e: self._set(tx, e, **{k: v for change in changes for k, v in change(e).items()})

    def _entered(self, tx: Tx, e: Any) -> None:
        p = e.profile
        code = getattr(e, "code", None)
        filing_no = getattr(e, "filing_no", None)
        entered_on = getattr(e, "registered_on", None) or getattr(e, "filed_on", None)
        tx.execute(
            "INSERT INTO sl_register (id, name, org_type, track, status, code, filing_no, legal_representative, "
            "address, district, division_code, supervising_unit, is_hub, hub_id, member_count, public_benefit, "
            "community_level, party_branch, registered_on, version, updated_at, search_text) "
            "VALUES (?, ?, ?, ?, 'active', ?, ?, ?, ?, ?, ?, ?, ?, NULL, 0, ?, ?, 0, ?, ?, ?, ?)",
            (
                str(e.originator_id),
                p.name,
                p.org_type.value,
                "registered" if code else "filed",
                code,
                filing_no,
                p.legal_representative,
                p.address,
                p.district,
                p.division_code,
                p.supervising_unit,
                int(p.is_hub),
                int(p.public_benefit),
                int(p.community_level),
                entered_on.isoformat() if entered_on else None,
                e.originator_version,
                utc(e.timestamp),
                _search_text(p.name, code, filing_no, p.legal_representative, p.district),
            ),
        )

    def _set(self, tx: Tx, e: Any, **columns: Any) -> None:
        update_row(tx, "sl_register", e, **columns)

    def _refresh_search(self, tx: Tx, org_id: str) -> None:
        row = tx.execute(
            "SELECT name, code, filing_no, legal_representative, district FROM sl_register WHERE id = ?", (org_id,)
        ).one()
        if row:
            text = _search_text(*row.values())
            tx.execute("UPDATE sl_register SET search_text = ? WHERE id = ?", (text, org_id))

    def _promoted(self, tx: Tx, e: Any) -> None:
        self._set(tx, e, code=e.code, track="registered", registered_on=e.registered_on.isoformat())
        self._refresh_search(tx, str(e.originator_id))

    def _renamed(self, tx: Tx, e: Any) -> None:
        self._set(tx, e, name=e.name)
        self._refresh_search(tx, str(e.originator_id))

    def _legal_representative_changed(self, tx: Tx, e: Any) -> None:
        self._set(tx, e, legal_representative=e.legal_representative)
        self._refresh_search(tx, str(e.originator_id))

    def _joined_hub(self, tx: Tx, e: Any) -> None:
        self._set(tx, e, hub_id=str(e.hub_id))
        tx.execute("UPDATE sl_register SET member_count = member_count + 1 WHERE id = ?", (str(e.hub_id),))

    def _left_hub(self, tx: Tx, e: Any) -> None:
        self._set(tx, e, hub_id=None)
        tx.execute("UPDATE sl_register SET member_count = member_count - 1 WHERE id = ?", (str(e.hub_id),))

    # -- queries ----------------------------------------------------------------
    def get(self, organization_id: UUID) -> RegisterEntry | None:
        with self.db.transaction() as tx:
            row = tx.execute(f"SELECT {_COLUMNS} FROM sl_register WHERE id = ?", (str(organization_id),)).one()
        return _entry(row) if row else None

    def names(self, organization_ids: list[UUID]) -> dict[UUID, str]:
        rows = rows_for_ids(self.db, "SELECT id, name FROM sl_register WHERE id", organization_ids)
        return {UUID(r["id"]): r["name"] for r in rows}

    def districts(self) -> list[str]:
        with self.db.transaction() as tx:
            return [r["district"] for r in tx.execute("SELECT DISTINCT district FROM sl_register ORDER BY district").all()]

    def search(self, query: RegisterQuery) -> Page[RegisterEntry]:
        where, params = _filters(query)
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        order = f"{_SORTS[query.sort]} {'DESC' if query.descending else 'ASC'}, id"
        rows, total, page, per_page = paged(
            self.db, _COLUMNS, f"sl_register{clause}", params, order, query.page, query.per_page, 200
        )
        return Page(items=[_entry(r) for r in rows], total=total, page=page, per_page=per_page)


def _filters(q: RegisterQuery) -> tuple[list[str], list[Any]]:
    where: list[str] = []
    params: list[Any] = []
    for term in normalise(q.text or "").split():
        where.append("search_text LIKE ?")
        params.append(f"%{term}%")
    for column, value in (
        ("org_type", q.org_type),
        ("track", q.track),
        ("status", q.status),
        ("district", q.district),
        ("hub_id", str(q.hub_id) if q.hub_id else None),
    ):
        if value:
            where.append(f"{column} = ?")
            params.append(value)
    if q.division_prefix:
        where.append("division_code LIKE ?")
        params.append(f"{q.division_prefix}%")
    if q.credit_status:
        where.append(_CREDIT_FILTERS.get(q.credit_status, "1 = 0"))
    if q.is_hub is not None:
        where.append("is_hub = ?")
        params.append(int(q.is_hub))
    return where, params


_CREDIT_FILTERS = {
    "serious": "serious_since IS NOT NULL",
    "abnormal": "abnormal_since IS NOT NULL AND serious_since IS NULL",
    "none": "abnormal_since IS NULL AND serious_since IS NULL",
}


def _credit(row: dict[str, Any]) -> tuple[str, date | None]:
    for status in ("serious", "abnormal"):
        if row[f"{status}_since"]:
            return status, date.fromisoformat(row[f"{status}_since"])
    return "none", None


def _entry(row: dict[str, Any]) -> RegisterEntry:
    credit_status, credit_since = _credit(row)
    return RegisterEntry(
        id=UUID(row["id"]),
        name=row["name"],
        org_type=row["org_type"],
        track=row["track"],
        status=row["status"],
        code=row["code"],
        filing_no=row["filing_no"],
        legal_representative=row["legal_representative"],
        district=row["district"],
        division_code=row["division_code"],
        supervising_unit=row["supervising_unit"],
        is_hub=bool(row["is_hub"]),
        hub_id=UUID(row["hub_id"]) if row["hub_id"] else None,
        member_count=int(row["member_count"]),
        public_benefit=bool(row["public_benefit"]),
        community_level=bool(row["community_level"]),
        party_branch=bool(row["party_branch"]),
        registered_on=datetime.fromisoformat(row["registered_on"]).date() if row["registered_on"] else None,
        grade=row["grade"],
        grade_valid_until=date.fromisoformat(row["grade_valid_until"]) if row["grade_valid_until"] else None,
        grade_valid_from=date.fromisoformat(row["grade_valid_from"]) if row["grade_valid_from"] else None,
        version=int(row["version"]),
        updated_at=datetime.fromisoformat(row["updated_at"]),
        credit_status=credit_status,
        credit_since=credit_since,
        status_document_no=row["status_document_no"],
        status_reason=row["status_reason"],
        address=row["address"],
        abnormal_since=date.fromisoformat(row["abnormal_since"]) if row["abnormal_since"] else None,
        serious_since=date.fromisoformat(row["serious_since"]) if row["serious_since"] else None,
        grade_document_no=row["grade_document_no"],
        abnormal_document_no=row["abnormal_document_no"],
        serious_document_no=row["serious_document_no"],
    )
