"""The court kept informed: every ending of a court referral goes back to the referring court."""

from __future__ import annotations

from models.case import CaseState
from models.enums import Outcome
from models.labels import en, zh


def court_outcome_notice(state: CaseState, outcome: Outcome, detail: str) -> tuple[str, str, str, str] | None:
    """(key, recipient, subject, body) of the notice to the referring court, or None without one.

    An agreement carries its terms, so the court can close the referral or confirm it; a refusal,
    a withdrawal, a failure or a timeout says why (the last two return the case for filing)."""
    referral = state.referral
    if referral is None or state.reopened:
        return None
    stage = state.stage
    subject = f"{referral.referral_no} {zh(outcome)} {en(outcome)}"
    body = (
        f"委派/委托调解案件{referral.referral_no}（{state.case_no}）由{stage.committee.name}调解，结果：{zh(outcome)}。{detail}"
        f" Referral {referral.referral_no} ({state.case_no}) at {stage.committee.id}: {en(outcome)}. {detail}"
    )
    return f"court/stage-{stage.no}/{outcome.value}", f"court:{referral.court}", subject, body
