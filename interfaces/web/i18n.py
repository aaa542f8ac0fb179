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
    "error.title": ("出错了", "Something went wrong"),
    "error.back": ("返回名册", "Back to the register"),
}


def language(request: Any) -> str:
    wanted = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE) or "zh"
    return wanted if wanted in LANGS else "zh"


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
