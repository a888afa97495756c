"""Display text: Chinese and English labels, kept in one place."""

from enum import StrEnum

from models.enums import (
    Action,
    CaseStatus,
    ClosureReason,
    DeadlineKind,
    DisputeType,
    EscalationCause,
    Level,
    Outcome,
)

# Keyed by (enum class, value): a StrEnum equals its string, and several classes share values
# ("closed", "agreement", "refused"), so the enum member alone would let one label overwrite another.
_Key = tuple[type[StrEnum], str]
LABELS: dict[_Key, tuple[str, str]] = {}


def add_labels(labels: list[tuple[StrEnum, tuple[str, str]]]) -> None:
    for member, text in labels:
        LABELS[(type(member), member.value)] = text


add_labels(
    [
        (Level.GRID, ("网格", "grid")),
        (Level.VILLAGE, ("村(社区)", "village")),
        (Level.TOWNSHIP, ("乡镇(街道)", "township")),
        (Level.COUNTY, ("县(区)", "county")),
        (DisputeType.NEIGHBOUR, ("邻里纠纷", "neighbour")),
        (DisputeType.FAMILY, ("婚姻家庭纠纷", "family")),
        (DisputeType.LAND, ("土地纠纷", "land")),
        (DisputeType.LABOUR, ("劳动争议", "labour")),
        (DisputeType.MEDICAL, ("医疗纠纷", "medical")),
        (DisputeType.TRAFFIC, ("交通事故纠纷", "traffic")),
        (DisputeType.PROPERTY, ("财产纠纷", "property")),
        (DisputeType.OTHER, ("其他纠纷", "other")),
        (CaseStatus.AWAITING_ACCEPTANCE, ("待受理", "awaiting acceptance")),
        (CaseStatus.MEDIATING, ("调解中", "mediating")),
        (CaseStatus.FOLLOW_UP, ("协议履行回访中", "agreement under follow-up")),
        (CaseStatus.CLOSED, ("已结案", "closed")),
        (Outcome.AGREEMENT, ("达成协议", "agreement")),
        (Outcome.FAILED, ("调解不成", "failed")),
        (Outcome.REFUSED, ("当事人拒绝调解", "refused")),
        (Outcome.WITHDRAWN, ("撤回", "withdrawn")),
        (Outcome.TRANSFERRED, ("移送", "transferred")),
        (Outcome.ESCALATED, ("上交", "escalated")),
        (Outcome.RETURNED_TO_COURT, ("退回法院", "returned to court")),
        (EscalationCause.ACCEPTANCE_TIMEOUT, ("逾期未受理", "not accepted in time")),
        (EscalationCause.MEDIATION_TIMEOUT, ("调解期限届满", "mediation deadline passed")),
        (EscalationCause.DECISION, ("调解员决定上交", "mediator's decision")),
        (EscalationCause.INTENSIFICATION, ("可能激化", "may intensify")),
        (EscalationCause.FAILURE, ("调解不成", "mediation failed")),
        (ClosureReason.AGREEMENT, ("达成协议", "agreement")),
        (ClosureReason.REFUSED, ("当事人拒绝调解", "a party refused")),
        (ClosureReason.WITHDRAWN, ("当事人撤回", "withdrawn")),
        (ClosureReason.FAILED_AT_TOP, ("调解终止，告知其他途径", "failed at the top level")),
        (ClosureReason.PERFORMED, ("协议已履行", "agreement performed")),
        (ClosureReason.CONFIRMED_BY_COURT, ("经司法确认", "confirmed by the court")),
        (ClosureReason.AGREEMENT_INVALID, ("协议被确认无效，另行起诉", "agreement invalid; parties to sue")),
        (ClosureReason.RETURNED_TO_COURT, ("退回法院立案", "returned to the court for filing")),
        (ClosureReason.CLOSED_BY_SUPERVISOR, ("逾期案件经督导结案", "overdue case closed by a supervisor")),
        (DeadlineKind.ACCEPTANCE, ("受理期限", "acceptance deadline")),
        (DeadlineKind.MEDIATION, ("调解期限", "mediation deadline")),
        (Action.ACCEPT, ("受理", "accept")),
        (Action.RECORD_SESSION, ("记录调解", "record session")),
        (Action.EXTEND, ("延期", "extend")),
        (Action.ESCALATE, ("上交", "escalate")),
        (Action.TRANSFER, ("移送", "transfer")),
        (Action.RECORD_AGREEMENT, ("记录协议", "record agreement")),
        (Action.RECORD_FAILURE, ("记录调解不成", "record failure")),
        (Action.RECORD_REFUSAL, ("记录拒绝", "record refusal")),
        (Action.WITHDRAW, ("撤回", "withdraw")),
        (Action.APPLY_CONFIRMATION, ("申请司法确认", "apply for judicial confirmation")),
        (Action.RECORD_COURT_DECISION, ("记录法院受理决定", "record the court's acceptance decision")),
        (Action.RECORD_RULING, ("记录司法确认裁定", "record the court's ruling")),
        (Action.RECORD_VISIT, ("记录回访", "record a follow-up visit")),
        (Action.FLAG_INTENSIFICATION, ("标记可能激化", "flag as likely to intensify")),
        (Action.EXTEND_RULING, ("记录司法确认延长审查期限", "record the extension of the court's ruling")),
    ]
)


def zh(value: StrEnum) -> str:
    return LABELS[(type(value), value.value)][0]


def en(value: StrEnum) -> str:
    return LABELS[(type(value), value.value)][1]


def both(value: StrEnum) -> str:
    """'村(社区) village': how the CLI and notices show a term."""
    chinese, english = LABELS[(type(value), value.value)]
    return f"{chinese} {english}"


class ReportTerm(StrEnum):
    """Headings of the performance report, its chart and the supervisors' daily digest."""

    SETTLED_BY_LEVEL = "settled_by_level"
    REACHED = "reached"
    SETTLED = "settled"
    AGREED = "agreed"
    CLOSED = "closed"
    VILLAGE_SHARE = "village_share"
    TOWNSHIP_SHARE = "township_share"
    OUTCOMES_BY_COMMITTEE = "outcomes_by_committee"
    OPEN = "open"
    PAST_DEADLINE = "past_deadline"
    PAST_DEADLINE_BY_COMMITTEE = "past_deadline_by_committee"
    DAYS = "days"
    ESCALATIONS = "escalations"
    BY_TIMEOUT = "by_timeout"
    BY_DECISION = "by_decision"
    BY_FAILURE = "by_failure"
    ALL_LEVELS = "all_levels"
    NONE = "none"
    DIGEST = "digest"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    STALLED = "stalled"
    MAY_INTENSIFY = "may_intensify"
    PROVISIONAL = "provisional"


add_labels(
    [
        (ReportTerm.SETTLED_BY_LEVEL, ("各级调解化解情况", "Cases by settling level")),
        (ReportTerm.REACHED, ("进入该级", "reached")),
        (ReportTerm.SETTLED, ("在该级化解", "settled here")),
        (ReportTerm.AGREED, ("本期达成协议", "agreements reached")),
        (ReportTerm.CLOSED, ("结案", "closed")),
        (ReportTerm.VILLAGE_SHARE, ("小事不出村", "small matters do not leave the village")),
        (ReportTerm.TOWNSHIP_SHARE, ("大事不出镇", "big matters do not leave the township")),
        (ReportTerm.OUTCOMES_BY_COMMITTEE, ("各调委会调解结果", "Outcomes per committee")),
        (ReportTerm.OPEN, ("办理中", "open")),
        (ReportTerm.PAST_DEADLINE, ("超期", "past deadline")),
        (ReportTerm.PAST_DEADLINE_BY_COMMITTEE, ("各调委会超期阶段数", "Stages past deadline, by committee")),
        (ReportTerm.DAYS, ("各级办理天数", "Days per stage, by level")),
        (ReportTerm.ESCALATIONS, ("上交情况", "Escalations")),
        (ReportTerm.BY_TIMEOUT, ("逾期上交", "by timeout")),
        (ReportTerm.BY_DECISION, ("决定上交", "by decision")),
        (ReportTerm.BY_FAILURE, ("调解不成上交", "after failure")),
        (ReportTerm.ALL_LEVELS, ("合计", "all levels")),
        (ReportTerm.NONE, ("无", "none")),
        (ReportTerm.DIGEST, ("督办日报", "daily digest")),
        (ReportTerm.DUE_SOON, ("次一工作日内到期", "due by the end of the next working day")),
        (ReportTerm.OVERDUE, ("已逾期", "overdue")),
        (ReportTerm.STALLED, ("移交未及时受理", "handoffs not accepted in time")),
        (ReportTerm.MAY_INTENSIFY, ("可能激化", "may intensify")),
        (
            ReportTerm.PROVISIONAL,
            ("暂定期限（当年节假日安排未导入）", "provisional: that year's holidays not yet installed"),
        ),
    ]
)


# A county's registry file: its sheets and columns in Chinese. A clerk may head a column `code`,
# `代码` or `code 代码` (as the templates do), and name a sheet `places`, `乡镇村` or both.
REGISTRY_SHEETS_ZH = {
    "county": "县",
    "places": "乡镇村",
    "grids": "网格",
    "committees": "调委会",
    "members": "成员",
    "staff": "工作人员",
    "agencies": "协作单位",
}
REGISTRY_COLUMNS_ZH = {
    "code": "代码",
    "id": "编号",
    "name": "名称",
    "name_en": "英文名称",
    "default_policy": "默认规则",
    "kind": "类别",
    "parent": "上级代码",
    "village": "所属村代码",
    "level": "层级",
    "place": "所在地代码",
    "specialty": "专业领域",
    "person_id": "人员编号",
    "committee": "调委会编号",
    "role": "角色",
    "phone": "电话",
    "email": "邮箱",
    "language": "语言",
    "scope": "范围",
    "dispute_type": "纠纷类型",
}


# Notices: per message kind and language, the email's title and the one-segment SMS text. The SMS
# text is also the template registered with the SMS provider (its ${name} variables); with the
# provider's signature (【…】) it fits one 70-character segment for a usual case number.
# A kind may differ by the recipient's kind (`kind@recipient-kind`), e.g. the supervisor's overdue.
NOTICES: dict[str, dict[str, tuple[str, str]]] = {
    "handoff": {
        "zh": ("待受理", "案件${case_no}已移交你单位，请于${due}前受理。"),
        "en": ("handed to you", "Case ${case_no} handed to you: accept by ${due}."),
    },
    "reminder": {
        "zh": ("期限提醒", "提醒：案件${case_no}的${what}将于${due}届满。"),
        "en": ("reminder", "Reminder ${case_no}: ${what} ${due}."),
    },
    "overdue": {
        "zh": ("已逾期", "案件${case_no}的${what}已过，已报告督办。"),
        "en": ("overdue", "Case ${case_no}: ${what} passed."),
    },
    "overdue@supervisor": {
        "zh": ("逾期督办", "督办：案件${case_no}在最高层级逾期（期限${due}），请跟进。"),
        "en": ("overdue at the top level", "Case ${case_no} overdue at top level (${due})."),
    },
    "intensification": {
        "zh": ("纠纷可能激化", "案件${case_no}（${what}）可能激化，请采取预防措施（人民调解法第25条）。"),
        "en": ("may intensify", "${case_no} (${what}) may intensify (Art. 25)."),
    },
    "other_routes": {
        "zh": ("调解终止", "案件${case_no}调解终止。您可依法申请仲裁、行政处理或向法院起诉。"),
        "en": ("mediation ended", "Case ${case_no}: mediation ended. Arbitrate or sue."),
    },
    "case_closed": {
        "zh": ("已结案", "案件${case_no}已结案：${what}。"),
        "en": ("case closed", "${case_no} closed: ${what}."),
    },
    "return_to_court": {
        "zh": ("退回立案", "委派调解${referral_no}（案件${case_no}）调解未成，退回立案。"),
        "en": ("returned for filing", "${referral_no}: returned for filing."),
    },
    "follow_up_due": {
        "zh": ("回访事项", "案件${case_no}：${what}。"),
        "en": ("follow-up", "Case ${case_no}: ${what}."),
    },
    "confirmation": {
        "zh": ("达成协议", "案件${case_no}已达成调解协议，可于${due}前共同申请司法确认。"),
        "en": ("agreement reached", "${case_no}: agreement; court confirmation by ${due}."),
    },
    "deadline_moved": {
        "zh": ("期限调整", "案件${case_no}按新的节假日安排重新计算期限，最近期限${due}。"),
        "en": ("deadlines moved", "Case ${case_no}: deadlines moved; next ${due}."),
    },
    "court_outcome": {
        "zh": ("调解结果", "委派调解${referral_no}（案件${case_no}）结果：${what}。"),
        "en": ("mediation outcome", "${referral_no}: mediation ${what}."),
    },
    "login_code": {
        "zh": ("登录验证码", "验证码${code}，${minutes}分钟内有效，用于登录调解系统，请勿告诉他人。"),
        "en": ("login code", "Login code ${code}, valid ${minutes} min. Do not share it."),
    },
    "digest": {
        "zh": ("督办日报", "${subject}"),
        "en": ("daily digest", "${subject}"),
    },
}
# Any other kind (a login code, a new notice): the stored subject.
NOTICE_FALLBACK: dict[str, tuple[str, str]] = {"zh": ("通知", "${subject}"), "en": ("notice", "${subject}")}
# `what` of a follow-up notice, by aftercare.Due value.
FOLLOW_UP_WHAT: dict[str, tuple[str, str]] = {
    "visit": ("回访到期", "follow-up visit due"),
    "window_closes": ("司法确认申请期限届满", "confirmation window closed"),
    "decision_late": ("法院受理决定逾期", "court decision late"),
}
EMAIL_FOOTER: dict[str, str] = {
    "zh": "本邮件由人民调解案件系统自动发送，请勿直接回复。",
    "en": "Sent by the people's mediation case system; please do not reply to this address.",
}
