"""Planning reminders: a pure function of the read models, the rule set's offsets and a date.
Nothing is stored here; issuing stores what planning finds."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import date, timedelta
from functools import lru_cache
from itertools import islice
from typing import Any, TypeVar
from uuid import UUID

from application.ports import PlanningView, RegisterView
from application.queries.compliance import CampaignRow
from application.reminders.notices import registrars
from application.usecases import UseCases
from domain.reminder import PlannedReminder
from domain.rules import RuleSet, add_years, reminder_offset

NAME_BATCH = 500  # organizations per name lookup
REGISTER_WINDOW = 1000  # register rows per query for a campaign's organizations that have not filed

# zh/en templates; the values come from planning.
TEXTS: dict[str, tuple[str, str]] = {
    "inspection_due": (
        "{name}:{year}年度工作报告应于{due}前报送登记管理机关({left})。",
        "{name}: the {year} annual report is due with the registration authority by {due} ({left}).",
    ),
    "inspection_overdue": (
        "{name}:{year}年度工作报告已于{due}逾期,已记为未参加年检,请尽快补报。",
        "{name}: the {year} annual report was due on {due} and is recorded as missed; please file it now.",
    ),
    "grade_expiring": (
        "{name}:评估等级{grade}将于{due}到期({left}),可申请重新评估。",
        "{name}: grade {grade} expires on {due} ({left}); you may apply for a new evaluation.",
    ),
    "scores_due": (
        "{name}的评估:您的评分表尚未提交,评分截止日为{due}({left})。",
        "Evaluation of {name}: your score sheet is not submitted; scores are due on {due} ({left}).",
    ),
    "scores_overdue": (
        "{name}的评估:评分已于{due}截止,仍有{count}份评分表未提交,请督促或按法定人数结束评分。",
        "Evaluation of {name}: scoring closed on {due} with {count} sheet(s) still open; chase them or close scoring "
        "with the quorum.",
    ),
    "announcement_ending": (
        "{name}的评估结果公示期将于{due}结束({left});如有异议请在此之前申请复核。",
        "The announcement period of {name}'s evaluation result ends on {due} ({left}); appeals must be filed before then.",
    ),
    "credit_escalation": (
        "{name}:列入活动异常名录将于{due}满{years}年并转入严重违法失信名单,请尽快履行义务并申请移出。",
        "{name}: on {due} the listing on the abnormal-activity list reaches {years} years and moves to the "
        "serious-dishonesty list; meet the obligation and apply for removal.",
    ),
    "milestone_due": (
        "{name}:项目“{title}”的{report}应于{due}前提交({left})。",
        "{name}: the {report_en} of the project '{title}' is due by {due} ({left}).",
    ),
    "milestone_overdue": (
        "{name}:项目“{title}”的{report}已于{due}逾期,请尽快提交;逾期可能影响后续拨款。",
        "{name}: the {report_en} of the project '{title}' was due on {due}; submit it now, later tranches wait for it.",
    ),
    "complaint_due": (
        "投诉举报{reference}(关于{name}):{step}应于{due}前作出({left})。",
        "Complaint {reference} (about {name}): its {step_en} is due by {due} ({left}).",
    ),
    "complaint_overdue": (
        "投诉举报{reference}(关于{name}):{step}已于{due}逾期,请尽快办理。",
        "Complaint {reference} (about {name}): its {step_en} was due on {due}; deal with it now.",
    ),
}
COMPLAINT_STEPS = {"triage": ("受理决定", "triage decision"), "answer": ("答复投诉人", "answer to the complainant")}
MILESTONE_NAMES = {"mid_term": ("中期报告", "mid-term report"), "closing": ("结项报告", "closing report")}
R = TypeVar("R", bound=tuple[Any, ...])  # a planning row, its organization's id first
OVERDUE_WINDOW_DAYS = 60  # an "overdue" reminder only for deadlines this recent (a new install does not spam)


def planned(
    kind: str, subject: UUID, recipient: str, period: str, offset: str, due: date, told_on: date, **values: object
) -> PlannedReminder:
    """`told_on` is the day the reminder is issued: a sweep catching up on an earlier day
    keeps that day's reminders (their ids) but says how the deadline stands now."""
    name = str(values.pop("name", ""))
    zh, en = _texts_around_name(kind, due, told_on, tuple(values.items()))
    return PlannedReminder(kind, subject, recipient, period, offset, due, name.join(zh), name.join(en))


@lru_cache(maxsize=256)
def _texts_around_name(
    kind: str, due: date, told_on: date, values: tuple[tuple[str, object], ...]
) -> tuple[list[str], list[str]]:
    """The kind's texts formatted once for all but the organization's name, split where the name
    goes: a sweep tells a million organizations the same deadline, and formatting both texts
    for each was half of planning a reminder. (A name is joined in as it is, braces and all.)"""
    zh, en = TEXTS[kind]
    left_zh, left_en = time_left(due, told_on)
    fixed = dict(values)
    return (
        zh.format(due=due, left=left_zh, name=_NAME, **fixed).split(_NAME),
        en.format(due=due, left=left_en, name=_NAME, **fixed).split(_NAME),
    )


_NAME = "\x00name\x00"  # where the name goes (a NUL never reaches a text: the input guard refuses it)


def time_left(due: date, told_on: date) -> tuple[str, str]:
    days = (due - told_on).days
    if days > 0:
        return f"还有{days}天", f"{days} days left" if days > 1 else "1 day left"
    if days == 0:
        return "今天截止", "due today"
    return f"已过期{-days}天", f"{-days} days overdue" if days < -1 else "1 day overdue"


class ReminderPlanning(UseCases):
    """Reads only. The ports are set by `Reminders` (application/reminders/__init__.py)."""

    planning: PlanningView
    register: RegisterView

    def plan(self, as_of: date) -> list[PlannedReminder]:
        self._rules_in_force(as_of)
        self.planning.catch_up()
        found = {p.id: p for p in self._planned(as_of)}
        return sorted(found.values(), key=lambda p: (p.kind, p.due_on, str(p.subject_id)))

    def _inspections(self, as_of: date, told_on: date) -> Iterator[PlannedReminder]:
        """A generator: at a million organizations the day's list is consumed in chunks, not held."""
        for campaign in self.planning.open_campaigns():
            offsets = self._rule_set(campaign.rule_set).reminders.inspection_due_days
            deadline = campaign.registration_authority_deadline
            offset = reminder_offset(deadline, offsets, as_of)
            if offset is None:
                continue
            for org_id, name in self._unfiled_on_deadline(campaign):
                yield planned(
                    "inspection_due",
                    org_id,
                    f"organization:{org_id}",
                    str(campaign.report_year),
                    str(offset),
                    deadline,
                    told_on,
                    name=name,
                    year=campaign.report_year,
                )
        yield from self._extended(as_of, told_on)
        missed = [m for m in self.planning.missed_inspections(as_of - timedelta(days=OVERDUE_WINDOW_DAYS)) if m.deadline < as_of]
        for (org_id, name), (_, year, deadline) in zip(self._named([m.organization_id for m in missed]), missed, strict=True):
            yield planned(
                "inspection_overdue",
                org_id,
                f"organization:{org_id}",
                str(year),
                "overdue",
                deadline,
                told_on,
                name=name,
                year=year,
            )

    def _extended(self, as_of: date, told_on: date) -> Iterator[PlannedReminder]:
        """延期: reminders counted from the granted deadline. Their occasion names that deadline, so a
        reminder planned for the campaign's date (or an earlier extension) is another one and is
        not sent for it; the campaign's reminders leave these organizations out."""
        extended = self.planning.extended_unfiled()
        for (org_id, name), row in zip(self._named([r.organization_id for r in extended]), extended, strict=True):
            rule_set = self._rule_set(row.rule_set) if row.rule_set else self.rules.for_division("000000", as_of)
            offset = reminder_offset(row.deadline, rule_set.reminders.inspection_due_days, as_of)
            if offset is None:
                continue
            yield planned(
                "inspection_due",
                org_id,
                f"organization:{org_id}",
                str(row.report_year),
                f"{offset}@{row.deadline}",
                row.deadline,
                told_on,
                name=name,
                year=row.report_year,
            )

    def _grades(self, as_of: date, told_on: date) -> Iterator[PlannedReminder]:
        rule_set_of = self._rule_sets_on(as_of)

        def expiring() -> Iterator[tuple[UUID, str, date, int]]:
            for org_id, grade, until, division in self.planning.grades_valid_until(as_of, as_of + timedelta(days=400)):
                offset = reminder_offset(until, rule_set_of(division).reminders.grade_expiring_days, as_of)
                if offset is not None:
                    yield org_id, grade, until, offset

        for (org_id, grade, until, offset), name in self._with_names(expiring()):
            yield planned(
                "grade_expiring",
                org_id,
                f"organization:{org_id}",
                f"{grade}:{until}",
                str(offset),
                until,
                told_on,
                name=name,
                grade=grade,
            )

    def _sheets(self, as_of: date, told_on: date) -> list[PlannedReminder]:
        found = []
        for case_id, user_id, deadline, rule_set, name in self.planning.unsubmitted_sheets(as_of, as_of + timedelta(days=60)):
            offset = reminder_offset(deadline, self._rule_set(rule_set).reminders.scores_due_days, as_of)
            if offset is not None:
                found.append(
                    planned(
                        "scores_due",
                        case_id,
                        f"user:{user_id}",
                        str(deadline),
                        str(offset),
                        deadline,
                        told_on,
                        name=name,
                    )
                )
        return found

    def _cases(self, as_of: date, told_on: date) -> list[PlannedReminder]:
        """The chair's overdue list the day after the scoring deadline; the announcement ending
        (for the organization, which may appeal, and the chair, who finalizes after it)."""
        found = []
        for case_id, chair, deadline, count, name in self.planning.overdue_sheets(
            as_of - timedelta(days=OVERDUE_WINDOW_DAYS), as_of
        ):
            found.append(
                planned(
                    "scores_overdue",
                    case_id,
                    f"user:{chair}",
                    str(deadline),
                    "overdue",
                    deadline,
                    told_on,
                    count=count,
                    name=name,
                )
            )
        for case_id, org_id, chair, ends, rule_set in self.planning.announcements(as_of, as_of + timedelta(days=60)):
            offset = reminder_offset(ends, self._rule_set(rule_set).reminders.announcement_ending_days, as_of)
            if offset is None:
                continue
            for recipient in (f"organization:{org_id}", f"user:{chair}"):
                found.append(
                    planned(
                        "announcement_ending",
                        case_id,
                        recipient,
                        str(ends),
                        str(offset),
                        ends,
                        told_on,
                        name=self._name(org_id),
                    )
                )
        return found

    def _credit(self, as_of: date, told_on: date) -> Iterator[PlannedReminder]:
        rule_set_of = self._rule_sets_on(as_of)

        def escalating() -> Iterator[tuple[UUID, date, int, date, int]]:
            for org_id, listed_on, division in self.planning.abnormal_listings():
                rule_set = rule_set_of(division)
                years = rule_set.credit.abnormal_escalation_years
                escalates = add_years(listed_on, years)
                offset = reminder_offset(escalates, rule_set.reminders.credit_escalation_days, as_of)
                if offset is not None and as_of < escalates:
                    yield org_id, listed_on, years, escalates, offset

        for (org_id, listed_on, years, escalates, offset), name in self._with_names(escalating()):
            yield planned(
                "credit_escalation",
                org_id,
                f"organization:{org_id}",
                str(listed_on),
                str(offset),
                escalates,
                told_on,
                name=name,
                years=years,
            )

    def _milestones(self, as_of: date, told_on: date) -> list[PlannedReminder]:
        """A running project's next report: N days before it is due, and once when it is overdue."""
        found = []
        open_ones = ((m[1], m) for m in self.planning.open_milestones())  # the organization first, for its name
        for (_, (project_id, org_id, title, milestone, due, division, extended)), name in self._with_names(open_ones):
            zh, en = MILESTONE_NAMES[milestone]
            values = {"name": name, "title": title, "report": zh, "report_en": en}
            recipient = f"organization:{org_id}"
            moved = f"@{due}" if extended else ""  # 延期: counted from the granted day, each one a new occasion
            offset = reminder_offset(due, self.rules.for_division(division, as_of).reminders.milestone_due_days, as_of)
            if offset is not None:
                found.append(
                    planned("milestone_due", project_id, recipient, milestone, f"{offset}{moved}", due, told_on, **values)
                )
            elif due < as_of <= due + timedelta(days=OVERDUE_WINDOW_DAYS):
                found.append(
                    planned("milestone_overdue", project_id, recipient, milestone, f"overdue{moved}", due, told_on, **values)
                )
        return found

    def _complaints(self, as_of: date, told_on: date) -> list[PlannedReminder]:
        """The registry's own deadlines on complaints: N days before triage or the answer is due, and
        once when it is overdue; to every registrar (whoever takes it up)."""
        found = []
        open_ones = ((c.organization_id, c) for c in self.planning.open_complaints(as_of + timedelta(days=400)))
        for (_, c), name in self._with_names(open_ones):
            zh, en = COMPLAINT_STEPS[c.step]
            values = {"reference": c.reference, "name": name, "step": zh, "step_en": en}
            period = f"{c.step}:{c.due}"  # a moved deadline is another occasion
            offsets = self.rules.for_division(c.division_code, as_of).reminders.complaint_due_days
            offset = reminder_offset(c.due, offsets, as_of)
            if offset is not None:
                found.append(
                    planned("complaint_due", c.complaint_id, registrars(), period, str(offset), c.due, told_on, **values)
                )
            elif c.due < as_of <= c.due + timedelta(days=OVERDUE_WINDOW_DAYS):
                found.append(
                    planned("complaint_overdue", c.complaint_id, registrars(), period, "overdue", c.due, told_on, **values)
                )
        return found

    def _planned(self, as_of: date) -> Iterator[PlannedReminder]:
        """Every reminder due as of the date, from every source, unsorted (a name may repeat).
        Their texts say how each deadline stands on the day they are issued (today, or the
        day itself if a plan is asked for ahead)."""
        told_on = max(as_of, self.store.today())
        sources = (self._inspections, self._grades, self._sheets, self._cases, self._credit, self._milestones, self._complaints)
        for source in sources:
            yield from source(as_of, told_on)

    def _rule_set(self, ref: str) -> RuleSet:
        rule_id, _, version = ref.partition("@")
        return self.rules.get(rule_id, int(version))

    def _name(self, org_id: UUID) -> str:
        entry = self.register.get(org_id)
        return entry.name if entry else str(org_id)

    def _unfiled_on_deadline(self, campaign: CampaignRow) -> Iterator[tuple[UUID, str]]:
        """The campaign's organizations that have not filed, with their names, a window of the
        register at a time: not the whole list held, nor each name looked up again."""
        after: UUID | None = None
        while True:
            found, after = self.planning.unfiled_on_deadline(
                campaign.division_prefix, campaign.report_year, after, REGISTER_WINDOW
            )
            yield from found
            if after is None:
                return

    def _rule_sets_on(self, as_of: date) -> Callable[[str], RuleSet]:
        """The rule set governing each division on the day, chosen once per division for one source
        of one sweep (a million listings share a few divisions; the catalog does not change)."""
        chosen: dict[str, RuleSet] = {}

        def rule_set_of(division: str) -> RuleSet:
            if division not in chosen:
                chosen[division] = self.rules.for_division(division, as_of)
            return chosen[division]

        return rule_set_of

    def _with_names(self, rows: Iterable[R]) -> Iterator[tuple[R, str]]:
        """Each row (its organization first) with the organization's name, read from the register a
        chunk at a time: a query per row was most of the time a credit or grade reminder took."""
        iterator = iter(rows)
        while chunk := list(islice(iterator, NAME_BATCH)):
            names = self.register.names([row[0] for row in chunk])
            for row in chunk:
                yield row, names.get(row[0], str(row[0]))

    def _named(self, org_ids: list[UUID]) -> Iterator[tuple[UUID, str]]:
        """Each organization with its name, read from the register a chunk at a time."""
        for (org_id,), name in self._with_names((org_id,) for org_id in org_ids):
            yield org_id, name
