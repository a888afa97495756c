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
