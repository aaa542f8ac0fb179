"""Demo data a newcomer can click through: organizations from the seeds' cities
(Tongling, Baotou Qingshan, Chongqing Yuzhong, Rongcheng, Xuancheng), registered and
filed ones, hubs with members, and one user for every role.

The demo users share a password printed in the README, so demo data only ever goes into an
empty store or one created as a demo (its log holds the demo's first record, whose id is fixed);
any other store is refused."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Protocol
from uuid import UUID, uuid5

from application.accounts import Accounts, User
from application.context import CommandContext, system_context
from application.credit import CreditRecords
from application.demo_grades import graded_with_certificate
from application.evaluations import Evaluations
from application.event_store import EventStore
from application.funding import Funding
from application.inspections import Inspections
from application.organizations import Organizations
from application.ports import Clock, IntegrityView
from application.reminders import Reminders
from application.sample_documents import pdf
from application.spot_checks import SpotChecks
from application.subsidies import Subsidies
from domain.credit import Penalty, PenaltyKind
from domain.documents import SLOTS
from domain.errors import Conflict
from domain.evaluation import EvaluationKind
from domain.expert import Employment
from domain.funding import BudgetLine, ProjectApplication, RoundTerms
from domain.inspection import AnnualReport, Outcome
from domain.organization import OrganizationType as T
from domain.organization import Profile
from domain.provenance import Basis
from domain.uscc import complete_code

DEMO_PASSWORD = "starledger-demo"
_NS = UUID("5e5d1a52-8f3b-4c1e-9a0e-6d2b1c7e9f00")
_TYPE_DIGIT = {T.SOCIAL_ASSOCIATION: "1", T.PRIVATE_NON_ENTERPRISE: "2", T.FOUNDATION: "3"}


@dataclass(frozen=True)
class DemoOrg:
    key: str
    name: str
    org_type: T
    division: str
    district: str
    person: str
    address: str
    since: date
    serial: int | None = None  # registered with a credit code; None = filed
    filed_with: str = ""
    hub: bool = False
    member_of: str | None = None
    public_benefit: bool = True
    community: bool = False
    supervising_unit: str | None = None


ORGS = [
    DemoOrg(
        "tl-hub",
        "铜陵市郊区社会组织联合会",
        T.SOCIAL_ASSOCIATION,
        "340711",
        "铜陵市郊区",
        "王建国",
        "铜陵市郊区桥南街道",
        date(2015, 6, 1),
        1,
        hub=True,
        supervising_unit="铜陵市郊区民政局",
    ),
    DemoOrg(
        "tl-elder",
        "铜陵市郊区居家养老服务中心",
        T.PRIVATE_NON_ENTERPRISE,
        "340711",
        "铜陵市郊区",
        "李秀英",
        "铜陵市郊区安矿社区",
        date(2017, 3, 12),
        2,
        member_of="tl-hub",
    ),
    DemoOrg(
        "tl-volunteer",
        "铜官区阳光社区志愿者协会",
        T.SOCIAL_ASSOCIATION,
        "340705",
        "铜陵市铜官区",
        "陈静",
        "铜陵市铜官区阳光社区",
        date(2016, 9, 20),
        3,
        member_of="tl-hub",
        community=True,
    ),
    DemoOrg(
        "tl-dance",
        "铜官区幸福社区文体队",
        T.SOCIAL_ASSOCIATION,
        "340705",
        "铜陵市铜官区",
        "赵丽",
        "铜陵市铜官区幸福社区",
        date(2019, 4, 8),
        None,
        filed_with="铜官区幸福社区街道",
        member_of="tl-hub",
        community=True,
    ),
    DemoOrg(
        "tl-charity", "铜陵市慈善基金会", T.FOUNDATION, "340700", "铜陵市", "周明", "铜陵市铜官区长江西路", date(2012, 11, 30), 4
    ),
    DemoOrg(
        "qs-center",
        "青山区社区社会组织服务中心",
        T.PRIVATE_NON_ENTERPRISE,
        "150204",
        "包头市青山区",
        "刘志刚",
        "包头市青山区富强路街道",
        date(2014, 5, 16),
        5,
        hub=True,
    ),
    DemoOrg(
        "qs-neighbors",
        "富强路街道邻里互助会",
        T.SOCIAL_ASSOCIATION,
        "150204",
        "包头市青山区",
        "孙芳",
        "包头市青山区富强路街道",
        date(2018, 7, 1),
        None,
        filed_with="富强路街道办事处",
        member_of="qs-center",
        community=True,
    ),
    DemoOrg(
        "yz-hub",
        "上清寺街道社区社会组织联合会",
        T.SOCIAL_ASSOCIATION,
        "500103",
        "重庆市渝中区",
        "黄伟",
        "重庆市渝中区上清寺街道",
        date(2016, 1, 18),
        6,
        hub=True,
    ),
    DemoOrg(
        "yz-elders",
        "上清寺社区老年协会",
        T.SOCIAL_ASSOCIATION,
        "500103",
        "重庆市渝中区",
        "吴桂兰",
        "重庆市渝中区上清寺社区",
        date(2017, 10, 9),
        None,
        filed_with="上清寺街道办事处",
        member_of="yz-hub",
        community=True,
    ),
    DemoOrg(
        "rc-volunteers",
        "荣成市志愿服务联合会",
        T.SOCIAL_ASSOCIATION,
        "371082",
        "荣成市",
        "郑海",
        "荣成市成山大道",
        date(2013, 8, 25),
        7,
        hub=True,
    ),
    DemoOrg(
        "rc-market",
        "宁津街道爱心超市服务队",
        T.SOCIAL_ASSOCIATION,
        "371082",
        "荣成市",
        "冯雪",
        "荣成市宁津街道",
        date(2020, 3, 3),
        None,
        filed_with="宁津街道办事处",
        member_of="rc-volunteers",
        community=True,
    ),
    DemoOrg(
        "xc-social",
        "宣州区社会工作服务中心",
        T.PRIVATE_NON_ENTERPRISE,
        "341802",
        "宣城市宣州区",
        "何兰",
        "宣城市宣州区鳌峰街道",
        date(2018, 12, 6),
        8,
    ),
    DemoOrg(
        "xc-youth",
        "宣城市青年志愿者协会",
        T.SOCIAL_ASSOCIATION,
        "341800",
        "宣城市",
        "许晨",
        "宣城市宣州区叠嶂中路",
        date(2011, 5, 4),
        9,
    ),
]

USERS = [
    ("admin", "admin", "系统管理员"),
    ("registrar", "registrar", "民政局登记科 王科长"),
    ("chair", "chair", "评估委员会 张主任"),
    ("evaluator", "evaluator", "评估专家 李教授"),
    ("evaluator2", "evaluator", "评估专家 周研究员"),
    ("evaluator3", "evaluator", "评估专家 吴会计师"),
    ("auditor", "auditor", "审计 陈审计"),
    ("org", "organization", "铜陵市郊区社会组织联合会"),
]


def demo_code(org: DemoOrg) -> str:
    return complete_code(f"5{_TYPE_DIGIT[org.org_type]}{org.division}MJ{org.serial:07d}")


class DemoTargets(Protocol):
    """The use cases the demo is seeded through (the wired system has them all)."""

    store: EventStore
    organizations: Organizations
    accounts: Accounts
    evaluations: Evaluations
    inspections: Inspections
    credit: CreditRecords
    reminders: Reminders
    funding: Funding
    subsidies: Subsidies
    spot_checks: SpotChecks

    @property
    def integrity(self) -> IntegrityView: ...
    @property
    def clock(self) -> Clock: ...


class DemoRefused(Conflict):
    def __init__(self, zh: str, en: str) -> None:
        super().__init__("demo.refused", zh, en)


def is_demo_store(system: DemoTargets) -> bool:
    """Created as a demo: its log holds the demo's first record (an id no other store has)."""
    return uuid5(_NS, ORGS[0].key) in system.store.repository


def is_empty_store(system: DemoTargets) -> bool:
    return not system.store.recorder.max_notification_id() and not system.accounts.users()


def seed_demo(system: DemoTargets, say: Callable[[str], None] = print) -> bool:
    """Seed an empty store; returns False for a store created as a demo (seeded already).
    Any other store is refused with DemoRefused: its data is real, and the demo users'
    password is known to everyone."""
    organizations, accounts, evaluations = system.organizations, system.accounts, system.evaluations
    if is_demo_store(system):
        if any(u.username == "registrar" for u in accounts.users()):
            return False
        raise DemoRefused(
            "此数据库中的演示数据不完整(上次写入被中断),请使用一个空的数据目录或数据库重新开始",
            "The demo data in this store is incomplete (seeding was interrupted); start again with an empty data folder or database",
        )
    if not is_empty_store(system):
        raise DemoRefused(
            "此数据库已有非演示数据,不能写入演示数据(演示账号的密码是公开的)。演示请使用一个空的数据目录(STARLEDGER_DATA_DIR)或数据库",
            "This store holds data that is not the demo's, so no demo data is added to it (the demo accounts' password is public). "
            "For the demo, use an empty data folder (STARLEDGER_DATA_DIR) or database",
        )
    ctx = system_context("demo", "demo-seed")
    ids: dict[str, UUID] = {}
    for o in ORGS:
        ids[o.key] = uuid5(_NS, o.key)
        profile = Profile(
            o.name,
            o.org_type,
            o.person,
            o.address,
            o.division,
            o.district,
            o.supervising_unit,
            o.hub,
            o.public_benefit,
            o.community,
        )
        if o.serial is None:
            organizations.file_organization(
                ctx, profile, f"备{o.division}-{o.since.year}-{len(ids):03d}", o.filed_with, o.since, ids[o.key]
            )
        else:
            organizations.register_organization(ctx, profile, demo_code(o), o.since, ids[o.key])
    for o in ORGS:
        if o.member_of:
            organizations.join_hub(ctx, ids[o.key], None, ids[o.member_of])
    with_basis = _with_basis(ctx, "铜郊民社〔2024〕12号", "换届后变更法定代表人")
    organizations.change_legal_representative(with_basis, ids["tl-hub"], None, "王建华")
    organizations.establish_party_branch(ctx, ids["tl-hub"], None, date(2019, 7, 1))
    users = {
        username: accounts.add_user(username, DEMO_PASSWORD, role, display, ids["tl-hub"] if role == "organization" else None)
        for username, role, display in USERS
    }
    experts = _open_demo_evaluation(system.store, evaluations, ctx, users, ids)
    graded_with_certificate(system, ctx, ids["xc-social"], users["chair"], experts, uuid5(_NS, "demo-graded-evaluation"))
    _demo_inspections_and_credit(system.store, system.inspections, system.credit, ctx, ids)
    _demo_funding(system, ctx, ids, experts, users["chair"].id)
    _demo_spot_checks(system, ctx)
    system.reminders.issue(ctx, system.store.today())  # the evaluators' "scores due" reminders, in their inboxes
    system.integrity.checkpoint(system.clock.now())  # the first published checkpoint (/public/checkpoints)
    say(f"demo data: {len(ORGS)} organizations, {len(USERS)} users, {len(DEMO_PROJECTS)} projects (password: {DEMO_PASSWORD})")
    return True


def _demo_spot_checks(system: DemoTargets, ctx: CommandContext) -> None:
    """宣城's draw for this year (铜陵's is left for the newcomer to make), its first check notified."""
    year = system.store.today().year
    drawn = _with_basis(ctx, f"宣民抽〔{year}〕1号", "年度双随机抽查")
    _made, checks = system.spot_checks.draw(drawn, year, "3418")
    if checks:
        notice = _with_basis(ctx, f"宣民抽通〔{year}〕1号", "抽查通知")
        system.spot_checks.notify(notice, checks[0].id, None)


def _with_basis(ctx: CommandContext, document_no: str, reason: str) -> CommandContext:
    return replace(ctx, basis=Basis(document_no=document_no, reason=reason))


def _open_demo_evaluation(
    store: EventStore, evaluations: Evaluations, ctx: CommandContext, users: dict[str, User], ids: dict[str, UUID]
) -> list[UUID]:
    """A grade evaluation of the Tongling hub waiting for its three evaluators' sheets; a fourth
    expert left the hub last year, so the conflict check keeps them off its panel."""
    hub = ids["tl-hub"]
    experts = [
        evaluations.enroll_expert(ctx, users[u].id, users[u].display_name.split()[-1], field, "安徽大学")
        for u, field in (("evaluator", "社会工作"), ("evaluator2", "社会组织管理"), ("evaluator3", "财务审计"))
    ]
    evaluations.enroll_expert(
        ctx,
        "former-staff",
        "郑老师",
        "社区治理",
        "铜陵学院",
        (Employment("铜陵市郊区社会组织联合会", hub, store.today().replace(month=1, day=1)),),
    )
    deadline = store.today() + timedelta(days=3)  # close enough for the "scores due" reminders
    case = evaluations.open_grade_evaluation(ctx, hub, deadline, users["chair"].id, uuid5(_NS, "demo-evaluation"))
    evaluations.submit_application(ctx, case.id, None, Decimal("920"), "2025年度自评报告")
    evaluations.check_eligibility(ctx, case.id)
    indicators = (
        evaluations.rules.get(case.rule_set.id, case.rule_set.version).evaluation.scheme_for(case.subject_type).indicators
    )
    for subject, slot_key, name in [
        ("self_assessment", "self_assessment", "2025年度自评报告.pdf"),
        *((f"indicator:{i.key}", "supporting", f"{i.zh}佐证材料.pdf") for i in indicators[:2]),
    ]:
        upload = evaluations.documents.upload()  # type: ignore[union-attr]
        upload.write(pdf(f"StarLedger demo: {subject}"))
        try:
            evaluations.attach_document(ctx, case.id, subject, slot_key, upload.finish(), name)
        finally:
            upload.discard()
    evaluations.assign_panel(ctx, case.id, None, [e.id for e in experts])
    return [e.id for e in experts]


def _demo_inspections_and_credit(
    store: EventStore, inspections: Inspections, credit: CreditRecords, ctx: CommandContext, ids: dict[str, UUID]
) -> None:
    """Two Tongling inspection years (the older one past its deadline, the charity foundation
    missing it), this year's draft of the hub's report, and two penalties: something on each list."""
    today = store.today()
    older, last = today.year - 2, today.year - 1
    inspections.open_campaign(ctx, older, "3407")
    report = AnnualReport(
        activities="承接社区社会组织孵化、培训和项目督导 48 场",
        income=Decimal("426000.00"),
        expenditure=Decimal("401250.80"),
        net_assets=Decimal("118000.00"),
        staff=6,
        volunteers=85,
        party_organization=True,
        declarations=("开办资金捐资承诺", "党建承诺", "自律承诺"),
    )
    for key in ("tl-hub", "tl-elder", "tl-volunteer"):
        inspections.draft_report(ctx, ids[key], older, None, report)
        _demo_documents(inspections, ctx, ids[key], older, inspections.required_documents(ids[key], older))
        inspections.submit_report(ctx, ids[key], older, None)
        inspections.review(_with_basis(ctx, f"铜民年检〔{older + 1}〕1号", "年检结论"), ids[key], older, None, Outcome.PASS, ())
    inspections.record_missed(ctx, today)  # the foundation missed the older year's deadline
    inspections.open_campaign(ctx, last, "3407")
    inspections.draft_report(ctx, ids["tl-hub"], last, None, report)
    _demo_documents(inspections, ctx, ids["tl-hub"], last, ("audit_report",))  # the rest is the org user's to upload
    month_ago = today - timedelta(days=30)
    credit.record_penalty(
        _with_basis(ctx, "宣民罚〔示例〕1号", "未按章程开展活动"),
        ids["xc-youth"],
        Penalty(PenaltyKind.WARNING, "宣民罚〔示例〕1号", month_ago, "未按章程规定开展活动"),
    )
    credit.record_penalty(
        _with_basis(ctx, "青民罚〔示例〕2号", "违规收取费用"),
        ids["qs-center"],
        Penalty(PenaltyKind.FINE, "青民罚〔示例〕2号", month_ago, "违规收取会员费", Decimal("60000")),
    )
    for key, decision_no in (("xc-youth", "宣民罚〔示例〕1号"), ("qs-center", "青民罚〔示例〕2号")):
        letter = credit.documents.upload()
        letter.write(pdf(f"StarLedger demo: penalty decision letter {key}"))
        try:
            credit.attach_document(
                ctx, ids[key], f"penalty:{decision_no}", "decision_letter", letter.finish(), f"行政处罚决定书 {decision_no}.pdf"
            )
        finally:
            letter.discard()


def _demo_documents(
    inspections: Inspections, ctx: CommandContext, organization_id: UUID, year: int, slots: tuple[str, ...]
) -> None:
    for key in slots:
        upload = inspections.documents.upload()
        upload.write(pdf(f"StarLedger demo: {key} {year}"))
        try:
            inspections.attach_document(
                ctx, organization_id, year, None, key, upload.finish(), file_name=f"{year}年度{SLOTS[key].zh}.pdf"
            )
        finally:
            upload.discard()


DEMO_PROJECTS = [
    ("tl-hub", "社区社会组织孵化与督导", "社区社会组织骨干", "48000"),
    ("tl-elder", "独居老人助餐与上门探访", "社区独居老人", "40000"),
    ("tl-volunteer", "阳光社区青少年课后陪伴", "双职工家庭儿童", "30000"),
    ("tl-charity", "困难家庭应急救助", "困难家庭", "45000"),
]


def _demo_funding(system: DemoTargets, ctx: CommandContext, ids: dict[str, UUID], experts: list[UUID], chair: str) -> None:
    """A Tongling micro venture-philanthropy round taking applications: four projects, the
    foundation's barred (abnormal list), the hub's in review by the demo panel; and the
    subsidies two years ago's passed inspections earned."""
    today = system.store.today()
    terms = RoundTerms(
        "铜陵市社区微公益创投(示例)",
        "3407",
        Decimal("300000"),
        Decimal("50000"),
        today - timedelta(days=10),
        today + timedelta(days=20),
        today + timedelta(days=40),
        today + timedelta(days=200),
        today + timedelta(days=380),
    )
    funding_round = system.funding.open_round(ctx, terms, uuid5(_NS, "demo-round"))
    for key, title, group, amount in DEMO_PROJECTS:
        half = (Decimal(amount) / 2).quantize(Decimal("0.01"))
        application = ProjectApplication(
            title,
            group,
            "每周开展两次服务,季度评估一次,全程留存台账",
            "服务对象满意度达到90%以上",
            (BudgetLine("人员劳务", half), BudgetLine("活动物资与场地", Decimal(amount) - half)),
        )
        project = system.funding.apply(ctx, funding_round.id, ids[key], application, uuid5(_NS, f"demo-project-{key}"))
        for slot_key, name in (("plan", "项目实施方案"), ("budget", "项目预算表")):
            upload = system.funding.documents.upload()
            upload.write(pdf(f"StarLedger demo: {slot_key} of project {key}"))
            try:
                system.funding.attach_document(ctx, project.id, "application", slot_key, upload.finish(), f"{title}{name}.pdf")
            finally:
                upload.discard()
        system.funding.check_eligibility(ctx, project.id)
    review = system.funding.open_evaluation(
        ctx,
        uuid5(_NS, "demo-project-tl-hub"),
        None,
        EvaluationKind.PROJECT_REVIEW,
        today + timedelta(days=7),
        chair_user_id=chair,
        evaluation_id=uuid5(_NS, "demo-project-review"),
    )
    system.evaluations.assign_panel(ctx, review.id, None, experts)
    system.subsidies.grant_year(ctx, today.year - 2, "3407")
