"""Plain pytest: a person's answer or a machine's (tools/mail_replies.py)."""

import pytest

from ..tools.mail_replies import is_automatic_reply
from .pure import odoo_test_case


@pytest.mark.parametrize(
    "headers, subject",
    [
        ({"auto-submitted": "auto-replied"}, "Re: Open invoices on your account"),
        ({"auto-submitted": "auto-generated; type=vacation"}, "Re: Open invoices"),
        ({"x-autoreply": "yes"}, "Re: Open invoices"),
        ({"x-autorespond": "Vacation"}, "Re: Open invoices"),
        ({"precedence": "auto_reply"}, "Re: Open invoices"),
        ({"precedence": "bulk"}, "Re: Open invoices"),
        ({}, "Automatic reply: Open invoices on your account"),
        ({}, "Out of Office: Open invoices on your account"),
        ({}, "Réponse automatique : factures ouvertes"),
        ({}, "Abwesenheitsnotiz: Offene Rechnungen"),
        ({}, "Auto: Open invoices"),
    ],
)
def test_machines(headers, subject):
    assert is_automatic_reply(headers, subject)


@pytest.mark.parametrize(
    "headers, subject",
    [
        ({}, "Re: Open invoices on your account"),
        ({"auto-submitted": "no"}, "Re: Open invoices"),
        ({"precedence": "first-class"}, "Re: Open invoices"),
        ({"x-autoreply": "no"}, "Re: Open invoices"),
        # A person writing about an absence or an automatic payment is a person.
        ({}, "Re: Open invoices - I was out of office, paying today"),
        ({}, "Re: automatic payment failed"),
        ({}, ""),
    ],
)
def test_people(headers, subject):
    assert not is_automatic_reply(headers, subject)


# The same tests under Odoo's own runner (see tests/pure.py).
OdooRunner = odoo_test_case(globals())
