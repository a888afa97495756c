"""How mediation ends: an agreement, a failure, a refusal, a withdrawal, a case closed or returned
to the court. The court kept informed: every ending of a court referral goes back to it."""

from __future__ import annotations

from datetime import datetime

from models import aftercare, messages
from models.actions import ActionInput, RecordAgreement, RecordFailure, RecordRefusal, Withdraw
from models.case import Agreement, CaseState
from models.enums import AgreementForm, CaseStatus, ClosureReason, EscalationCause, NotificationKind, Outcome
from models.rules.allowed import Rejected, check_parties, under_court_term
from models.rules.ladder import committee_for, end_stage, hand_off
from models.rules.transaction import Transition


def check_agreement(state: CaseState, payload: ActionInput, now: datetime) -> None:
    assert isinstance(payload, RecordAgreement)
    check_parties(state, payload.signed_by)
    if payload.form is AgreementForm.WRITTEN:
        missing = [p for p in state.intake.party_ids() if p not in payload.signed_by]
        if missing:
            raise Rejected(
                "a written agreement takes effect when every party has signed (Art. 29);"
                f" not signed by: {', '.join(missing)}"
            )


def check_failure(state: CaseState, payload: ActionInput, now: datetime) -> None:
    assert isinstance(payload, RecordFailure)


def check_party(state: CaseState, payload: ActionInput, now: datetime) -> None:
    assert isinstance(payload, RecordRefusal | Withdraw)
    check_parties(state, [payload.party_id])


def apply_agreement(tx: Transition, payload: ActionInput, now: datetime) -> None:
    assert isinstance(payload, RecordAgreement)
    # By design (issue 4): an agreement ends the stage but not the case. The case moves to
    # FOLLOW_UP (visits, judicial confirmation) and closes as resolved only after the last
    # visit or a court confirmation. Tests that expect an agreement to close the case are outdated.
    state = tx.state
    state.stage.agreement = Agreement(
        form=payload.form, terms=payload.terms, signed_by=list(payload.signed_by), reached_at=now
    )
    end_stage(tx, Outcome.AGREEMENT, None, "agreement reached", now)
    tell_court(tx, Outcome.AGREEMENT, messages.agreement_terms(payload.terms))
    policy = state.policy
    state.aftercare = aftercare.plan(
        state.stage.no, state.stage.committee.id, now, policy.follow_up, policy.confirmation, policy.calendar
    )
    state.status = CaseStatus.FOLLOW_UP
    state.overdue = False
    state.next_overdue_reminder_at = None
    window = state.aftercare.confirmation.window_ends
    subject, body = messages.agreement_reached(state.case_no, window)
    for party in state.intake.parties:
        tx.notify(
            f"stage-{state.stage.no}/agreement/{party.party_id}",
            NotificationKind.CONFIRMATION,
            f"party:{party.party_id}",
            subject,
            body,
            due=window.isoformat(),
        )


def apply_failure(tx: Transition, payload: ActionInput, now: datetime) -> None:
    assert isinstance(payload, RecordFailure)
    if under_court_term(tx.state):
        return_to_court(tx, f"mediation failed: {payload.reason}", now)
        return
    next_level = tx.state.policy.next_level(tx.state.level)
    if next_level is None:
        close(tx, Outcome.FAILED, ClosureReason.FAILED_AT_TOP, payload.reason, now)
        other_routes(tx)
        return
    end_stage(tx, Outcome.FAILED, EscalationCause.FAILURE, payload.reason, now)
    hand_off(tx, committee_for(tx.state, next_level), now)


def apply_refusal(tx: Transition, payload: ActionInput, now: datetime) -> None:
    assert isinstance(payload, RecordRefusal)
    close(tx, Outcome.REFUSED, ClosureReason.REFUSED, f"{payload.party_id}: {payload.reason}", now)


def apply_withdraw(tx: Transition, payload: ActionInput, now: datetime) -> None:
    assert isinstance(payload, Withdraw)
    close(tx, Outcome.WITHDRAWN, ClosureReason.WITHDRAWN, f"{payload.party_id}: {payload.reason}", now)


def close(tx: Transition, outcome: Outcome, reason: ClosureReason, text: str, now: datetime) -> None:
    """The stage ends with `outcome` and the case closes with it."""
    tell_court(tx, outcome, messages.ending_reason(text))
    end_stage(tx, outcome, None, text, now)
    state = tx.state
    state.status = CaseStatus.CLOSED
    state.closed_at = now
    state.closure_reason = reason
    state.overdue = False
    state.next_overdue_reminder_at = None
    closed_notices(tx, reason)


def close_after_agreement(tx: Transition, reason: ClosureReason, now: datetime) -> None:
    state = tx.state
    state.status = CaseStatus.CLOSED
    state.closed_at = now
    state.closure_reason = reason
    closed_notices(tx, reason)


def return_to_court(tx: Transition, reason: str, now: datetime) -> None:
    """A court referral that failed or ran out of the court's term goes back for filing."""
    state = tx.state
    referral = state.referral
    assert referral is not None
    end_stage(tx, Outcome.RETURNED_TO_COURT, None, reason, now)
    state.status = CaseStatus.CLOSED
    state.closed_at = now
    state.closure_reason = ClosureReason.RETURNED_TO_COURT
    subject, body = messages.returned_to_court(state, referral, reason)
    tx.notify(
        "return-to-court",
        NotificationKind.RETURN_TO_COURT,
        f"court:{referral.court}",
        subject,
        body,
        referral_no=referral.referral_no,
    )
    closed_notices(tx, ClosureReason.RETURNED_TO_COURT)


def tell_court(tx: Transition, outcome: Outcome, detail: str) -> None:
    """An agreement carries its terms, so the court can close the referral or confirm it; a refusal,
    a withdrawal or a failure says why. Not after an agreement was reopened: the referral ended."""
    state, referral = tx.state, tx.state.referral
    if referral is None or state.reopened:
        return
    subject, body = messages.court_outcome(state, referral, outcome, detail)
    tx.notify(
        f"court/stage-{state.stage.no}/{outcome.value}",
        NotificationKind.COURT_OUTCOME,
        f"court:{referral.court}",
        subject,
        body,
        referral_no=referral.referral_no,
        outcome=outcome.value,
    )


def closed_notices(tx: Transition, reason: ClosureReason) -> None:
    state = tx.state
    subject, body = messages.closed(state.case_no, reason)
    for party in state.intake.parties:
        tx.notify(
            f"closed/{party.party_id}",
            NotificationKind.CASE_CLOSED,
            f"party:{party.party_id}",
            subject,
            body,
            reason=reason.value,
        )


def other_routes(tx: Transition) -> None:
    """Mediation ended without agreement: the parties are told where else to go (Art. 26)."""
    subject, body = messages.other_routes(tx.state.case_no)
    for party in tx.state.intake.parties:
        tx.notify(
            f"other-routes/{party.party_id}",
            NotificationKind.OTHER_ROUTES,
            f"party:{party.party_id}",
            subject,
            body,
        )
