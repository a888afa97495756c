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

LABELS: dict[StrEnum, tuple[str, str]] = {
    Level.GRID: ("网格", "grid"),
    Level.VILLAGE: ("村(社区)", "village"),
    Level.TOWNSHIP: ("乡镇(街道)", "township"),
    Level.COUNTY: ("县(区)", "county"),
    DisputeType.NEIGHBOUR: ("邻里纠纷", "neighbour"),
    DisputeType.FAMILY: ("婚姻家庭纠纷", "family"),
    DisputeType.LAND: ("土地纠纷", "land"),
    DisputeType.LABOUR: ("劳动争议", "labour"),
    DisputeType.MEDICAL: ("医疗纠纷", "medical"),
    DisputeType.TRAFFIC: ("交通事故纠纷", "traffic"),
    DisputeType.PROPERTY: ("财产纠纷", "property"),
    DisputeType.OTHER: ("其他纠纷", "other"),
    CaseStatus.AWAITING_ACCEPTANCE: ("待受理", "awaiting acceptance"),
    CaseStatus.MEDIATING: ("调解中", "mediating"),
    CaseStatus.CLOSED: ("已结案", "closed"),
    Outcome.AGREEMENT: ("达成协议", "agreement"),
    Outcome.FAILED: ("调解不成", "failed"),
    Outcome.REFUSED: ("当事人拒绝调解", "refused"),
    Outcome.WITHDRAWN: ("撤回", "withdrawn"),
    Outcome.TRANSFERRED: ("移送", "transferred"),
    Outcome.ESCALATED: ("上交", "escalated"),
    Outcome.RETURNED_TO_COURT: ("退回法院", "returned to court"),
    EscalationCause.ACCEPTANCE_TIMEOUT: ("逾期未受理", "not accepted in time"),
    EscalationCause.MEDIATION_TIMEOUT: ("调解期限届满", "mediation deadline passed"),
    EscalationCause.DECISION: ("调解员决定上交", "mediator's decision"),
    EscalationCause.INTENSIFICATION: ("可能激化", "may intensify"),
    EscalationCause.FAILURE: ("调解不成", "mediation failed"),
    ClosureReason.AGREEMENT: ("达成协议", "agreement"),
    ClosureReason.REFUSED: ("当事人拒绝调解", "a party refused"),
    ClosureReason.WITHDRAWN: ("当事人撤回", "withdrawn"),
    ClosureReason.FAILED_AT_TOP: ("调解终止，告知其他途径", "failed at the top level"),
    DeadlineKind.ACCEPTANCE: ("受理期限", "acceptance deadline"),
    DeadlineKind.MEDIATION: ("调解期限", "mediation deadline"),
    Action.ACCEPT: ("受理", "accept"),
    Action.RECORD_SESSION: ("记录调解", "record session"),
    Action.EXTEND: ("延期", "extend"),
    Action.ESCALATE: ("上交", "escalate"),
    Action.TRANSFER: ("移送", "transfer"),
    Action.RECORD_AGREEMENT: ("记录协议", "record agreement"),
    Action.RECORD_FAILURE: ("记录调解不成", "record failure"),
    Action.RECORD_REFUSAL: ("记录拒绝", "record refusal"),
    Action.WITHDRAW: ("撤回", "withdraw"),
}


def zh(value: StrEnum) -> str:
    return LABELS[value][0]


def en(value: StrEnum) -> str:
    return LABELS[value][1]


def both(value: StrEnum) -> str:
    """'村(社区) village': how the CLI and notices show a term."""
    chinese, english = LABELS[value]
    return f"{chinese} {english}"
