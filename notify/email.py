"""Email over SMTP (aiosmtplib): the whole notice, in the recipient's language, as plain text."""

from __future__ import annotations

import hashlib
from email.message import EmailMessage
from email.utils import formataddr

import aiosmtplib

from notify.senders import AmbiguousError, DeliveryError, Outgoing, PermanentError


class SmtpSender:
    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        sender_name: str = "",
        username: str | None = None,
        password: str | None = None,
        start_tls: bool = False,
        use_tls: bool = False,
        timeout_s: float = 30.0,
    ) -> None:
        self._host, self._port = host, port
        self._from = formataddr((sender_name, sender)) if sender_name else sender
        self._domain = sender.rpartition("@")[2] or "localhost"
        self._username, self._password = username, password
        self._start_tls, self._use_tls = start_tls, use_tls
        self._timeout = timeout_s

    def message(self, outgoing: Outgoing) -> EmailMessage:
        if not outgoing.address:
            raise PermanentError(f"{outgoing.recipient} has no email address")
        mail = EmailMessage()
        mail["From"] = self._from
        mail["To"] = outgoing.address
        mail["Subject"] = outgoing.subject
        # The same delivery always has the same Message-ID, so a resend is recognisable as one.
        mail["Message-ID"] = f"<{hashlib.sha256(outgoing.token.encode()).hexdigest()[:40]}@{self._domain}>"
        mail["X-Mediation-Key"] = outgoing.token
        mail.set_content(outgoing.body)
        return mail

    async def send(self, outgoing: Outgoing) -> str | None:
        mail = self.message(outgoing)
        try:
            await aiosmtplib.send(
                mail,
                hostname=self._host,
                port=self._port,
                username=self._username,
                password=self._password,
                start_tls=self._start_tls,
                use_tls=self._use_tls,
                timeout=self._timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused as err:
            raise PermanentError(f"SMTP refused the recipient: {err}") from err
        except aiosmtplib.SMTPResponseException as err:
            text = f"SMTP {err.code}: {err.message}"
            raise (PermanentError if 500 <= err.code < 600 else DeliveryError)(text) from err
        except (aiosmtplib.SMTPConnectError, aiosmtplib.SMTPConnectTimeoutError, OSError) as err:
            raise DeliveryError(f"SMTP server {self._host}:{self._port} unreachable: {err}") from err
        except aiosmtplib.SMTPException as err:
            raise AmbiguousError(f"SMTP: {err}") from err
        return str(mail["Message-ID"])
