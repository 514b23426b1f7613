from datetime import date

from freezegun import freeze_time
from psycopg2 import IntegrityError

from odoo.exceptions import AccessError, UserError
from odoo.fields import Command
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .common import DunningCommon


@tagged("post_install", "-at_install")
class TestLateCharges(DunningCommon):
    """Late charges on real invoices and payments, with the shipped reference rates."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # 1 USD (company currency) = 2 EUR = 0.5 GBP, to see every conversion.
        cls.eur = cls.setup_other_currency("EUR", rates=[("2015-01-01", 2.0)])
        cls.gbp = cls.setup_other_currency("GBP", rates=[("2015-01-01", 0.5)])

    def _eu_invoice_partly_paid(self):
        """EUR 10,000 due 31 May 2023, EUR 4,000 paid on 15 July 2023."""
        self.policy.late_charge_rule = "eu_late_payment"
        invoice = self._dunning_invoice(10000.0, "2023-05-31", currency=self.eur)
        self._dunning_pay(invoice, 4000.0, pay_date=date(2023, 7, 15))
        return invoice

    def test_eu_partial_payment_across_half_year(self):
        invoice = self._eu_invoice_partly_paid()
        # Shipped ECB rates: 2.5 % on 1 Jan 2023 (H1: 10.5 %), 4 % on 1 Jul 2023 (H2: 12 %).
        # June: 30 days x 10,000 x 10.5 % = 31500 / 365; 1-15 July (payment day
        # included): 15 x 10,000 x 12 % = 18000 / 365; 16 July-31 August: 47 x 6,000
        # x 12 % = 33840 / 365; 83340 / 365 = 228.33. EUR 40 once, in EUR.
        charges = invoice._dunning_late_charges(date(2023, 8, 31))
        self.assertEqual(charges, {"interest": 228.33, "compensation": 40.0})
        # Only June before the rate change and the payment: 31500 / 365 = 86.30.
        self.assertEqual(invoice._dunning_late_charges(date(2023, 6, 30))["interest"], 86.30)
        # Not late yet: nothing.
        self.assertEqual(
            invoice._dunning_late_charges(date(2023, 5, 31)),
            {"interest": 0.0, "compensation": 0.0},
        )

    def test_compensation_is_converted_to_the_invoice_currency(self):
        self.policy.late_charge_rule = "eu_late_payment"
        invoice = self._dunning_invoice(1000.0, "2023-05-31")  # USD
        # EUR 40 at 2 EUR per USD = USD 20.
        self.assertEqual(invoice._dunning_late_charges(date(2023, 6, 1))["compensation"], 20.0)

    def test_uk_fixed_sums_at_the_thresholds(self):
        self.policy.late_charge_rule = "uk_late_payment"
        expected = {999.99: 40.0, 1000.0: 70.0, 9999.99: 70.0, 10000.0: 100.0}
        for amount, fixed in expected.items():
            invoice = self._dunning_invoice(amount, "2024-01-31", currency=self.gbp)
            charges = invoice._dunning_late_charges(date(2024, 3, 1))
            self.assertEqual(charges["compensation"], fixed, amount)
        # GBP 10,000 from 1 Feb to 1 Mar 2024 (30 days) at 5.25 % (31 Dec 2023) + 8:
        # 10000 x 13.25 % x 30 / 365 = 39750 / 365 = 108.90
        self.assertEqual(charges["interest"], 108.90)
        # The thresholds apply to the debt in pounds: USD 1,000 is GBP 500.
        invoice = self._dunning_invoice(1000.0, "2024-01-31")
        # GBP 40 at 0.5 GBP per USD = USD 80.
        self.assertEqual(invoice._dunning_late_charges(date(2024, 3, 1))["compensation"], 80.0)

    def test_consumer_gets_no_compensation(self):
        self.policy.late_charge_rule = "de_bgb"
        consumer = self.env["res.partner"].create({"name": "Erika Mustermann"})
        self.assertTrue(consumer.dunning_is_consumer)
        invoice = self._dunning_invoice(5000.0, "2024-06-15", partner=consumer, currency=self.eur)
        # 16-30 June: 15 x 5000 x (3.62 + 5) % = 6465; July: 31 x 5000 x (3.37 + 5) %
        # = 12973.5; 19438.5 / 365 = 53.26; no lump sum for a consumer.
        self.assertEqual(
            invoice._dunning_late_charges(date(2024, 7, 31)),
            {"interest": 53.26, "compensation": 0.0},
        )
        # A sole trader buying for his business: + 9 points and EUR 40.
        consumer.dunning_is_consumer = False
        self.assertEqual(
            invoice._dunning_late_charges(date(2024, 7, 31)),
            {"interest": 78.46, "compensation": 40.0},
        )
        # France charges consumers nothing at all.
        self.policy.late_charge_rule = "fr_commerce"
        consumer.dunning_is_consumer = True
        self.assertEqual(
            invoice._dunning_late_charges(date(2024, 7, 31)),
            {"interest": 0.0, "compensation": 0.0},
        )

    def test_fixed_rate(self):
        self.policy.write({"late_charge_rule": "fixed_rate", "late_charge_rate": 10.0})
        invoice = self._dunning_invoice(1500.0, "2025-01-10")
        # 11 January-9 February: 30 days x 1500 x 10 % / 365 = 4500 / 365 = 12.33
        self.assertEqual(
            invoice._dunning_late_charges(date(2025, 2, 9)),
            {"interest": 12.33, "compensation": 0.0},
        )
        self.policy.late_charge_rule = "none"
        self.assertEqual(invoice._dunning_late_charges(date(2025, 2, 9))["interest"], 0.0)

    def test_missing_rate_is_an_error_naming_the_half_year(self):
        self.policy.late_charge_rule = "de_bgb"
        invoice = self._dunning_invoice(5000.0, "2026-06-15", currency=self.eur)
        self.assertGreater(invoice._dunning_late_charges(date(2026, 6, 30))["interest"], 0)
        # The German base rate of 1 July 2026 is not shipped.
        with self.assertRaisesRegex(UserError, r"2026-07-01 to 2026-12-31"):
            invoice._dunning_late_charges(date(2026, 7, 10))
        self.env["dunning.reference.rate"].create(
            {"rule": "de_base", "date_from": "2026-07-01", "rate": 1.27}
        )
        self.assertGreater(invoice._dunning_late_charges(date(2026, 7, 10))["interest"], 0)

    def test_shipped_rates_are_consistent(self):
        Rate = self.env["dunning.reference.rate"]
        ecb = Rate._get_series("ecb_mro")

        def ecb_before(day):
            return max((start, rate) for start, rate in ecb if start < day)[1]

        # The German base rate follows the ECB rate of the last operation before each
        # half-year: -0.88 % when that rate was 0 % (July 2016), so base = ECB - 0.88.
        german = Rate._get_series("de_base")
        self.assertEqual(len(german), 15)  # every half-year from 2019 to 2026
        for start, rate in german:
            self.assertAlmostEqual(rate, ecb_before(start) - 0.88, places=4, msg=start)
        french = dict(Rate._get_series("fr_legal"))
        half_years = [date(year, month, 1) for year in range(2019, 2026) for month in (1, 7)]
        self.assertFalse([day for day in half_years if day not in french])

    def _charge(self, **values):
        wizard = (
            self.env["dunning.late.charge.wizard"]
            .with_context(default_partner_id=self.customer.id)
            .create(values)
        )
        return wizard, wizard.action_confirm()

    def _charge_invoices(self):
        return self.env["account.move"].search(
            [("partner_id", "=", self.customer.id), ("invoice_origin", "!=", False)]
        )

    def test_charge_wizard_never_charges_twice(self):
        invoice = self._eu_invoice_partly_paid()
        with freeze_time("2023-08-31"):
            wizard, action = self._charge()
        charge_move = self.env["account.move"].browse(action["res_id"])
        self.assertEqual(wizard.move_ids, invoice)
        self.assertEqual(charge_move.state, "draft")
        self.assertEqual(charge_move.move_type, "out_invoice")
        self.assertEqual(charge_move.currency_id, self.eur)
        self.assertEqual(charge_move.invoice_line_ids.mapped("price_unit"), [228.33, 40.0])
        self.assertFalse(charge_move.invoice_line_ids.tax_ids)
        self.assertEqual(charge_move.amount_total, 268.33)
        charge = invoice.dunning_late_charge_ids
        self.assertRecordValues(
            charge,
            [
                {
                    "charge_move_id": charge_move.id,
                    "date_from": date(2023, 6, 1),
                    "date_to": date(2023, 8, 31),
                    "interest": 228.33,
                    "compensation": 40.0,
                }
            ],
        )
        # The same period again: nothing, and said so.
        with freeze_time("2023-08-31"), self.assertRaisesRegex(UserError, "Nothing to charge"):
            self._charge()
        self.assertEqual(self._charge_invoices(), charge_move)
        # A month later: only September, no second compensation:
        # 30 days x 6,000 x 12 % / 365 = 21600 / 365 = 59.18.
        with freeze_time("2023-09-30"):
            _wizard, action = self._charge()
        september = self.env["account.move"].browse(action["res_id"])
        self.assertEqual(september.invoice_line_ids.mapped("price_unit"), [59.18])
        self.assertEqual(
            invoice.dunning_late_charge_ids.sorted("date_from").mapped("date_from"),
            [date(2023, 6, 1), date(2023, 9, 1)],
        )
        # Cancelling the September charge frees September again.
        september.button_cancel()
        with freeze_time("2023-09-30"):
            _wizard, action = self._charge()
        again = self.env["account.move"].browse(action["res_id"])
        self.assertNotEqual(again, september)
        self.assertEqual(again.invoice_line_ids.mapped("price_unit"), [59.18])

    def test_charge_from_invoices_list(self):
        self.policy.write({"late_charge_rule": "fixed_rate", "late_charge_rate": 10.0})
        first = self._dunning_invoice(1500.0, "2025-01-10")
        second = self._dunning_invoice(3000.0, "2025-01-25")
        wizard = (
            self.env["dunning.late.charge.wizard"]
            .with_context(active_model="account.move", active_ids=(first | second).ids)
            .create({"date": "2025-02-09"})
        )
        # 12.33 as above; 15 days x 3000 x 10 % / 365 = 4500 / 365 = 12.33
        self.assertEqual(wizard.line_ids.mapped("interest"), [12.33, 12.33])
        action = wizard.action_confirm()
        charge_move = self.env["account.move"].browse(action["res_id"])
        self.assertEqual(len(charge_move.invoice_line_ids), 2)
        self.assertIn(first.name, charge_move.invoice_line_ids[0].name)

    def test_charges_up_to_today_only_and_not_on_held_invoices(self):
        self.policy.write({"late_charge_rule": "fixed_rate", "late_charge_rate": 10.0})
        late = self._dunning_invoice(1500.0, "2025-01-10")
        promised = self._dunning_invoice(3000.0, "2025-01-10")
        self.env["dunning.promise"].create(
            {
                "partner_id": self.customer.id,
                "move_ids": [Command.set(promised.ids)],
                "amount": 3000.0,
                "date_promised": date(2025, 3, 1),
            }
        )
        disputed = self._dunning_invoice(700.0, "2025-01-10")
        self.env["dunning.dispute"].create(
            {
                "partner_id": self.customer.id,
                "move_ids": [Command.set(disputed.ids)],
                "reason_id": self.env["dunning.dispute.reason"].search([], limit=1).id,
            }
        )
        at_agency = self._dunning_invoice(900.0, "2025-01-10")
        at_agency._dunning_set_stage("agency")
        held = promised | disputed | at_agency
        self.assertEqual(set(held.mapped("dunning_stage")), {"promised", "dispute", "agency"})
        Wizard = self.env["dunning.late.charge.wizard"].with_context(
            active_model="account.move", active_ids=(late | held).ids
        )
        with freeze_time("2025-02-09"):
            # Ten years ahead would charge interest that has not accrued.
            ahead = Wizard.create({"date": "2035-02-09"})
            with self.assertRaisesRegex(UserError, "up to today at most"):
                ahead.action_confirm()
            wizard = Wizard.create({"date": "2025-02-09"})
            self.assertEqual(wizard.line_ids.move_id, late)  # the held ones wait
            wizard.action_confirm()
        self.assertFalse(held.dunning_late_charge_ids)
        self.assertTrue(late.dunning_late_charge_ids)

    def test_rate_is_a_yearly_percentage(self):
        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"):
            self.policy.write({"late_charge_rule": "fixed_rate", "late_charge_rate": 1e9})
            self.env.flush_all()

    def test_collections_user_cannot_edit_reference_rates(self):
        user = new_test_user(
            self.env,
            login="late_charge_collector",
            groups="account.group_account_invoice",
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        Rate = self.env["dunning.reference.rate"].with_user(user)
        rate = Rate.search([("rule", "=", "ecb_mro")], limit=1)
        self.assertTrue(rate.rate >= 0)
        with self.assertRaises(AccessError):
            rate.write({"rate": 9.99})
        with self.assertRaises(AccessError):
            Rate.create({"rule": "ecb_mro", "date_from": "2030-01-01", "rate": 1.0})
        with self.assertRaises(AccessError):
            rate.unlink()
