"""One save of many aggregates with several events each (a migration, a sweep's chunk) on both
databases: the events, their integrity links and every read model commit together, and every
read model's position is the head of the log afterwards."""

from __future__ import annotations

from datetime import date

from application.queries.register import RegisterQuery
from domain.organization import Organization
from tests.integration.helpers import REGISTRAR, code, profile


def test_saving_hundreds_of_aggregates_at_once_keeps_links_and_read_models(system, clock) -> None:
    for start in (0, 600):
        batch = [
            Organization.register(
                id=system.ids.new_id(),
                profile=profile(f"批量登记协会{n}"),
                code=code(n),
                registered_on=date(2015, 1, 1),
                provenance=REGISTRAR.provenance(clock.now()),
            )
            for n in range(start, start + 600)
        ]
        system.store.save(*batch)
        for org in batch:  # several events per aggregate, as a migration or a sweep writes them
            org.rename(f"批量登记协会{org.code}甲", REGISTRAR.provenance(clock.now()))
            org.rename(f"批量登记协会{org.code}改", REGISTRAR.provenance(clock.now()))
            org.suspend(REGISTRAR.provenance(clock.now()))
        system.store.save(*batch)
    assert system.register_view.search(RegisterQuery(text="批量登记协会", per_page=1)).total == 1200
    assert system.register_view.search(RegisterQuery(text="改", per_page=1)).total == 1200
    positions = {p.name: p.position() for p in system.projections}
    assert set(positions.values()) == {int(system.store.recorder.max_notification_id())}
    assert system.integrity.verify().ok
