import re
from datetime import date
from html import unescape
from unittest.mock import patch

from freezegun import freeze_time

from odoo.exceptions import ValidationError
from odoo.tests import tagged
from odoo.tools import format_amount

from .common import DunningRunCommon

INTRO = "Under the applicable late payment rules, the following charges have accrued"
RUN_DATE = date(2026, 3, 11)


def _text(html):
    """The visible text of an email body, whitespace collapsed."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", str(html or ""))).split())


@tagged("post_install", "-at_install")
class TestLateChargesMessage(DunningRunCommon):
    """Levels may show the late charges accrued on the overdue invoices (issue #11)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.eur = cls.setup_other_currency("EUR", rates=[("2015-01-01", 2.0)])
        cls.policy.late_charge_rule = "eu_late_payment"
        cls.polite = cls.levels[2]  # +7, "payment may have slipped"
        cls.polite.show_late_charges = True

    def _invoices(self, partner=None):
        """USD 1,000 and EUR 500, both due on 1 March 2026 (10 days late on the run)."""
        with freeze_time("2026-03-01"):
            usd = self._dunning_invoice(1000.0, "2026-03-01", partner=partner)
            eur = self._dunning_invoice(500.0, "2026-03-01", partner=partner, currency=self.eur)
        return usd, eur

    def _row(self, move, charges):
        def fmt(amount):
            return format_amount(self.env, amount, move.currency_id)

        total = move.currency_id.round(charges["interest"] + charges["compensation"])
        return _text(
            f"{move.name} {fmt(charges['interest'])} {fmt(charges['compensation'])} {fmt(total)}"
        )

    def test_accrued_charges_shown_as_computed(self):
        usd, eur = self._invoices()
        with freeze_time(RUN_DATE):
            run = self._run()
        self.assertEqual(run.line_ids.level_id, self.polite)
        body = _text(self._mails().body_html)
        self.assertIn(INTRO, body)
        for move in (usd, eur):
            charges = move._dunning_late_charges(RUN_DATE)
            self.assertGreater(charges["interest"], 0.0)
            self.assertGreater(charges["compensation"], 0.0)
            self.assertIn(self._row(move, charges), body)
        # By hand: ECB 2.15 % on 1 January 2026 + 8 points, 2-11 March (10 days):
        # 1000 x 10.15 % x 10 / 365 = 2.78; EUR 40 at 2 EUR per USD = USD 20.
        self.assertEqual(
            usd._dunning_late_charges(RUN_DATE), {"interest": 2.78, "compensation": 20.0}
        )
        # 500 x 10.15 % x 10 / 365 = 1.39, EUR 40: a total per currency.
        self.assertEqual(
            eur._dunning_late_charges(RUN_DATE), {"interest": 1.39, "compensation": 40.0}
        )
        for currency, amounts in (
            (self.eur, (1.39, 40.0, 41.39)),
            (usd.currency_id, (2.78, 20.0, 22.78)),
        ):
            total = " ".join(format_amount(self.env, amount, currency) for amount in amounts)
            self.assertIn(_text(f"Total {currency.name} {total}"), body)

    def test_charged_already_not_shown_again(self):
        usd, _eur = self._invoices()
        with freeze_time("2026-03-05"):
            wizard = (
                self.env["dunning.late.charge.wizard"]
                .with_context(active_model="account.move", active_ids=usd.ids)
                .create({"date": "2026-03-05"})
            )
            wizard.action_confirm()
        self.assertTrue(usd.dunning_late_charge_ids)
        with freeze_time(RUN_DATE):
            self._run()
        body = _text(self._mails().body_html)
        # Only 6-11 March, and no second compensation: 1000 x 10.15 % x 6 / 365 = 1.67.
        charges = usd._dunning_late_charges(
            RUN_DATE, date_from=date(2026, 3, 6), compensation=False
        )
        self.assertEqual(charges, {"interest": 1.67, "compensation": 0.0})
        self.assertIn(self._row(usd, charges), body)

    def test_not_shown_when_the_policy_charges_nothing(self):
        self.policy.late_charge_rule = "none"
        self._invoices()
        with freeze_time(RUN_DATE):
            self._run()
        body = _text(self._mails().body_html)
        self.assertIn("Our records do not show your payment", body)
        self.assertNotIn(INTRO, body)

    def test_not_shown_when_the_level_does_not_show_them(self):
        self.polite.show_late_charges = False
        self._invoices()
        with freeze_time(RUN_DATE):
            self._run()
        self.assertNotIn(INTRO, _text(self._mails().body_html))

    def test_never_on_friendly_levels(self):
        friendly = self.levels[0]
        self.assertEqual((friendly.tone, friendly.delay_days), ("friendly", -3))
        with self.assertRaisesRegex(ValidationError, "cannot show late charges"):
            friendly.show_late_charges = True
        # A friendly tone after the due date, or a firmer one before it: refused too.
        with self.assertRaisesRegex(ValidationError, "cannot show late charges"):
            self.polite.tone = "friendly"
        firm = self.levels[3]
        firm.show_late_charges = True
        with self.assertRaisesRegex(ValidationError, "cannot show late charges"):
            self.levels[1].write({"tone": "firm", "delay_days": -1, "show_late_charges": True})
        self.assertTrue(firm.show_late_charges)

    def test_one_pass_for_the_batch(self):
        """The charges of all the customers of a batch are computed at once, not per
        invoice nor per rendering."""
        customers = self.env["res.partner"].create(
            [
                {"name": f"Customer {index}", "is_company": True, "email": f"c{index}@example.com"}
                for index in range(3)
            ]
        )
        moves = self.env["account.move"]
        for customer in customers:
            moves |= self._invoices(partner=customer)[0]  # and its EUR invoice
        moves_all = self.env["account.move"].search([("partner_id", "in", customers.ids)])
        self.assertEqual(len(moves_all), 6)
        Move = self.registry["account.move"]
        original = Move._dunning_late_charges_batch
        calls = []

        def spy(records, day):
            calls.append((set(records.ids), day))
            return original(records, day)

        with freeze_time(RUN_DATE), patch.object(Move, "_dunning_late_charges_batch", spy):
            self._run()
        self.assertEqual(calls, [(set(moves_all.ids), RUN_DATE)])
        for customer, move in zip(customers, moves, strict=True):
            body = _text(self._mails(customer).body_html)
            self.assertIn(self._row(move, move._dunning_late_charges(RUN_DATE)), body)

    def test_sample_render_of_a_level_without_invoices(self):
        """Saving a level renders its template on a sample event without invoices:
        the block must not break it."""
        firm = self.env.ref("account_dunning.mail_template_dunning_firm")
        self.polite.mail_template_id = firm
        self.assertEqual(self.polite.mail_template_id, firm)
