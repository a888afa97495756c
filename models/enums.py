"""The words of DOMAIN.md as enumerations: one name per idea."""

from enum import StrEnum


class Level(StrEnum):
    GRID = "grid"
    VILLAGE = "village"
    TOWNSHIP = "township"
    COUNTY = "county"


LEVEL_ORDER: tuple[Level, ...] = (Level.GRID, Level.VILLAGE, Level.TOWNSHIP, Level.COUNTY)


class DisputeType(StrEnum):
    NEIGHBOUR = "neighbour"
    FAMILY = "family"
    LAND = "land"
    LABOUR = "labour"
    MEDICAL = "medical"
    TRAFFIC = "traffic"
    PROPERTY = "property"
    OTHER = "other"


class Channel(StrEnum):
    """How a case came in; court referrals are a later entry point."""

    GRID_REPORT = "grid_report"
    WALK_IN = "walk_in"
    HOTLINE = "hotline"
    COURT_REFERRAL = "court_referral"


class Risk(StrEnum):
    NORMAL = "normal"
    MAY_INTENSIFY = "may_intensify"


class CaseStatus(StrEnum):
    AWAITING_ACCEPTANCE = "awaiting_acceptance"
    MEDIATING = "mediating"
    FOLLOW_UP = "follow_up"
    CLOSED = "closed"


class Outcome(StrEnum):
    AGREEMENT = "agreement"
    FAILED = "failed"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"
    TRANSFERRED = "transferred"
    ESCALATED = "escalated"
    RETURNED_TO_COURT = "returned_to_court"


class EscalationCause(StrEnum):
    ACCEPTANCE_TIMEOUT = "acceptance_timeout"
    MEDIATION_TIMEOUT = "mediation_timeout"
    DECISION = "decision"
    INTENSIFICATION = "intensification"
    FAILURE = "failure"


class ClosureReason(StrEnum):
    AGREEMENT = "agreement"
    PERFORMED = "performed"
    CONFIRMED_BY_COURT = "confirmed_by_court"
    AGREEMENT_INVALID = "agreement_invalid"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"
    FAILED_AT_TOP = "failed_at_top"
    RETURNED_TO_COURT = "returned_to_court"
    CLOSED_BY_SUPERVISOR = "closed_by_supervisor"


class PartyRole(StrEnum):
    APPLICANT = "applicant"
    RESPONDENT = "respondent"
    THIRD_PARTY = "third_party"


class ActorRole(StrEnum):
    GRID_WORKER = "grid_worker"
    MEDIATOR = "mediator"
    CHAIR = "chair"
    SUPERVISOR = "supervisor"
    COURT_LIAISON = "court_liaison"


class AgreementForm(StrEnum):
    WRITTEN = "written"
    ORAL = "oral"


class SessionMode(StrEnum):
    IN_PERSON = "in_person"
    PHONE = "phone"
    VIDEO = "video"


class DeadlineKind(StrEnum):
    ACCEPTANCE = "acceptance"
    MEDIATION = "mediation"


class Action(StrEnum):
    """Mediator actions; each is a workflow update of the same name."""

    ACCEPT = "accept"
    RECORD_SESSION = "record_session"
    EXTEND = "extend"
    ESCALATE = "escalate"
    TRANSFER = "transfer"
    RECORD_AGREEMENT = "record_agreement"
    RECORD_FAILURE = "record_failure"
    RECORD_REFUSAL = "record_refusal"
    WITHDRAW = "withdraw"
    APPLY_CONFIRMATION = "apply_confirmation"
    RECORD_COURT_DECISION = "record_court_decision"
    RECORD_RULING = "record_ruling"
    RECORD_VISIT = "record_visit"
    FLAG_INTENSIFICATION = "flag_intensification"
    EXTEND_RULING = "extend_ruling"


class NotificationKind(StrEnum):
    HANDOFF = "handoff"
    REMINDER = "reminder"
    OVERDUE = "overdue"
    INTENSIFICATION = "intensification"
    OTHER_ROUTES = "other_routes"
    CASE_CLOSED = "case_closed"
    RETURN_TO_COURT = "return_to_court"
    FOLLOW_UP_DUE = "follow_up_due"
    CONFIRMATION = "confirmation"
    DEADLINE_MOVED = "deadline_moved"
    COURT_OUTCOME = "court_outcome"
