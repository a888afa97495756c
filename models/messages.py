"""The notices the rules send, in Chinese and English: each function gives a subject and a body.

Display text only; who receives a notice, its key and its facts are decided in models/rules/.
The short texts (SMS, email subjects) built from the facts are in models/notices.py.
"""

from __future__ import annotations

from datetime import datetime

from models.aftercare import Due
from models.calendar import cst_text as _fmt
from models.case import CaseState, Committee, Reminder
from models.court import CourtReferral
from models.enums import ClosureReason, DeadlineKind, Outcome
from models.labels import en, zh

Text = tuple[str, str]  # (subject, body)

OTHER_ROUTES = (
    "调解不成，调解终止。您可以依法通过仲裁、行政途径或者向人民法院提起诉讼维护权益（人民调解法第二十六条）。"
    " Mediation has ended without agreement. You may seek arbitration, administrative handling"
    " or file a lawsuit (People's Mediation Law, Art. 26)."
)

_FOLLOW_UP_DUE: dict[Due, Text] = {
    Due.WINDOW_CLOSES: (
        "司法确认申请期限届满 confirmation window closed",
        "the 30 days for a joint application for judicial confirmation passed without one (Art. 33)",
    ),
    Due.RULING_SOON: (
        "司法确认裁定即将到期 ruling due soon",
        "the court's ruling on confirmation is due soon",
    ),
    Due.RULING_LATE: (
        "司法确认裁定逾期 ruling late",
        "the court has not ruled within its days after accepting the application (SPC 2011, Art. 5)",
    ),
    Due.DECISION_LATE: (
        "法院受理决定逾期 court decision late",
        "the court has not decided within 3 days whether to accept the application (SPC 2011)",
    ),
}


def handoff(state: CaseState, committee: Committee, deadline: datetime) -> Text:
    """To the committee the case was just handed to; the case's last stage is the new one."""
    case_no, dispute = state.case_no, state.intake.dispute_type
    dossier = "; ".join(
        f"{s.no}. {s.committee.name} → {en(s.outcome) if s.outcome else 'open'}" for s in state.stages[:-1]
    )
    return (
        f"{case_no} 待受理 handed to you",
        f"案件{case_no}（{zh(dispute)}）移交{committee.name}，请于{_fmt(deadline)}前受理。"
        f" Case {case_no} ({en(dispute)}) is handed to {committee.id};"
        f" accept by {_fmt(deadline)}. Earlier stages: {dossier or 'none'}.",
    )


def reminder(state: CaseState, reminder: Reminder) -> Text:
    case_no, deadline = state.case_no, state.stage.deadline
    return (
        f"{case_no} {zh(reminder.deadline)}提醒 reminder",
        f"案件{case_no}的{zh(reminder.deadline)}为{_fmt(deadline)}（还有{reminder.before.zh}）。"
        f" Case {case_no}: {en(reminder.deadline)} {_fmt(deadline)}, due in {reminder.before}.",
    )


def overdue_committee(case_no: str, kind: DeadlineKind) -> Text:
    return (
        f"{case_no} 已逾期 overdue",
        f"案件{case_no}的{zh(kind)}已过，已报告督办。 Case {case_no}: {en(kind)} passed;"
        " the supervisor has been told.",
    )


def overdue_supervisor(state: CaseState) -> Text:
    case_no, stage = state.case_no, state.stage
    return (
        f"{case_no} 逾期督办 overdue at the top level",
        f"案件{case_no}在{stage.committee.name}已逾期（{_fmt(stage.deadline)}），无更高层级可上交，请督办。"
        f" Case {case_no} is overdue at {stage.committee.id} since {_fmt(stage.deadline)};"
        f" it is at the top level: please follow up (notice {state.overdue_reminders_sent}).",
    )


def intensification(state: CaseState) -> Text:
    intake = state.intake
    return (
        f"{state.case_no} 纠纷可能激化 may intensify (Art. 25)",
        f"案件{state.case_no}（{zh(intake.dispute_type)}，{intake.place.village}）可能激化，"
        "请采取预防措施（人民调解法第二十五条）。"
        f" Case {state.case_no} ({en(intake.dispute_type)}) may intensify: preventive measures"
        " requested (People's Mediation Law, Art. 25).",
    )


def agreement_reached(case_no: str, window: datetime) -> Text:
    return (
        f"{case_no} 达成调解协议 agreement reached",
        f"案件{case_no}已达成调解协议。双方可于{_fmt(window)}前共同向人民法院申请司法确认（人民调解法第三十三条）。"
        f" Case {case_no}: an agreement was reached. The parties may jointly apply for judicial"
        f" confirmation by {_fmt(window)} (Art. 33).",
    )


def other_routes(case_no: str) -> Text:
    return f"{case_no} 调解终止 mediation ended", OTHER_ROUTES


def closed(case_no: str, reason: ClosureReason) -> Text:
    return (
        f"{case_no} 已结案 case closed",
        f"案件{case_no}已结案：{zh(reason)}。 Case {case_no} is closed: {en(reason)}.",
    )


def agreement_terms(terms: str) -> str:
    """What the court is told of an agreement."""
    return f"协议内容 terms: {terms}"


def ending_reason(text: str) -> str:
    """What the court is told of a refusal, a withdrawal or a failure at the top."""
    return f"原因 reason: {text}"


def court_outcome(state: CaseState, referral: CourtReferral, outcome: Outcome, detail: str) -> Text:
    """An ending told to the referring court: an agreement with its terms, or why it ended."""
    stage = state.stage
    body = (
        f"委派/委托调解案件{referral.referral_no}（{state.case_no}）由{stage.committee.name}调解，结果：{zh(outcome)}。{detail}"
        f" Referral {referral.referral_no} ({state.case_no}) at {stage.committee.id}: {en(outcome)}. {detail}"
    )
    return f"{referral.referral_no} {zh(outcome)} {en(outcome)}", body


def returned_to_court(state: CaseState, referral: CourtReferral, reason: str) -> Text:
    """A failure or a term run out under a court referral: back to the court for filing."""
    record = "; ".join(
        f"{s.no}. {s.committee.id} sessions {len(s.sessions)} → {s.outcome.value if s.outcome else 'open'}"
        for s in state.stages
    )
    return (
        f"{referral.referral_no} 调解未成，退回立案 returned for filing",
        f"委派/委托调解案件{referral.referral_no}（{state.case_no}）{reason}，退回立案。调解记录：{record}。"
        f" Referral {referral.referral_no} ({state.case_no}): {reason}; returned to the court for filing."
        f" Mediation record: {record}.",
    )


def follow_up_due(case_no: str, due: Due, visit_no: int) -> Text:
    """To the committee that made the agreement: a visit, or a step of judicial confirmation, due."""
    if due is Due.VISIT:
        subject, body = "回访到期 follow-up visit due", f"follow-up visit {visit_no} of the agreement is due"
    else:
        subject, body = _FOLLOW_UP_DUE[due]
    return f"{case_no} {subject}", f"案件{case_no}: {subject}. Case {case_no}: {body}."
