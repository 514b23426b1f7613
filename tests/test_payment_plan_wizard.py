from datetime import date

from freezegun import freeze_time

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common_payment_plan import PaymentPlanCommon


@tagged("post_install", "-at_install")
@freeze_time("2026-03-01")
class TestPaymentPlanWizard(PaymentPlanCommon):
    def test_preview_follows_the_fields(self):
        wizard = self._wizard()
        self.assertEqual(wizard.partner_id, self.customer)
        self.assertEqual(wizard.contact_id, self.ap_contact)
        self.assertEqual(wizard.amount_total, 1500.0)
        self.assertFalse(wizard.error)
        self.assertEqual(
            [(row.date_due, row.amount) for row in wizard._get_schedule()],
            [(date(2026, 3, 10), 500.0), (date(2026, 4, 10), 500.0), (date(2026, 5, 10), 500.0)],
        )
        self.assertIn("500.00", wizard.preview_html)
        # The preview follows the fields: a minimum installment instead of a count.
        wizard.write({"split_mode": "amount", "minimum_amount": 700.0, "interval": "weekly"})
        self.assertEqual(
            [(row.date_due, row.amount) for row in wizard._get_schedule()],
            [(date(2026, 3, 10), 750.0), (date(2026, 3, 17), 750.0)],
        )
        self.assertIn("750.00", wizard.preview_html)
        # An impossible schedule shows its reason instead of a preview.
        wizard.minimum_amount = 2000.0
        self.assertRegex(wizard.error, "below the minimum installment")
        self.assertFalse(wizard.preview_html)
        with self.assertRaisesRegex(UserError, "below the minimum installment"):
            wizard.action_confirm()

    def test_down_payment_and_discount(self):
        plan = self._plan(
            down_payment=300.0,
            down_payment_date=date(2026, 3, 1),
            installment_count=4,
            settlement_discount=5.0,
        )
        rows = plan.installment_ids.sorted("date_due")
        self.assertEqual(
            [(r.date_due, r.amount, r.is_down_payment) for r in rows],
            [
                (date(2026, 3, 1), 300.0, True),
                (date(2026, 3, 10), 300.0, False),
                (date(2026, 4, 10), 300.0, False),
                (date(2026, 5, 10), 300.0, False),
                (date(2026, 6, 10), 300.0, False),
            ],
        )
        self.assertEqual(plan.amount_total, 1500.0)
        self.assertEqual(plan.settlement_amount, 1425.0)
        self.assertEqual(plan.settlement_date, date(2026, 3, 1))

    def test_customer_form_proposes_its_open_invoices(self):
        other_currency = self.setup_other_currency("EUR", rates=[("2025-01-01", 2.0)])
        self._dunning_invoice(80.0, "2026-02-20", currency=other_currency)
        disputed = self._dunning_invoice(90.0, "2026-02-01")
        disputed._dunning_set_stage("dispute")
        paid = self._dunning_invoice(70.0, "2026-02-01")
        self._dunning_pay(paid, 70.0)
        self._dunning_invoice(60.0, "2026-02-01", partner=self.partner_a)
        wizard = (
            self.env["dunning.payment.plan.wizard"]
            .with_context(active_model="res.partner", active_id=self.ap_contact.id)
            .create({"first_date": date(2026, 3, 10)})
        )
        # Open, in the currency of the oldest one, not disputed, not paid, this customer.
        self.assertEqual(wizard.move_ids, self.invoices)
        self.assertEqual(wizard.partner_id, self.customer)
        # The agreement is emailed by default when the contact has an address.
        self.assertEqual(wizard.contact_id, self.ap_contact)
        self.assertTrue(wizard.send_agreement)
        self.ap_contact.email = False
        wizard.contact_id = self.ap_contact
        wizard._compute_send_agreement()
        self.assertFalse(wizard.send_agreement)

    def test_validation_errors_are_clear(self):
        cases = []
        other_currency = self.setup_other_currency("EUR", rates=[("2025-01-01", 2.0)])
        cases.append(
            (self._dunning_invoice(50.0, "2026-02-20", currency=other_currency), "one currency")
        )
        cases.append((self._dunning_invoice(50.0, "2026-02-20", partner=self.partner_a),
                      "one customer"))  # fmt: skip
        paid = self._dunning_invoice(50.0, "2026-02-20")
        self._dunning_pay(paid, 50.0)
        cases.append((paid, "Nothing is left to pay"))
        refund = self._dunning_invoice(50.0, "2026-02-20", move_type="out_refund")
        cases.append((refund, "Only posted customer invoices"))
        disputed = self._dunning_invoice(50.0, "2026-02-20")
        disputed._dunning_set_stage("dispute")
        cases.append((disputed, "Disputed"))
        for extra, message in cases:
            with self.subTest(message=message), self.assertRaisesRegex(UserError, message):
                self._plan(self.invoices | extra)

        with self.assertRaisesRegex(UserError, "cannot be in the past"):
            self._plan(first_date=date(2026, 2, 28))
        with self.assertRaisesRegex(UserError, "less than the open balance"):
            self._plan(down_payment=1500.0, down_payment_date=date(2026, 3, 1))
        with self.assertRaisesRegex(UserError, "between 1 and 120"):
            self._plan(installment_count=0)
        with self.assertRaisesRegex(UserError, "Select the customer invoices"):
            self._plan(self.env["account.move"])

    def test_an_invoice_is_in_one_active_plan(self):
        plan = self._plan(self.inv_old)
        with self.assertRaisesRegex(UserError, "already held by Payment Plan"):
            self._plan(self.invoices)
        # Once that plan is over, the invoice can go in a new one.
        plan.action_cancel()
        second = self._plan(self.invoices)
        self.assertEqual(second.state, "active")
        self.assertEqual(self.inv_old.dunning_payment_plan_ids, plan | second)

    def test_confirm_pauses_the_ladder_and_sends_the_agreement(self):
        self.assertTrue(self.inv_old.dunning_next_date)
        plan = self._plan(send_agreement=True, settlement_discount=3.0)
        self.assertEqual(plan.state, "active")
        self.assertEqual(plan.partner_id, self.customer)
        self.assertEqual(plan.contact_id, self.ap_contact)
        self.assertEqual(plan.date_start, date(2026, 3, 1))
        self.assertTrue(plan.name.startswith("PLAN/"))
        self.assertEqual(self.invoices.mapped("dunning_stage"), ["plan", "plan"])
        self.assertEqual(self.invoices.mapped("dunning_next_date"), [False, False])
        self.assertTrue(plan.access_token)
        event = plan.event_ids
        self.assertEqual(len(event), 1)
        self.assertEqual((event.channel, event.state), ("plan", "done"))
        self.assertEqual(event.move_ids, self.invoices)
        self.assertEqual(event.amount_residual, 1500.0)
        self.assertIn(event, self.inv_old.dunning_event_ids)
        mail = self._mails_to(self.ap_contact, "your payment plan")
        self.assertEqual(len(mail), 1)
        self.assertEqual(event.message_id, mail.mail_message_id)
        self.assertIn("finance@company-a.example.com", mail.email_from)
        self.assertIn(plan.get_portal_url(), mail.body_html)
        self.assertIn(self.inv_old.name, mail.body_html)
        self.assertIn("more than 7 days late", mail.body_html)
        self.assertIn("1,455.00", mail.body_html)  # the 3% discount offer
        self.assertIn("BE0477472701", mail.body_html)  # the company's legal identity
        self.assertEqual(len(mail.attachment_ids), 1)
        self.assertIn("PLAN", mail.attachment_ids.name)

    def test_agreement_report_renders(self):
        plan = self._plan(settlement_discount=2.0)
        html = (
            self.env["ir.actions.report"]
            ._render_qweb_html("account_dunning.action_report_dunning_payment_plan", plan.ids)[0]
            .decode()
        )
        for text in (plan.name, self.inv_new.name, "How the plan works", "more than",
                     "BE0477472701", "1,470.00", "/my/payment_plans/"):  # fmt: skip
            self.assertIn(text, html)
