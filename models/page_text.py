"""Display text of the mediators' app (web/): Chinese first, English beside it, in one place."""

from __future__ import annotations

import re
from collections.abc import Callable
from enum import StrEnum

from models.enums import Action, CaseStatus, Level
from models.labels import en, zh

LANGUAGES = ("zh", "en")

PAGE_TEXT: dict[str, tuple[str, str]] = {
    "app": ("人民调解", "People's mediation"),
    "lang_other": ("English", "中文"),
    "login": ("登录", "Log in"),
    "logout": ("退出", "Log out"),
    "phone": ("手机号码", "Phone number"),
    "send_code": ("发送验证码", "Send a code"),
    "code": ("验证码(6位)", "Code (6 digits)"),
    "code_sent": ("如该号码已登记，验证码已发送。", "If the number is registered, a code is on its way."),
    "or_password": ("或用账号密码登录", "Or log in with a password"),
    "login_id": ("工号或手机号", "Person id or phone"),
    "password": ("密码", "Password"),
    "inbox": ("我的待办", "My inbox"),
    "intake": ("登记纠纷", "Register a dispute"),
    "supervise": ("督导", "Supervision"),
    "court": ("法院对接", "Court liaison"),
    "board": ("民情公示栏", "Public notice board"),
    "track": ("案件查询", "Follow a case"),
    "awaiting_acceptance": ("待受理", "Awaiting acceptance"),
    "mediating": ("调解中", "Mediating"),
    "follow_up": ("回访中", "Follow-up"),
    "no_cases": ("暂无案件", "No cases"),
    "overdue": ("已逾期", "overdue"),
    "may_intensify": ("可能激化", "may intensify"),
    "left": ("剩余", "left"),
    "late": ("逾期", "late by"),
    "deadline": ("期限", "deadline"),
    "china_time": ("北京时间", "China time"),
    "case": ("案件", "Case"),
    "status": ("状态", "Status"),
    "level": ("层级", "Level"),
    "committee": ("调委会", "Committee"),
    "mediators": ("调解员", "Mediators"),
    "dispute_type": ("纠纷类型", "Dispute type"),
    "risk": ("风险", "Risk"),
    "opened": ("登记时间", "Opened"),
    "parties": ("当事人", "Parties"),
    "deadlines": ("期限", "Deadlines"),
    "acceptance_deadline": ("受理期限", "Acceptance deadline"),
    "mediation_deadline": ("调解期限", "Mediation deadline"),
    "court_term": ("法院委派期限", "Court's term"),
    "stages": ("各阶段", "Stages"),
    "outcome": ("结果", "Outcome"),
    "reminders": ("提醒", "Reminders"),
    "sent": ("已发送", "sent"),
    "pending": ("待发送", "pending"),
    "aftercare": ("协议履行与回访", "Aftercare"),
    "visit": ("回访", "Visit"),
    "due": ("应于", "due"),
    "done": ("已完成", "done"),
    "confirmation_window": ("司法确认申请期限(第33条)", "Judicial confirmation window (Art. 33)"),
    "actions": ("可办理事项", "What you can do"),
    "no_actions": ("您现在不能对本案办理任何事项。", "Nothing you may do on this case now."),
    "refused": ("未办理", "Not done"),
    "recorded": ("已办理", "Done"),
    "submit": ("提交", "Submit"),
    "reason": ("理由", "Reason"),
    "notes": ("情况记录", "Notes"),
    "held_at": ("调解时间", "Held at"),
    "mode": ("方式", "Mode"),
    "in_person": ("当面", "in person"),
    "phone_mode": ("电话", "phone"),
    "video": ("视频", "video"),
    "attendees": ("参加人", "Attendees"),
    "extend_by": ("延长", "Extend by"),
    "consent": ("同意延期的当事人", "Parties who consent"),
    "intensifying": ("可能激化(第25条)，通报公安及有关部门", "May intensify (Art. 25): report to police"),
    "to_committee": ("移送至", "Transfer to"),
    "form": ("协议形式", "Form"),
    "written": ("书面", "written"),
    "oral": ("口头", "oral"),
    "terms": ("协议内容", "Terms"),
    "signed_by": ("已签字当事人", "Signed by"),
    "party": ("当事人", "Party"),
    "performing": ("协议是否履行", "Agreement performed?"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    "applicants": ("申请人", "Applicants"),
    "court_name": ("法院", "Court"),
    "accepted": ("法院是否受理", "Court accepted?"),
    "ruling": ("裁定", "Ruling"),
    "then": ("无效后", "If invalid, then"),
    "audit": ("操作记录", "Audit trail"),
    "receipt": ("受理回执", "Receipt"),
    "receipt_note": (
        "凭案件编号和登记时所留手机号码的后4位，可扫码或在「案件查询」查看办理进度。",
        "With the case number and the last 4 digits of the phone given at intake, scan the code or"
        ' use "Follow a case" to see how the case stands.',
    ),
    "print": ("打印", "Print"),
    "duplicate": (
        "这起纠纷已经登记过，未重复立案：",
        "This dispute was already registered; no second case was opened:",
    ),
    "opened_case": ("已登记", "Registered"),
    "summary": ("纠纷简述", "Summary"),
    "party_name": ("姓名", "Name"),
    "id_number": ("身份证号", "ID number"),
    "applicant": ("申请人", "Applicant"),
    "respondent": ("被申请人", "Respondent"),
    "party_role": ("身份", "Role"),
    "add_party": ("添加当事人", "Add a party"),
    "grid": ("网格", "Grid"),
    "counts_level": ("按层级(办理中)", "Open cases by level"),
    "counts_status": ("按状态", "By status"),
    "due_soon": ("一天内到期", "Due within a day"),
    "report": ("绩效报表", "Performance report"),
    "digest": ("督办日报", "Daily digest"),
    "from": ("自", "From"),
    "to": ("至", "To"),
    "show": ("查看", "Show"),
    "download": ("下载", "Download"),
    "chart": ("图表", "Chart"),
    "reassign": ("改派", "Reassign"),
    "close_overdue": ("逾期结案", "Close as overdue"),
    "referrals": ("本院委派调解及司法确认案件", "The court's referrals and confirmations"),
    "referral_no": ("委派编号", "Referral no."),
    "decision_due": ("受理决定期限", "Decision due"),
    "villages": ("村(社区)", "Villages"),
    "board_note": (
        "本栏公示期间内化解的纠纷，不含任何当事人信息。",
        "Disputes settled in the period; no party data is shown.",
    ),
    "settled_on": ("化解日期", "Settled on"),
    "case_no": ("案件编号", "Case number"),
    "phone_last4": ("您手机号码的后4位", "Last 4 digits of your phone"),
    "track_note": (
        "请输入案件编号和登记时留下的手机号码后4位。只显示案件进度，不显示任何当事人信息。",
        "Enter the case number and the last 4 digits of the phone you gave. Only the case's progress"
        " is shown, never a party's data.",
    ),
    "track_refused": ("案件编号或手机号码不符。", "The case number or phone digits do not match."),
    "track_locked": ("尝试次数过多，请15分钟后再试。", "Too many tries; try again in 15 minutes."),
    "track_client_locked": (
        "本设备查询错误次数过多，请15分钟后再试。",
        "Too many wrong look-ups from this device; try again in 15 minutes.",
    ),
    "track_case_locked": (
        "该案件近期查询错误次数过多，已暂停查询15分钟；如需了解进展，请联系调解委员会。",
        "Too many wrong look-ups of this case lately: look-ups are paused for 15 minutes; the"
        " mediation committee can tell you where it stands.",
    ),
    "next_step": ("下一步", "What comes next"),
    "contact": ("联系", "Contact"),
    "next_awaiting_acceptance": ("等待调委会受理。", "Waiting for the committee to accept the case."),
    "next_mediating": (
        "调解员正在调解，将通知您参加调解。",
        "The mediators are mediating and will call you.",
    ),
    "next_follow_up": (
        "已达成协议，调委会将回访履行情况；可在期限内共同申请司法确认。",
        "An agreement was reached; the committee will visit to check it is performed.",
    ),
    "next_closed": ("本案已办结。", "The case is closed."),
    "error": ("出错了", "Something went wrong"),
    "back": ("返回", "Back"),
    "csrf": ("表单已过期，请刷新页面后重试。", "The form expired; reload the page and try again."),
    "closed_reason": ("结案原因", "Closed because"),
    "who": ("人员", "Who"),
    "when": ("时间", "When"),
    "what": ("事项", "What"),
    "result": ("结果", "Result"),
    "minutes": ("分钟", "minutes"),
    "hours": ("小时", "hours"),
    "working_days": ("工作日", "working days"),
    "calendar_days": ("自然日", "calendar days"),
    "none": ("无", "none"),
    "skip": ("跳到正文", "Skip to content"),
    "third_party": ("第三人", "Third party"),
    "ruling_confirmed": ("确认调解协议有效", "the agreement is confirmed valid"),
    "ruling_invalid": ("驳回申请（协议无效）", "the application is dismissed (the agreement is invalid)"),
    "then_mediate_again": ("当事人重新调解", "the parties mediate again"),
    "then_sue": ("当事人向法院起诉", "the parties sue in court"),
    "no_grid": (
        "您不是网格员，不能在此登记纠纷；请由纠纷所在网格的网格员登记。",
        "You are not a grid worker: a dispute is registered by the grid worker of its grid.",
    ),
    "case_file": ("案卷：当事人联系方式与调解记录", "Case file: parties' contacts and session notes"),
    "file_note": (
        "本页含当事人个人信息，仅供承办调委会调解使用；每次查看均记入操作记录。",
        "This page holds the parties' personal data, for the committee mediating the case only;"
        " every view is recorded in the audit trail.",
    ),
    "call": ("拨打", "Call"),
    "reported": ("报告时间", "Reported"),
    "sessions": ("调解记录", "Sessions"),
    "no_sessions": ("尚无调解记录。", "No session recorded yet."),
    "agreement": ("调解协议", "Agreement"),
    "agreement_doc": ("人民调解协议书", "People's mediation agreement"),
    "doc_no": ("编号", "No."),
    "doc_facts": (
        "纠纷的主要事实、争议事项以及各方当事人的责任",
        "The dispute's main facts, the matters in dispute and each party's responsibility",
    ),
    "doc_blank": (
        "（经调解查明的事实及各方责任：）",
        "(Facts found in mediation and each party's responsibility:)",
    ),
    "print_draft": ("生成协议书以供签署", "Make the agreement to sign"),
    "draft_note": (
        "打印后由各方当事人签名、盖章或者按指印，调解员签名并加盖调委会印章；签署后在案件页登记书面协议。",
        "Print it, have every party sign, seal or fingerprint it and the mediators sign it under the"
        " committee's seal; then record the written agreement on the case page.",
    ),
    "doc_terms": (
        "经调解，各方当事人自愿达成如下协议（含履行方式、时限）",
        "Through mediation the parties freely agree as follows (how and by when it is performed)",
    ),
    "doc_copies_before": ("本协议一式", "This agreement is made in "),
    "doc_copies_after": (
        "份，当事人、人民调解委员会各持一份。",
        " copies, one for each party and one for the committee.",
    ),
    "doc_effect": (
        "本协议自各方当事人签名、盖章或者按指印，人民调解员签名并加盖人民调解委员会印章之日起生效"
        "（《人民调解法》第二十九条）。当事人可以自本协议生效之日起三十日内共同向人民法院申请司法确认"
        "（第三十三条）。",
        "It takes effect when every party has signed, sealed or fingerprinted it and the mediators have"
        " signed it under the committee's seal (People's Mediation Law, Art. 29). The parties may jointly"
        " apply to a court for judicial confirmation within 30 days of that (Art. 33).",
    ),
    "doc_sign_parties": ("当事人（签名、盖章或者按指印）", "Parties (signature, seal or fingerprint)"),
    "doc_sign_mediators": ("人民调解员（签名）", "Mediators (signature)"),
    "doc_seal": ("（印）", " (seal)"),
}


def page_text(key: str, lang: str) -> str:
    chinese, english = PAGE_TEXT[key]
    return english if lang == "en" else chinese


# ---------------------------------------------------------------- reasons, as a page shows them
# Refusals and validators' messages are English (the API's, the CLI's, the logs'). A page in
# Chinese shows them in Chinese: each rule turns one known phrase; what no rule knows stays as it
# is, so a refusal is never hidden for want of a translation.
_FIELDS = {
    "name": "姓名",
    "id_number": "身份证号码",
    "phone": "手机号码",
    "summary": "纠纷简述",
    "mediator_ids": "调解员",
    "reason": "理由",
    "terms": "协议内容",
    "notes": "情况记录",
    "attendees": "参加人",
    "signed_by": "已签字当事人",
    "consenting_parties": "同意延期的当事人",
    "held_at": "调解时间",
    "committee_id": "移送至",
}


def _action_name(value: str) -> str:
    try:
        return f"「{zh(Action(value))}」"
    except ValueError:
        return f"「{value}」"


def _not_now(match: re.Match[str]) -> str:
    allowed = [a.strip(" `") for a in match[2].split(",") if a.strip(" `") not in ("", "none")]
    now = "、".join(_action_name(a) for a in allowed) or "无"
    return f"现在不能办理{_action_name(match[1])}；现在可以办理：{now}"


def _en_to_zh(kind: type[StrEnum]) -> dict[str, str]:
    return {en(member): zh(member) for member in kind}


_STATUS = _en_to_zh(CaseStatus)
_LEVEL = _en_to_zh(Level)


_REASONS: list[tuple[str, str | Callable[[re.Match[str]], str]]] = [
    (r"parties\.(\d+)\.(name|id_number|phone): ", lambda m: f"当事人P{int(m[1]) + 1}的{_FIELDS[m[2]]}："),
    (r"\b(" + "|".join(_FIELDS) + r"): ", lambda m: f"{_FIELDS[m[1]]}："),
    (r"Value error, ", ""),
    (r"not a valid 18-character resident ID number", "不是有效的18位居民身份证号码"),
    (r" ?\(check digit mismatch\)", "（校验位不符）"),
    (r" ?\(17 digits and a check character \(0-9 or X\) expected\)", "（应为17位数字加1位校验码0-9或X）"),
    (r" ?\(birth date (\d{8}) does not exist\)", r"（出生日期\1不存在）"),
    (
        r"not a mainland mobile \(11 digits\) or landline \(0xx-xxxxxxx\) number",
        "不是有效的手机号码（11位）或固定电话（0xx-xxxxxxx）",
    ),
    (
        r"(P\d+)'s ID number gives a birth date of ([\d-]+), after today \(([\d-]+)\): check the number",
        r"\1的身份证号码显示出生日期为\2，晚于今天（\3），请核对",
    ),
    (r"List should have at least 1 item after validation, not 0", "至少选择一项"),
    (r"Field required", "必填"),
    (r"String should have at least (\d+) characters?", r"至少\1个字"),
    (r"String should have at most (\d+) characters?", r"最多\1个字"),
    (r"wrong login or password", "账号或密码错误"),
    (r"wrong or expired code", "验证码错误或已过期"),
    (
        r"(\S+) \([^)]*\) is not a member of (\S+), which holds (\S+); only its members act on it",
        r"\1不是\2的成员；该调委会正在办理\3，只有其成员可以办理",
    ),
    (
        r"`(\w+)` is not allowed now: (\S+) is closed \(its workflow \w+\)",
        lambda m: f"现在不能办理{_action_name(m[1])}：案件{m[2]}已结案",
    ),
    (r"`(\w+)` is not allowed now, only (.*)$", _not_now),
    (
        r"\bcase (\S+) is (" + "|".join(map(re.escape, _STATUS)) + r")\b",
        lambda m: f"案件{m[1]}{_STATUS[m[2]]}",
    ),
    (
        r" at (\S+) \((" + "|".join(map(re.escape, _LEVEL)) + r") level\)",
        lambda m: f"，由{m[1]}（{_LEVEL[m[2]]}级）办理",
    ),
    (r"; no action is allowed", "；不能再办理任何事项"),
]


def reason_text(message: str, lang: str) -> str:
    """A refusal as a page in `lang` shows it: in Chinese, every phrase a rule knows turned."""
    if lang == "en":
        return message
    for pattern, replacement in _REASONS:
        message = re.sub(pattern, replacement, message)
    return message.replace("; ", "；")
