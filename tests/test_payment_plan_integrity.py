import re
import subprocess
import tempfile
from datetime import date
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from freezegun import freeze_time

from odoo.addons.payment import utils as payment_utils
from odoo.exceptions import UserError
from odoo.fields import Command
from odoo.tests import HttpCase, new_test_user, tagged

from .common_payment_plan import PaymentPlanCommon

# AccessError and ValidationError are UserErrors (Odoo's assertRaises takes one class).
REFUSED = UserError


class PlanIntegrityCommon(PaymentPlanCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bad_debt_account = cls.env["account.account"].create(
            {"name": "Bad debts", "code": "658100", "account_type": "expense"}
        )
        cls.company.dunning_bad_debt_account_id = cls.bad_debt_account
        cls.agency = cls.env["res.partner"].create(
            {
                "name": "Fair Collect Ltd",
                "is_company": True,
                "email": "info@faircollect.example.com",
                "dunning_is_agency": True,
                "dunning_agency_commission": 15.0,
                "dunning_agency_email": "cases@faircollect.example.com",
            }
        )
        cls.manager = new_test_user(
            cls.env,
            login="plan_manager",
            groups="account.group_account_manager",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )
        cls.other_invoice = cls._dunning_invoice(400.0, "2026-02-01", partner=cls.partner_a)

    def _writeoff(self, moves, **values):
        wizard = (
            self.env["dunning.writeoff.wizard"]
            .with_user(self.manager)
            .with_context(active_model="account.move", active_ids=moves.ids)
            .create({"reason": "Customer insolvent", **values})
        )
        wizard.action_confirm()

    def _handoff(self, moves, user=None):
        wizard = (
            self.env["dunning.handoff.wizard"]
            .with_user(user or self.manager)
            .with_context(active_model="account.move", active_ids=moves.ids)
            .create({"handoff_type": "agency", "agency_id": self.agency.id})
        )
        action = wizard.action_confirm()
        return self.env["dunning.case"].browse(action["res_id"])

    def _plan_events(self, plan):
        return self.env["dunning.event"].search([("payment_plan_id", "=", plan.id)], order="id")


@tagged("post_install", "-at_install")
@freeze_time("2026-03-01")
class TestPaymentPlanIntegrity(PlanIntegrityCommon):
    # 1. Write-offs -------------------------------------------------------------

    def test_writeoff_of_plan_invoices_does_not_complete_the_plan(self):
        plan = self._plan()
        self._dunning_pay(self.inv_old, 200.0, pay_date=date(2026, 3, 1))
        self._writeoff(self.invoices)
        self.assertEqual(self.invoices.mapped("dunning_stage"), ["written_off"] * 2)
        # The daily follow-up afterwards: still no completion.
        with freeze_time("2026-03-02"):
            self._process("2026-03-02")
        self.assertEqual(plan.state, "cancelled")
        self.assertEqual(plan.date_end, date(2026, 3, 1))
        self.assertFalse(self._mails_to(self.ap_contact, "complete"))
        reasons = self._plan_events(plan).mapped("reason")
        self.assertFalse([r for r in reasons if "completed:" in r])
        ended = [r for r in reasons if "written off" in r]
        self.assertEqual(len(ended), 1, reasons)
        self.assertIn(self.inv_old.name, ended[0])
        # What was really paid stays on the installments; the plan is not "paid".
        self.assertEqual(plan.amount_paid, 200.0)

    def test_partial_writeoff_ends_the_plan_and_resumes_the_rest(self):
        plan = self._plan()
        self._writeoff(self.inv_new, amount=200.0)
        self.assertEqual(plan.state, "cancelled")
        self.assertEqual(self.invoices.mapped("dunning_stage"), ["normal", "normal"])
        self.assertEqual(len(plan.activity_ids), 1)
        self.assertEqual(plan.activity_ids.user_id, self.collector)
        with freeze_time("2026-03-07"):
            self.assertFalse(self._process("2026-03-07"))
        self.assertFalse(self._mails_to(self.ap_contact, "installment"))

    def test_invoices_settled_by_a_writeoff_entry_never_complete_the_plan(self):
        """Safety net of the daily follow-up: the books say 'written off', whatever path
        wrote it off (here the plan was not told)."""
        plan = self._plan()
        Plan = type(self.env["dunning.payment.plan"])
        original = Plan._dunning_end_for_moves
        Plan._dunning_end_for_moves = lambda self, *args, **kwargs: self.env["dunning.event"]
        try:
            self._writeoff(self.invoices)
        finally:
            Plan._dunning_end_for_moves = original
        self.assertEqual(plan.state, "active")
        with freeze_time("2026-03-02"):
            self._process("2026-03-02")
        self.assertEqual(plan.state, "cancelled")
        self.assertFalse(self._mails_to(self.ap_contact, "complete"))
        self.assertIn("written off", self._plan_events(plan)[-1:].reason)

    def test_paid_plan_still_completes(self):
        plan = self._plan()
        self._dunning_pay(self.inv_old, 1000.0, pay_date=date(2026, 3, 1))
        self._dunning_pay(self.inv_new, 500.0, pay_date=date(2026, 3, 1))
        self._process("2026-03-01")
        self.assertEqual(plan.state, "completed")
        self.assertEqual(len(self._mails_to(self.ap_contact, "complete")), 1)

    # 2. Hand-offs --------------------------------------------------------------

    def test_handoff_of_a_plan_invoice_ends_the_plan(self):
        plan = self._plan()
        case = self._handoff(self.inv_old)
        self.assertEqual(self.inv_old.dunning_stage, "agency")
        self.assertEqual(self.inv_new.dunning_stage, "normal")
        self.assertEqual(plan.state, "cancelled")
        ended = self._plan_events(plan)[-1]
        self.assertIn(case.name, ended.reason)
        self.assertIn(self.agency.name, ended.reason)
        self.assertEqual(plan.activity_ids.user_id, self.collector)
        # No installment reminder for an invoice at an agency, nor for the other one.
        with freeze_time("2026-03-07"):
            self.assertFalse(self._process("2026-03-07"))
        with freeze_time("2026-03-11"):
            self.assertFalse(self._process("2026-03-11"))
        self.assertFalse(self._mails_to(self.ap_contact, "installment"))

    def test_plan_with_an_invoice_at_an_agency_sends_no_reminder(self):
        """Safety net: an invoice of an active plan found at an agency ends the plan."""
        plan = self._plan()
        self.inv_old._dunning_set_stage("agency")
        with freeze_time("2026-03-07"):
            self._process("2026-03-07")
        self.assertEqual(plan.state, "cancelled")
        self.assertFalse(self._mails_to(self.ap_contact, "installment"))

    # 3. Invoices of a plan -----------------------------------------------------

    def test_invoices_cannot_be_detached_or_added_by_writing_the_many2many(self):
        plan = self._plan()
        other_mine = self._dunning_invoice(300.0, "2026-02-20")
        for user in (self.collector, self.manager):
            as_user = plan.with_user(user)
            with self.subTest(user=user.login):
                with self.assertRaises(REFUSED):
                    as_user.write({"move_ids": [Command.unlink(self.inv_new.id)]})
                with self.assertRaises(REFUSED):
                    as_user.write({"move_ids": [Command.set(self.inv_old.ids)]})
                with self.assertRaises(REFUSED):
                    as_user.write({"move_ids": [Command.link(self.other_invoice.id)]})
                with self.assertRaises(REFUSED):
                    as_user.write({"move_ids": [Command.link(other_mine.id)]})
                with self.assertRaises(REFUSED):
                    self.inv_new.with_user(user).write(
                        {"dunning_payment_plan_ids": [Command.clear()]}
                    )
                with self.assertRaises(REFUSED):
                    self.other_invoice.with_user(user).write(
                        {"dunning_payment_plan_ids": [Command.link(plan.id)]}
                    )
        self.assertEqual(plan.move_ids, self.invoices)
        self.assertEqual(self.other_invoice.dunning_stage, "normal")

    def test_draft_plan_takes_only_its_customers_invoices(self):
        Plan = self.env["dunning.payment.plan"].with_user(self.collector)
        with self.assertRaises(REFUSED):
            Plan.create(
                {
                    "partner_id": self.customer.id,
                    "currency_id": self.company.currency_id.id,
                    "move_ids": [Command.set((self.inv_old | self.other_invoice).ids)],
                }
            )
        draft = Plan.create(
            {
                "partner_id": self.customer.id,
                "currency_id": self.company.currency_id.id,
                "move_ids": [Command.set(self.inv_old.ids)],
            }
        )
        with self.assertRaises(REFUSED):
            draft.write({"move_ids": [Command.link(self.other_invoice.id)]})
        draft.write({"move_ids": [Command.link(self.inv_new.id)]})
        self.assertEqual(draft.move_ids, self.invoices)

    # 4. Installments and renegotiation -----------------------------------------

    def test_installments_frozen_after_agreement(self):
        plan = self._plan()
        first = plan.installment_ids.sorted("date_due")[0]
        for user in (self.collector, self.manager):
            with self.subTest(user=user.login), self.assertRaises(REFUSED):
                first.with_user(user).write({"amount": 100.0})
            with self.subTest(user=user.login), self.assertRaises(REFUSED):
                first.with_user(user).write({"amount_paid": 500.0, "state": "paid"})
            with self.subTest(user=user.login), self.assertRaises(REFUSED):
                plan.with_user(user).write(
                    {"installment_ids": [Command.create({"date_due": "2026-09-01", "amount": 1})]}
                )
        self.assertEqual(first.amount_paid, 0.0)

    def test_renegotiation_replaces_the_remaining_installments(self):
        plan = self._plan()
        self._dunning_pay(self.inv_old, 300.0, pay_date=date(2026, 3, 1))
        old_schedule = [(i.date_due, i.amount) for i in plan.installment_ids]
        action = plan.with_user(self.collector).action_renegotiate()
        self.assertEqual(action["res_model"], "dunning.payment.plan.wizard")
        wizard = (
            self.env["dunning.payment.plan.wizard"]
            .with_user(self.collector)
            .with_context(**action["context"])
            .create(
                {
                    "installment_count": 4,
                    "interval": "monthly",
                    "first_date": date(2026, 4, 10),
                    "send_agreement": True,
                }
            )
        )
        self.assertEqual(wizard.amount_total, 1200.0)
        wizard.action_confirm()
        self.assertEqual(plan.state, "active")
        self.assertEqual(plan.move_ids, self.invoices)
        rows = plan.installment_ids.sorted(lambda i: (i.date_due, i.sequence))
        self.assertEqual(
            [(r.date_due, r.amount, r.amount_paid) for r in rows],
            [
                (date(2026, 3, 10), 300.0, 300.0),
                (date(2026, 4, 10), 300.0, 0.0),
                (date(2026, 5, 10), 300.0, 0.0),
                (date(2026, 6, 10), 300.0, 0.0),
                (date(2026, 7, 10), 300.0, 0.0),
            ],
        )
        self.assertEqual(plan.amount_residual, 1200.0)
        self.assertEqual(plan.amount_residual, sum(self.invoices.mapped("amount_residual")))
        event = self._plan_events(plan)[-1]
        self.assertIn("renegotiated", event.reason)
        for day, _amount in old_schedule:
            self.assertIn(str(day), event.reason)
        self.assertIn("2026-07-10", event.reason)
        mail = self._mails_to(self.ap_contact, "payment plan")
        self.assertEqual(len(mail), 1)
        self.assertEqual(event.message_id, mail.mail_message_id)
        self.assertIn("2026", mail.body_html)
        self.assertTrue(mail.attachment_ids)
        # The next day's follow-up agrees: nothing late, nothing to complete.
        with freeze_time("2026-03-12"):
            self._process("2026-03-12")
        self.assertEqual(plan.state, "active")
        self.assertFalse(plan.installment_ids.filtered(lambda i: i.state == "late"))

    def test_renegotiation_only_of_active_plans(self):
        plan = self._plan()
        plan.with_user(self.manager).action_cancel()
        with self.assertRaises(UserError):
            plan.action_renegotiate()

    # 5. Pay now ----------------------------------------------------------------

    def _pay_now_params(self, url):
        query = parse_qs(urlsplit(url).query)
        return {key: values[0] for key, values in query.items()}

    def test_pay_now_pays_the_installment_due(self):
        plan = self._plan()
        links = plan._get_pay_now_links()
        self.assertEqual(len(links), 1)
        link = links[0]
        self.assertEqual(link["move"], self.inv_old)
        self.assertEqual(link["amount"], 500.0)
        params = self._pay_now_params(link["url"])
        self.assertEqual(float(params["amount"]), 500.0)
        self.assertTrue(urlsplit(link["url"]).path.endswith(f"/my/invoices/{self.inv_old.id}"))
        # The token account_payment's invoice page checks (id and amount as in the URL).
        self.assertEqual(
            params["payment_token"],
            payment_utils.generate_access_token(self.inv_old.id, params["amount"], env=self.env),
        )
        # Customer paid 800: installment 2 has 200 left, all on the old invoice.
        self._dunning_pay(self.inv_old, 800.0, pay_date=date(2026, 3, 1))
        self._process("2026-03-01")
        [link] = plan._get_pay_now_links()
        self.assertEqual((link["move"], link["amount"]), (self.inv_old, 200.0))
        # The reminder carries the installment's link, not the whole invoice's.
        with freeze_time("2026-04-07"):
            self._process("2026-04-07")
        mail = self._mails_to(self.ap_contact, "next installment")
        self.assertEqual(len(mail), 1)
        hrefs = re.findall(r'href="([^"]*/my/invoices/[^"]*)"', mail.body_html)
        self.assertTrue(hrefs)
        for href in hrefs:
            self.assertEqual(float(self._pay_now_params(href.replace("&amp;", "&"))["amount"]),
                             200.0)  # fmt: skip

    def test_pay_now_spans_invoices(self):
        plan = self._plan(installment_count=1)
        [link_old, link_new] = plan._get_pay_now_links()
        self.assertEqual((link_old["move"], link_old["amount"]), (self.inv_old, 1000.0))
        self.assertEqual((link_new["move"], link_new["amount"]), (self.inv_new, 500.0))

    def test_portal_page_pays_the_installment(self):
        plan = self._plan()
        self._dunning_pay(self.inv_old, 200.0, pay_date=date(2026, 3, 5))
        self._process("2026-03-12")
        plan_sudo = plan.sudo()
        html = str(
            self.env["ir.qweb"]._render(
                "account_dunning.portal_payment_plan_content", {"plan": plan_sudo}
            )
        )
        buttons = re.findall(r"<a [^>]*o_dunning_pay_now[^>]*>", html)
        self.assertEqual(len(buttons), 1)
        href = re.search(r'href="([^"]*)"', buttons[0]).group(1).replace("&amp;", "&")
        self.assertEqual(float(self._pay_now_params(href)["amount"]), 300.0)
        self.assertIn(self.inv_old.get_portal_url().replace("&", "&amp;"), html)

    # 6. Agreement PDF ----------------------------------------------------------

    def test_agreement_pdf(self):
        plan = self._plan(down_payment=300.0, down_payment_date=date(2026, 3, 5))
        self.assertEqual(len(plan.installment_ids), 4)
        pdf, _kind = (
            self.env["ir.actions.report"]
            .with_context(force_report_rendering=True)
            ._render_qweb_pdf("account_dunning.action_report_dunning_payment_plan", plan.ids)
        )
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "agreement.pdf"
            path.write_bytes(pdf)
            info = subprocess.run(
                ["pdfinfo", str(path)], capture_output=True, text=True, check=True
            ).stdout
            text = subprocess.run(
                ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                check=True,
            ).stdout  # fmt: skip
        pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
        self.assertLessEqual(pages, 2)
        page_texts = text.split("\f")
        for page in page_texts:
            lines = [line.strip() for line in page.splitlines() if line.strip()]
            content = [line for line in lines if "http" not in line and "Page" not in line]
            if lines:
                self.assertGreater(len(content), 3, f"a page holds little else: {lines}")
        flat = " ".join(text.split())
        # Numbering as in the wizard: the down payment, then installments 1 to 3.
        schedule = re.findall(r"(Down payment|\b[1-9]\b) (\d\d/\d\d/\d{4}) \$ ?([\d,.]+)", flat)
        self.assertEqual(
            [(label, amount) for label, _day, amount in schedule],
            [("Down payment", "300.00"), ("1", "400.00"), ("2", "400.00"), ("3", "400.00")],
            flat,
        )
        for words in ("Signature:", "For the customer", "For the company", "Name:", "Date:"):
            self.assertIn(words, flat)
        for words in (self.company.name, self.customer.name, self.env.user.name):
            self.assertIn(words, flat)


@tagged("post_install", "-at_install")
class TestPaymentPlanPayNowHttp(PlanIntegrityCommon, HttpCase):
    def test_pay_now_link_opens_the_invoice_payment_for_the_installment(self):
        today = date.today()
        plan = self._plan(first_date=today.replace(day=1).replace(year=today.year + 1))
        [link] = plan._get_pay_now_links()
        url = link["url"]
        base = plan.get_base_url()
        self.assertTrue(url.startswith(base))
        response = self.url_open(url[len(base) :])
        self.assertEqual(response.status_code, 200)
        self.assertNotIn("/web/login", response.url)
        self.assertIn(f"/my/invoices/{self.inv_old.id}", response.url)
        # A tampered amount is refused by Odoo's invoice portal: back to /my.
        tampered = url.replace("amount=500.0", "amount=5.0")
        self.assertNotEqual(tampered, url)
        response = self.url_open(tampered[len(base) :])
        self.assertNotIn(f"/my/invoices/{self.inv_old.id}", response.url)
