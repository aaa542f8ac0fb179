"""The register's credit columns (credit_record_id, and when and by which document a line went on
the abnormal-activity or serious-dishonesty list), folded per `apply` and written in one statement:
a sweep's save opens and lists 500 credit records, which were 1,000 UPDATEs of the register, each
a statement and a new version of its row. Only these events touch these columns, so writing them
after the apply's other statements changes nothing they read or write."""

from __future__ import annotations

from typing import Any

from infra.database import Tx

_LISTS = ("abnormal", "serious")
_COLUMNS = tuple(f"{name}_{what}" for name in _LISTS for what in ("since", "document_no"))
_VALUES = ("id", "credit_record_id", *_COLUMNS, *(f"{c}_set" for c in _COLUMNS))
_FLAGS = {f"{c}_set": "boolean" for c in _COLUMNS}
# Each column ends up either kept with a value for it if it has none (a listing: COALESCE), or set
# (a removal clears it; a listing after that sets it).
_ASSIGNMENTS = ", ".join(
    [
        "credit_record_id = COALESCE(v.credit_record_id, t.credit_record_id)",
        *(f"{c} = CASE WHEN v.{c}_set THEN v.{c} ELSE COALESCE(t.{c}, v.{c}) END" for c in _COLUMNS),
    ]
)


class CreditColumns:
    def __init__(self) -> None:
        self.opened: dict[str, str] = {}  # credit record -> its organization, opened in this apply
        self.columns: dict[str, dict[str, tuple[bool, Any]]] = {}  # record -> column -> (set, value)

    def add(self, e: Any) -> None:
        record = str(e.originator_id)
        columns = self.columns.setdefault(record, {})
        kind = type(e).__name__
        if kind == "Opened":
            self.opened[record] = str(e.organization_id)
            return
        name = e.list_name.value
        if kind == "Removed":
            columns[f"{name}_since"] = columns[f"{name}_document_no"] = (True, None)
            return
        listed = {f"{name}_since": e.ground.on.isoformat(), f"{name}_document_no": e.ground.ref or e.provenance.basis.document_no}
        for column, value in listed.items():  # COALESCE(COALESCE(x, a), b) is COALESCE(x, COALESCE(a, b))
            is_set, before = columns.get(column, (False, None))
            columns[column] = (is_set, before if before is not None else value)

    def write(self, tx: Tx) -> None:
        """The lines of records opened here found by organization, the others by their record."""
        opened: list[tuple[Any, ...]] = []
        others: list[tuple[Any, ...]] = []
        for record, columns in self.columns.items():
            found = [columns.get(c, (False, None)) for c in _COLUMNS]
            row = (self.opened.get(record), record, *(v for _, v in found), *(s for s, _ in found))
            (opened if record in self.opened else others).append(row)
        tx.update_rows("sl_register", _VALUES, opened, _ASSIGNMENTS, "t.id = v.id", _FLAGS)
        tx.update_rows("sl_register", _VALUES, others, _ASSIGNMENTS, "t.credit_record_id = v.credit_record_id", _FLAGS)


def write_one(tx: Tx, e: Any) -> None:
    """One event on its own (the handler's path outside an `apply`)."""
    columns = CreditColumns()
    columns.add(e)
    columns.write(tx)
