"""A notice in the recipient's language: the short text (one SMS segment) and the email's subject.

Pure: the message's kind and facts (models/effects.Notification.facts) in, text out. The words
are in models/labels.py (NOTICES).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from string import Template

from models.calendar import CHINA_TZ
from models.enums import ClosureReason, DeadlineKind, DisputeType, Outcome
from models.labels import FOLLOW_UP_WHAT, NOTICE_FALLBACK, NOTICES, en, zh

LANGUAGES = ("zh", "en")
SMS_SEGMENT = 70  # characters of one SMS segment with Chinese text (UCS-2), signature included


def language(preferred: str | None) -> str:
    """Chinese unless the recipient prefers English."""
    return "en" if (preferred or "").lower().startswith("en") else "zh"


def template_key(kind: str, recipient_kind: str) -> str:
    """The NOTICES entry for a message: `kind@recipient-kind` where there is one, else `kind`."""
    special = f"{kind}@{recipient_kind}"
    return special if special in NOTICES else kind


def texts(kind: str, recipient_kind: str, lang: str) -> tuple[str, str]:
    """(email title, SMS template) of a kind in a language."""
    return NOTICES.get(template_key(kind, recipient_kind), NOTICE_FALLBACK)[lang]


def params(facts: dict[str, str], subject: str, lang: str) -> dict[str, str]:
    """The template variables, in the recipient's language."""
    values = {"case_no": facts.get("case_no", ""), "subject": subject[:60]}
    for name in ("referral_no", "code", "minutes"):
        if name in facts:
            values[name] = facts[name]
    if "due" in facts:
        values["due"] = short_time(datetime.fromisoformat(facts["due"]))
    what = _what(facts, lang)
    if what is not None:
        values["what"] = what
    return values


def _what(facts: dict[str, str], lang: str) -> str | None:
    pick = zh if lang == "zh" else en
    label: StrEnum | None = None
    if "deadline" in facts:
        label = DeadlineKind(facts["deadline"])
    elif "reason" in facts:
        label = ClosureReason(facts["reason"])
    elif "dispute_type" in facts:
        label = DisputeType(facts["dispute_type"])
    elif "outcome" in facts:
        label = Outcome(facts["outcome"])
    if label is not None:
        return pick(label)
    if "what" in facts and facts["what"] in FOLLOW_UP_WHAT:
        chinese, english = FOLLOW_UP_WHAT[facts["what"]]
        return chinese if lang == "zh" else english
    return None


def short_time(instant: datetime) -> str:
    """'12-03 17:00' in China time; the end of a day reads 24:00 of that day."""
    local = instant.astimezone(CHINA_TZ)
    if (local.hour, local.minute) == (0, 0):
        day = local - timedelta(days=1)
        return f"{day:%m-%d} 24:00"
    return f"{local:%m-%d %H:%M}"


def sms_text(template: str, values: dict[str, str]) -> str:
    """The template filled in; a variable the facts lack stays visible as ${name}."""
    return Template(template).safe_substitute(values)


def email_subject(title: str, values: dict[str, str], sign_name: str) -> str:
    case_no = values.get("case_no")
    return f"【{sign_name}】{title}" + (f" {case_no}" if case_no else "")
