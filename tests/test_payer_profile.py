from datetime import date, timedelta

from freezegun import freeze_time

from odoo.exceptions import AccessError
from odoo.fields import Command
from odoo.tests import tagged

from .common import DunningCommon

TODAY = date(2026, 6, 1)


@tagged("post_install", "-at_install")
class TestPayerProfile(DunningCommon):
    """A customer's payer profile from its paid invoices and promises."""

    @classmethod
    def _paid(cls, partner, due, late):
        with freeze_time(due - timedelta(days=30)):
            invoice = cls._dunning_invoice(
                100.0, due, partner=partner, invoice_date=due - timedelta(days=30)
            )
        pay_date = due + timedelta(days=late)
        with freeze_time(pay_date):
            cls._dunning_pay(invoice, 100.0, pay_date=pay_date)
        return invoice

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.slow = cls.env["res.partner"].create({"name": "Slow Co", "is_company": True})
        cls.contact = cls.env["res.partner"].create({"name": "Sue", "parent_id": cls.slow.id})
        # Acme: 0, -2, 0, -1 days late over a year: A.
        for due, late in (
            (date(2025, 8, 10), 0), (date(2025, 10, 10), -2),
            (date(2026, 1, 10), 0), (date(2026, 3, 10), -1),
        ):  # fmt: skip
            cls._paid(cls.customer, due, late)
        # Slow Co: 5 and 7 days late a year ago, 30 and 40 in the last 6 months.
        for due, late in (
            (date(2025, 6, 10), 5), (date(2025, 7, 10), 7),
            (date(2026, 1, 10), 30), (date(2026, 2, 10), 40),
        ):  # fmt: skip
            cls._paid(cls.slow, due, late)
        # Paid 3 years ago: out of the 24 months.
        cls._paid(cls.slow, date(2023, 3, 10), 200)
        # One promise kept, one broken (closed by hand, as the daily run would).
        with freeze_time("2026-04-01"):
            invoice = cls._dunning_invoice(100.0, "2026-03-20", partner=cls.slow)
            for state in ("kept", "broken"):
                promise = cls.env["dunning.promise"].create(
                    {
                        "partner_id": cls.slow.id,
                        "move_ids": [Command.set(invoice.ids)],
                        "amount": 100.0,
                        "date_promised": date(2026, 4, 15),
                    }
                )
                promise._dunning_close(state, date(2026, 4, 20))

    @freeze_time(TODAY)
    def test_prompt_payer(self):
        partner = self.customer
        self.assertEqual(partner.dunning_payer_band, "A")
        self.assertEqual(partner.dunning_payer_paid_count, 4)
        # (0 - 2 + 0 - 1) / 4 = -0.75, shown to one decimal
        self.assertAlmostEqual(partner.dunning_payer_days_late, -0.75, delta=0.06)
        self.assertAlmostEqual(partner.dunning_payer_on_time, 100.0)
        self.assertEqual(partner.dunning_payer_band_reasons, "Pays on time (100% of invoices).")

    @freeze_time(TODAY)
    def test_one_late_invoice_of_four_is_b(self):
        # A fifth invoice, paid 12 days late: mean 1.8 days (A), 80 % on time (A)...
        self._paid(self.customer, date(2026, 4, 10), 12)
        self.assertEqual(self.customer.dunning_payer_band, "A")
        # ...a sixth, 20 days late: mean 4.8 (A) but 4 of 6 on time, 67 % (B).
        self._paid(self.customer, date(2026, 5, 1), 20)
        self.env.invalidate_all()  # computed on reading, not stored: read again
        self.assertEqual(self.customer.dunning_payer_band, "B")
        self.assertEqual(
            self.customer.dunning_payer_band_reasons, "Only 67% of invoices paid on time."
        )

    @freeze_time(TODAY)
    def test_late_payer_getting_later(self):
        slow = self.slow
        self.assertEqual(slow.dunning_payer_paid_count, 4)  # the 2023 one is too old
        self.assertAlmostEqual(slow.dunning_payer_days_late, 20.5)  # (5+7+30+40) / 4
        self.assertAlmostEqual(slow.dunning_payer_trend, 35.0 - 6.0)
        self.assertEqual(
            (slow.dunning_payer_promises_kept, slow.dunning_payer_promises_broken), (1, 1)
        )
        # Lateness 20.5 (C) and no invoice on time (D), one band worse for the trend: D.
        self.assertEqual(slow.dunning_payer_band, "D")
        reasons = slow.dunning_payer_band_reasons
        self.assertIn("Only 0% of invoices paid on time", reasons)
        self.assertIn("Paying later lately", reasons)
        # A contact shows its company's profile.
        self.assertEqual(self.contact.dunning_payer_band, "D")

    @freeze_time(TODAY)
    def test_no_history(self):
        new = self.env["res.partner"].create({"name": "New Co"})
        self.assertFalse(new.dunning_payer_band)
        self.assertIn("No invoice paid", new.dunning_payer_band_reasons)

    @freeze_time(TODAY)
    def test_profile_is_per_company(self):
        other = self.setup_other_company(name="Company B")["company"]
        slow = self.slow.with_company(other)
        self.assertFalse(slow.dunning_payer_band)
        self.assertEqual(slow.dunning_payer_paid_count, 0)

    @freeze_time(TODAY)
    def test_only_collections_users_read_it(self):
        reader = self.env["res.users"].create(
            {
                "name": "Rita Readonly",
                "login": "rita_payer_profile",
                "group_ids": [Command.set(self.env.ref("account.group_account_readonly").ids)],
                "company_id": self.company.id,
                "company_ids": [Command.set(self.company.ids)],
            }
        )
        self.assertEqual(self.slow.with_user(reader).name, "Slow Co")
        with self.assertRaises(AccessError):
            _ = self.slow.with_user(reader).dunning_payer_band
