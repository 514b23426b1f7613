"""Is an incoming email a person's answer, or a machine's (no ORM)?

A customer's answer to a reminder pauses its ladder; an out-of-office notice or another
automatic reply does not. The signs, in order: RFC 3834 ``Auto-Submitted`` (anything but
"no"), the de-facto ``X-Autoreply`` / ``X-Autorespond`` headers, ``Precedence``
auto_reply, bulk or junk, and the subjects mail clients give their absence notices.
"""

import re

AUTO_HEADERS = ("x-autoreply", "x-autorespond", "x-autoresponder")
AUTO_PRECEDENCE = {"auto_reply", "bulk", "junk"}

# Subjects of absence notices (Outlook, Gmail, Exchange, Thunderbird) in the languages
# the module speaks and its neighbours; a prefix or the whole subject.
AUTO_SUBJECT = re.compile(
    r"^\s*(auto(matic)?[ -]?(reply|response)|autoreply|auto:"
    r"|out of (the )?office|ooo\b|abwesenheitsnotiz|automatische antwort"
    r"|r[ée]ponse automatique|absent du bureau|absence du bureau"
    r"|respuesta autom[áa]tica|fuera de la oficina|risposta automatica"
    r"|automatisch antwoord|resposta autom[áa]tica)",
    re.IGNORECASE,
)


def is_automatic_reply(headers, subject=""):
    """Whether the email with ``headers`` ({lower-case name: value}) and ``subject`` was
    written by a machine rather than a person."""
    auto_submitted = (headers.get("auto-submitted") or "").split(";")[0].strip().lower()
    if auto_submitted and auto_submitted != "no":
        return True
    if any((headers.get(name) or "").strip().lower() not in ("", "no") for name in AUTO_HEADERS):
        return True
    if (headers.get("precedence") or "").strip().lower() in AUTO_PRECEDENCE:
        return True
    return bool(AUTO_SUBJECT.match(subject or ""))
