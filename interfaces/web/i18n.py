"""zh-CN first, English on request (?lang=en or the language switch, kept in a cookie)."""

from __future__ import annotations

from typing import Any

from jinja2 import pass_context

LANG_COOKIE = "sl_lang"
LANGS = ("zh", "en")

MESSAGES: dict[str, tuple[str, str]] = {
    "app.name": ("星级台账", "StarLedger"),
    "app.tagline": ("社会组织评估与信用管理", "Evaluation and credit records of social organizations"),
    "nav.register": ("登记名册", "Register"),
    "nav.new": ("登记 / 备案", "Register / file"),
    "nav.login": ("登录", "Sign in"),
    "nav.logout": ("退出", "Sign out"),
    "nav.api": ("接口文档", "API docs"),
    "login.title": ("登录", "Sign in"),
    "login.username": ("用户名", "Username"),
    "login.password": ("密码", "Password"),
    "login.submit": ("登录", "Sign in"),
    "login.failed": ("用户名或密码错误", "Wrong username or password"),
    "search.placeholder": ("名称、代码或法定代表人", "Name, code or legal representative"),
    "search.submit": ("查询", "Search"),
    "search.any": ("全部", "Any"),
    "search.results": ("共 {total} 个组织", "{total} organizations"),
    "search.none": ("没有符合条件的组织", "No organization matches"),
    "page.prev": ("上一页", "Previous"),
    "page.next": ("下一页", "Next"),
    "page.of": ("第 {page} / {pages} 页", "Page {page} of {pages}"),
    "field.name": ("名称", "Name"),
    "field.code": ("统一社会信用代码", "Unified social credit code"),
    "field.filing_no": ("备案编号", "Filing number"),
    "field.filed_with": ("备案街道(乡镇)", "Filed with (street/township)"),
    "field.org_type": ("类型", "Type"),
    "field.track": ("登记/备案", "Track"),
    "field.status": ("状态", "Status"),
    "field.district": ("区县", "District"),
    "field.division_code": ("行政区划代码", "Division code"),
    "field.legal_representative": ("法定代表人", "Legal representative"),
    "field.address": ("住所", "Address"),
    "field.supervising_unit": ("业务主管单位", "Supervising unit"),
    "field.registered_on": ("登记/备案日期", "Registered/filed on"),
    "field.hub": ("所属枢纽组织", "Member of hub"),
    "field.is_hub": ("枢纽型组织", "Hub organization"),
    "field.members": ("成员组织数", "Member organizations"),
    "field.public_benefit": ("公益性", "Public benefit"),
    "field.community_level": ("社区社会组织", "Community-level"),
    "field.party_branch": ("党组织", "Party branch"),
    "field.version": ("版本", "Version"),
    "field.document_no": ("文号", "Document number"),
    "field.reason": ("事由", "Reason"),
    "field.sort": ("排序", "Sort by"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    "org_type.social_association": ("社会团体", "Social association"),
    "org_type.private_non_enterprise": ("民办非企业单位", "Private non-enterprise unit"),
    "org_type.foundation": ("基金会", "Foundation"),
    "track.registered": ("登记", "Registered"),
    "track.filed": ("备案", "Filed"),
    "status.active": ("正常", "Active"),
    "status.suspended": ("停止活动", "Suspended"),
    "status.deregistered": ("已注销", "Deregistered"),
    "status.revoked": ("已撤销登记", "Revoked"),
    "detail.history": ("历史记录", "History"),
    "detail.changes": ("变更登记", "Record a change"),
    "detail.change_field": ("变更事项", "What changes"),
    "detail.new_value": ("变更后", "New value"),
    "detail.submit_change": ("记录变更", "Record the change"),
    "detail.status_actions": ("状态", "Status"),
    "detail.saved": ("已记录", "Recorded"),
    "detail.by": ("操作人", "By"),
    "detail.history_hidden": ("登录后可查看完整历史", "Sign in as staff to see the full history"),
    "action.suspend": ("停止活动", "Suspend"),
    "action.resume": ("恢复活动", "Resume"),
    "action.deregister": ("注销", "Deregister"),
    "action.revoke": ("撤销登记", "Revoke"),
    "new.title": ("登记或备案社会组织", "Register or file an organization"),
    "new.register": ("登记(有统一社会信用代码)", "Register (with a credit code)"),
    "new.file": ("备案(街道/乡镇)", "File (street/township)"),
    "new.submit_register": ("登记", "Register"),
    "new.submit_file": ("备案", "File"),
    "event.Registered": ("登记成立", "Registered"),
    "event.Filed": ("备案", "Filed"),
    "event.PromotedToRegistration": ("备案转登记", "Promoted to registration"),
    "event.Renamed": ("名称变更", "Renamed"),
    "event.AddressChanged": ("住所变更", "Address changed"),
    "event.LegalRepresentativeChanged": ("法定代表人变更", "Legal representative changed"),
    "event.CharterAmended": ("章程核准", "Charter amended"),
    "event.PartyBranchEstablished": ("建立党组织", "Party branch established"),
    "event.DesignatedAsHub": ("认定为枢纽型组织", "Designated as hub"),
    "event.JoinedHub": ("加入枢纽组织", "Joined a hub"),
    "event.LeftHub": ("退出枢纽组织", "Left the hub"),
    "event.Suspended": ("停止活动", "Suspended"),
    "event.Resumed": ("恢复活动", "Resumed"),
    "event.Deregistered": ("注销登记", "Deregistered"),
    "event.RegistrationRevoked": ("撤销登记", "Registration revoked"),
    "role.admin": ("系统管理员", "Administrator"),
    "role.registrar": ("登记管理机关", "Registrar"),
    "role.chair": ("评估委员会主任", "Panel chair"),
    "role.evaluator": ("评估专家", "Evaluator"),
    "role.organization": ("社会组织", "Organization"),
    "role.auditor": ("审计", "Auditor"),
    "role.public": ("公众", "Public"),
    "role.system": ("系统", "System"),
    "api.intro": ("JSON 接口:用 POST /api/auth/login 获取令牌,以 Authorization: Bearer 发送。完整 OpenAPI 文档:",
                  "JSON API: get a token from POST /api/auth/login and send it as Authorization: Bearer. Full OpenAPI document:"),
    "api.operation": ("操作", "Operation"),
    "api.path": ("请求", "Request"),
    "api.summary": ("说明", "Summary"),
    "nav.evaluations": ("评估", "Evaluations"),
    "eval.my_cases": ("我的评估任务", "My assignments"),
    "eval.case": ("评估案件", "Evaluation case"),
    "eval.subject": ("评估对象", "Subject"),
    "eval.stage": ("阶段", "Stage"),
    "eval.deadline": ("评分截止", "Scoring deadline"),
    "eval.my_sheet": ("我的评分表", "My score sheet"),
    "eval.result": ("结果", "Result"),
    "eval.none": ("暂无评估案件", "No evaluation cases"),
    "eval.submitted": ("已提交", "Submitted"),
    "eval.not_submitted": ("未提交", "Not submitted"),
    "eval.rule_set": ("规则", "Rule set"),
    "eval.barred": ("不符合评估条件", "Not eligible"),
    "eval.not_graded": ("未达等级", "Not graded"),
    "eval.announcement": ("公示期", "Announcement"),
    "eval.explanation": ("结果说明", "Explanation"),
    "eval.application": ("评估申请", "Application"),
    "eval.self_assessment": ("自评分", "Self-assessment"),
    "eval.statement": ("自评说明", "Statement"),
    "eval.submit": ("提交", "Submit"),
    "eval.appeal": ("复核", "Appeal"),
    "eval.grounds": ("复核理由", "Grounds"),
    "eval.file_appeal": ("申请复核", "File an appeal"),
    "eval.declare_conflict": ("声明回避", "Declare a conflict"),
    "eval.conflict_note": ("回避原因", "Why"),
    "eval.confirm_submit": ("提交后评分表将锁定,确认提交吗?", "Once submitted the sheet is locked. Submit?"),
    "eval.draft_saved": ("草稿已自动保存", "Draft saved"),
    "eval.comment": ("评语", "Comment"),
    "eval.bonus": ("加分", "Bonus points"),
    "eval.running_total": ("合计", "Running total"),
    "eval.save_draft": ("保存草稿", "Save draft"),
    "eval.submit_sheet": ("提交评分表", "Submit the sheet"),
    "eval.panel": ("专家组", "Panel"),
    "eval.member": ("专家", "Expert"),
    "eval.sheet_status": ("评分表", "Sheet"),
    "eval.recused": ("已回避", "Recused"),
    "eval.check_eligibility": ("资格审查", "Check eligibility"),
    "eval.assign_panel": ("组建专家组", "Assign the panel"),
    "eval.close_scoring": ("结束评分", "Close scoring"),
    "eval.compute": ("计算结果", "Compute the result"),
    "eval.open_announcement": ("开始公示", "Open the announcement"),
    "eval.dismiss_appeal": ("驳回复核", "Dismiss the appeal"),
    "eval.finalize": ("确认结果", "Finalize"),
    "eval.withdraw": ("撤回评估", "Withdraw"),
    "eval.aggregation": ("汇总方法", "Aggregation"),
    "eval.trim_from": ("去掉最高最低分的最少人数", "trimmed from panel size"),
    "eval.recomputed_ok": ("由事件重新计算,结果一致", "Recomputed from the events: it matches"),
    "eval.recomputed_mismatch": ("由事件重新计算,结果不一致!", "Recomputed from the events: MISMATCH"),
    "eval.bands": ("等级区间", "Bands"),
    "eval.seat": ("专家", "Expert"),
    "eval.steps": ("逐步汇总", "Aggregation step by step"),
    "eval.values": ("各评分", "Values"),
    "eval.kept": ("计入", "Kept"),
    "eval.open": ("启动等级评估", "Open a grade evaluation"),
    "eval.chair": ("评估委员会主任", "Panel chair"),
    "eval.kind.grade": ("等级评估", "Grade evaluation"),
    "eval.kind.project_review": ("立项评审", "Project review"),
    "eval.kind.mid_term": ("中期评估", "Mid-term evaluation"),
    "eval.kind.closing": ("结项评估", "Closing evaluation"),
    "stage.open": ("待审查", "Open"),
    "stage.eligible": ("待组建专家组", "Eligible"),
    "stage.barred": ("不符合条件", "Barred"),
    "stage.scoring": ("评分中", "Scoring"),
    "stage.scoring_closed": ("评分结束", "Scoring closed"),
    "stage.computed": ("已计算", "Computed"),
    "stage.announced": ("公示中", "Announced"),
    "stage.appealed": ("复核中", "Appealed"),
    "stage.appeal_decided": ("复核已决定", "Appeal decided"),
    "stage.finalized": ("已确认", "Finalized"),
    "stage.withdrawn": ("已撤回", "Withdrawn"),
    "recusal.declared": ("本人声明", "declared"),
    "recusal.requested": ("组织申请", "requested"),
    "recusal.forced": ("规则要求", "required by the rules"),
    "field.grade": ("等级", "Grade"),
    "error.title": ("出错了", "Something went wrong"),
    "error.back": ("返回名册", "Back to the register"),
}


def language(request: Any) -> str:
    wanted = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE) or "zh"
    return wanted if wanted in LANGS else "zh"


def message_for(request: Any, error: Any) -> str:
    """A domain error's message in the page's language."""
    return error.message_zh if language(request) == "zh" else error.message_en


def translate(lang: str, key: str, **values: Any) -> str:
    pair = MESSAGES.get(key)
    text = key if pair is None else pair[0 if lang == "zh" else 1]
    return text.format(**values) if values else text


@pass_context
def _t(context: Any, key: str, **values: Any) -> str:
    request = context.get("request")
    return translate(language(request) if request is not None else "zh", key, **values)


@pass_context
def _lang(context: Any) -> str:
    request = context.get("request")
    return language(request) if request is not None else "zh"


def install(engine: Any) -> None:
    engine.engine.globals.update(t=_t, lang=_lang)
