import re
from email.utils import getaddresses
from html import unescape
from urllib.parse import parse_qs, urlsplit

from freezegun import freeze_time

from odoo.tests import HttpCase, tagged

from .common import DunningRunCommon
from .smtp_server import SmtpSink


@tagged("post_install", "-at_install")
class TestPayNow(DunningRunCommon, HttpCase):
    """Pay now, for real: the link of a reminder delivered to an SMTP server, opened
    without a session, paid with Odoo's demo provider (payment_demo, installed in the
    test database only) through the routes the invoice's payment form calls; then the
    ladder stops and the thank-you leaves through the mail queue, once."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sink = SmtpSink().start()
        cls.addClassCleanup(cls.sink.stop)
        cls.policy.send_thank_you = True
        # The company's demo provider (Odoo gives each company its own), as a manager
        # enables it in test mode.
        cls.provider = (
            cls.env["payment.provider"]
            .sudo()
            .search([("code", "=", "demo"), ("company_id", "=", cls.company.id)], limit=1)
        )
        cls.provider.write({"state": "test", "is_published": True})
        cls.payment_method = cls.env.ref("payment_demo.payment_method_demo")

    def url_open(self, *args, **kwargs):
        # The server reads the database: what the test wrote in the cache goes there first.
        self.env.flush_all()
        return super().url_open(*args, **kwargs)

    def _delivered(self):
        """Odoo's mail queue run as its scheduled action does, into the SMTP server;
        the messages of the customer's payables contact."""
        return [
            message
            for message in self.sink.deliver_queue(self.env)
            if self.ap_contact.email
            in [address for _n, address in getaddresses(message.get_all("To"))]
        ]

    def _pay_now_path(self, message, invoice):
        html = message.get_body(("html",)).get_content()
        links = [unescape(href) for href in re.findall(r'href="([^"]+)"', html)]
        pay_now = [link for link in links if f"/my/invoices/{invoice.id}?" in link]
        self.assertEqual(len(pay_now), 1, links)
        url = urlsplit(pay_now[0])
        return f"{url.path}?{url.query}", parse_qs(url.query)["access_token"][0]

    def _pay_with_the_demo_provider(self, path, token, invoice):
        """What the invoice page's payment form does for the customer's card."""
        page = self.url_open(path)
        self.assertEqual(page.status_code, 200)
        self.assertIn(invoice.name, page.text)
        self.assertIn(f'data-provider-id="{self.provider.id}"', page.text)
        processing = self.make_jsonrpc_request(
            f"{self.base_url()}/invoice/transaction/{invoice.id}",
            {
                "provider_id": self.provider.id,
                "payment_method_id": self.payment_method.id,
                "token_id": None,
                "amount": invoice.amount_residual,
                "flow": "direct",
                "tokenization_requested": False,
                "landing_route": path,
                "access_token": token,
            },
        )
        self.make_jsonrpc_request(
            f"{self.base_url()}/payment/demo/simulate_payment",
            {
                "reference": processing["reference"],
                "payment_details": "4242",
                "simulated_state": "done",
            },
        )
        # The landing page polls until the payment is recorded (post-processing).
        self.make_jsonrpc_request(f"{self.base_url()}/payment/status/poll", {})
        return self.env["payment.transaction"].search([("reference", "=", processing["reference"])])

    def test_pay_now_link_pays_the_invoice_stops_the_ladder_and_thanks_once(self):
        with freeze_time("2026-03-01"):
            invoice = self._dunning_invoice(240.0, "2026-03-01")
        with freeze_time("2026-03-11 10:00:00"):
            self._run()
            reminders = self._delivered()
            self.assertEqual(len(reminders), 1)
            self.assertIn(invoice.name, reminders[0].get_body(("html",)).get_content())
            path, token = self._pay_now_path(reminders[0], invoice)
            # The customer has no session: the link alone opens the invoice.
            self.assertFalse(self.opener.cookies.get("session_id"))
            transaction = self._pay_with_the_demo_provider(path, token, invoice)

            self.assertEqual(transaction.state, "done")
            self.assertTrue(transaction.is_post_processed)
            payment = transaction.payment_id
            self.assertEqual(payment.amount, 240.0)
            self.assertIn(payment, invoice.matched_payment_ids)
            self.assertIn(invoice.payment_state, ("paid", "in_payment"))
            self.assertEqual(invoice.amount_residual, 0.0, "reconciled with the payment")
            ledger = self.customer._dunning_ledger()[self.customer.id]
            self.assertEqual(ledger.net_company(), 0.0, "the customer owes nothing more")

        with freeze_time("2026-03-12 10:00:00"):
            self._run()
            thanks = self._delivered()
            self.assertEqual(len(thanks), 1, [m["Subject"] for m in thanks])
            body = thanks[0].get_body(("html",)).get_content()
            self.assertIn(invoice.name, body)
            self.assertNotIn(
                f"/my/invoices/{invoice.id}?", body, "no pay-now link for a paid invoice"
            )
            self.assertTrue(invoice.dunning_thanked)

        # Nothing more: no reminder for the paid invoice, no second thank-you.
        for day in ("2026-03-18 10:00:00", "2026-04-01 10:00:00"):
            with freeze_time(day):
                self._run()
                self.assertEqual(self._delivered(), [], day)
