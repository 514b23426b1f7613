from datetime import date
from unittest.mock import patch

from freezegun import freeze_time

from odoo.tests import tagged

from ..models.dunning_run_line import DunningRunLine
from .common import DunningRunCommon


@tagged("post_install", "-at_install")
class TestDunningRunRules(DunningRunCommon):
    """Every rule of the daily run, on a date where the invoices are 10 days late."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer_2 = cls.env["res.partner"].create(
            {"name": "Beta Builders", "is_company": True, "email": "ap@beta.example.com"}
        )

    def _sent_to(self, partner):
        return self._mails(partner).filtered(
            lambda m: partner._dunning_get_contact() in m.recipient_ids
        )

    def _line(self, run, partner):
        return run.line_ids.filtered(lambda line: line.partner_id == partner)

    @freeze_time("2026-03-11")
    def test_never_chase_what_is_not_owed(self):
        open_invoice = self._dunning_invoice(100.0, "2026-03-01")
        paid = self._dunning_invoice(200.0, "2026-03-01")
        self._dunning_pay(paid, 200.0)
        partial = self._dunning_invoice(300.0, "2026-03-01")
        self._dunning_pay(partial, 120.0)
        reversed_invoice = self._dunning_invoice(400.0, "2026-03-01")
        self._reverse_invoice(reversed_invoice, post=True)
        cancelled = self._dunning_invoice(500.0, "2026-03-01")
        cancelled.button_draft()
        cancelled.button_cancel()
        self.assertIn(paid.payment_state, ("paid", "in_payment"))
        self.assertEqual(reversed_invoice.payment_state, "reversed")
        run = self._run()
        event = run.event_ids.filtered(lambda e: e.channel == "email")
        self.assertEqual(event.move_ids, open_invoice | partial)
        body = str(self._sent_to(self.customer).body_html)
        self.assertIn("180.00", body)  # the residual after the partial payment
        self.assertNotIn(paid.name, body)
        self.assertNotIn(reversed_invoice.name, body)
        self.assertEqual(event.amount_residual, 280.0)

    @freeze_time("2026-03-11")
    def test_no_debt_net_of_credit_notes_gets_nothing(self):
        self._dunning_invoice(300.0, "2026-03-01")
        self._dunning_invoice(500.0, "2026-03-01", move_type="out_refund")
        run = self._run()
        line = self._line(run, self.customer)
        self.assertEqual((line.state, line.skip_reason), ("skipped", "no_debt"))
        self.assertFalse(self._mails())
        skipped = run.event_ids.filtered(lambda e: e.state == "skipped")
        self.assertEqual(skipped.partner_id, self.customer)
        self.assertIn("Nothing owed", skipped.reason)

    @freeze_time("2026-03-11")
    def test_below_minimum_amount_in_company_currency(self):
        eur = self.setup_other_currency("EUR", rates=[("2025-01-01", 2.0)])
        self.policy.minimum_amount = 100.0
        self._dunning_invoice(150.0, "2026-03-01", currency=eur)  # 75.0 in company currency
        self._dunning_invoice(150.0, "2026-03-01", partner=self.customer_2)
        run = self._run()
        self.assertEqual(self._line(run, self.customer).skip_reason, "minimum")
        self.assertFalse(self._mails())
        self.assertEqual(self._line(run, self.customer_2).state, "done")
        self.assertTrue(self._sent_to(self.customer_2))

    @freeze_time("2026-03-11")
    def test_excluded_and_non_normal_stages_are_skipped(self):
        disputed = self._dunning_invoice(100.0, "2026-03-01")
        disputed._dunning_set_stage("dispute")
        excluded = self._dunning_invoice(100.0, "2026-03-01")
        excluded.write({"dunning_excluded": True, "dunning_exclusion_reason": "Goodwill"})
        chased = self._dunning_invoice(100.0, "2026-03-01")
        for stage in ("promised", "plan", "agency", "legal"):
            self._dunning_invoice(100.0, "2026-03-01")._dunning_set_stage(stage)
        self._dunning_invoice(100.0, "2026-03-01", partner=self.customer_2)
        self.customer_2.with_company(self.company).dunning_excluded = True
        run = self._run()
        sent = run.event_ids.filtered(lambda e: e.channel == "email" and e.state == "done")
        self.assertEqual(sent.move_ids, chased)
        self.assertEqual(self._line(run, self.customer_2).skip_reason, "excluded")
        self.assertFalse(self._mails(self.customer_2))

    def test_good_payers_get_no_reminder_before_due_date(self):
        with freeze_time("2026-02-01"):
            on_time = self._dunning_invoice(100.0, "2026-02-10", partner=self.customer_2)
            self._dunning_pay(on_time, 100.0, pay_date=date(2026, 2, 5))
            late = self._dunning_invoice(100.0, "2026-02-10")
            self._dunning_pay(late, 100.0, pay_date=date(2026, 2, 25))
        with freeze_time("2026-03-07"):
            issued = date(2026, 3, 6)  # the day before: courtesy reminders may go
            self._dunning_invoice(100.0, "2026-03-10", partner=self.customer_2, invoice_date=issued)
            self._dunning_invoice(100.0, "2026-03-10", invoice_date=issued)
            run = self._run()
        self.assertEqual(self._line(run, self.customer_2).skip_reason, "good_payer")
        self.assertFalse(self._mails(self.customer_2))
        # The customer who paid late gets the friendly heads-up.
        self.assertEqual(self._line(run, self.customer).level_id, self.levels[0])
        self.assertEqual(len(self._sent_to(self.customer)), 1)
        # Policy option off: the good payer is reminded too.
        self.policy.skip_predue_for_good_payers = False
        with freeze_time("2026-03-08"):
            self._run()
        self.assertEqual(len(self._sent_to(self.customer_2)), 1)

    def test_no_due_today_reminder_on_the_day_the_invoice_is_issued(self):
        with freeze_time("2026-03-10"):
            invoice = self._dunning_invoice(100.0, "2026-03-10", invoice_date=date(2026, 3, 10))
            self.assertEqual(invoice.dunning_next_date, date(2026, 3, 17), "the +7 step next")
            run = self._run()
            self.assertFalse(run.line_ids.filtered(lambda line: line.state == "done"))
            self.assertFalse(self._sent_to(self.customer))
            self.assertFalse(invoice.dunning_level_id)
        with freeze_time("2026-03-11"):
            self._run()  # courtesy rungs lapse once due: nothing either
            self.assertFalse(self._sent_to(self.customer))
        with freeze_time("2026-03-17"):
            self._run()
            self.assertEqual(invoice.dunning_level_id, self.levels[2])
            self.assertEqual(len(self._sent_to(self.customer)), 1)

    @freeze_time("2026-06-01")
    def test_backlog_starts_at_first_overdue_level_then_climbs_one_per_run(self):
        old = self._dunning_invoice(100.0, "2026-01-01")  # 151 days late
        self._run()
        self.assertEqual(old.dunning_level_id, self.levels[2])  # +7, not +60
        with freeze_time("2026-06-04"):
            self._run()
        self.assertEqual(old.dunning_level_id, self.levels[3])

    @freeze_time("2026-06-01")
    def test_backlog_can_start_at_matching_level(self):
        self.policy.start_at_matching_level = True
        old = self._dunning_invoice(100.0, "2026-04-20")  # 42 days late: +30 rung
        self._run()
        self.assertEqual(old.dunning_level_id, self.levels[4])

    @freeze_time("2026-03-11")
    def test_running_twice_the_same_day_does_nothing_the_second_time(self):
        self._dunning_invoice(100.0, "2026-03-01")
        self._dunning_invoice(100.0, "2026-01-01")
        self._run()
        mails, events = self._mails(), self.env["dunning.event"].search([])
        second = self._run()
        self.assertEqual(self._mails(), mails)
        self.assertFalse(second.event_ids)
        self.assertEqual(self.env["dunning.event"].search([]), events)

    @freeze_time("2026-03-11")
    def test_crash_on_one_customer_fails_it_and_the_rest_goes_on(self):
        self._dunning_invoice(100.0, "2026-03-01")
        invoice_2 = self._dunning_invoice(100.0, "2026-03-01", partner=self.customer_2)
        original = DunningRunLine._dunning_step_email
        customer_2 = self.customer_2

        def crashing(lines, batch):
            if customer_2 in lines.partner_id:
                raise RuntimeError("SMTP template exploded")
            return original(lines, batch)

        with patch.object(DunningRunLine, "_dunning_step_email", crashing):
            run = self._run()
        self.assertEqual(self._line(run, self.customer).state, "done")
        failed = self._line(run, self.customer_2)
        self.assertEqual(failed.state, "failed")
        event = run.event_ids.filtered(lambda e: e.partner_id == customer_2)
        self.assertEqual((event.state, event.channel), ("failed", "email"))
        self.assertIn("SMTP template exploded", event.reason)
        self.assertFalse(invoice_2.dunning_level_id, "a failed customer's invoices do not move")
        self.assertFalse(self._mails(self.customer_2))
        # A rerun sends what failed and repeats nothing done.
        mails = self._mails()
        rerun = self._run()
        self.assertEqual(self._line(rerun, self.customer_2).state, "done")
        self.assertTrue(self._sent_to(self.customer_2))
        self.assertEqual(self._mails(), mails)
        self.assertFalse(self._line(rerun, self.customer), "nothing is due again today")

    @freeze_time("2026-03-11")
    def test_two_runs_planned_at_once_never_message_twice(self):
        invoice = self._dunning_invoice(100.0, "2026-03-01")
        first = self.env["dunning.run"].create({})
        second = self.env["dunning.run"].create({})
        first.action_preview()
        second.action_preview()
        self.assertEqual(self._line(second, self.customer).state, "todo")
        first.action_execute()
        second.action_execute()
        self.assertEqual(len(self._sent_to(self.customer)), 1)
        self.assertEqual(self._line(second, self.customer).skip_reason, "stale")
        self.assertEqual(invoice.dunning_level_id, self.levels[2])

    @freeze_time("2026-03-11")
    def test_customer_without_email_fails_with_a_fix_contact_task(self):
        self.ap_contact.email = False
        self.customer.email = False
        self._dunning_invoice(100.0, "2026-03-01")
        self._dunning_invoice(100.0, "2026-03-01", partner=self.customer_2)
        run = self._run()
        line = self._line(run, self.customer)
        self.assertEqual(line.state, "failed")
        event = run.event_ids.filtered(lambda e: e.partner_id == self.customer)
        self.assertEqual(event.state, "failed")
        self.assertIn("No email address", event.reason)
        task = self.env["mail.activity"].search(
            [("res_model", "=", "res.partner"), ("res_id", "=", self.customer.id)]
        )
        self.assertIn("Fix contact", task.summary)
        self.assertEqual(task.user_id, self.collector)
        self.assertEqual(self._line(run, self.customer_2).state, "done")
        # The step counts as taken: the ladder goes on, the failure is logged once per
        # step (not every day) and the open task is not duplicated.
        invoice = line.move_ids
        self.assertEqual(invoice.dunning_level_id, self.levels[2])
        for day in ("2026-03-12", "2026-03-13", "2026-03-14"):
            with freeze_time(day):
                rerun = self._run()
            self.assertFalse(self._line(rerun, self.customer), f"nothing again on {day}")
        failed = self.env["dunning.event"].search(
            [("partner_id", "=", self.customer.id), ("state", "=", "failed")]
        )
        self.assertEqual(len(failed), 1)
        self.assertEqual(
            self.env["mail.activity"].search(
                [("res_model", "=", "res.partner"), ("res_id", "=", self.customer.id)]
            ),
            task,
        )
        # The +30 level's letter reaches the customer by post; its email fails once.
        self.levels[4].create_call = False
        with freeze_time("2026-03-31"):
            self._run()  # +15: email only, fails once more
        with freeze_time("2026-04-15"):
            formal = self._run()
        letter = formal.event_ids.filtered(
            lambda e: e.channel == "letter" and e.partner_id == self.customer
        )
        self.assertEqual(letter.state, "done")
        self.assertEqual(invoice.dunning_level_id, self.levels[4])
        self.assertEqual(self._line(formal, self.customer).state, "done")

    @freeze_time("2026-03-11")
    def test_invoice_cancelled_between_preview_and_execution(self):
        kept = self._dunning_invoice(100.0, "2026-03-01")
        dropped = self._dunning_invoice(100.0, "2026-03-01")
        run = self.env["dunning.run"].create({})
        run.action_preview()
        self.assertEqual(self._line(run, self.customer).move_ids, kept | dropped)
        dropped.button_draft()
        dropped.button_cancel()
        run.action_execute()
        event = run.event_ids.filtered(lambda e: e.channel == "email")
        self.assertEqual(event.move_ids, kept)
        self.assertNotIn(dropped.name, str(self._sent_to(self.customer).body_html))

    @freeze_time("2026-03-11")
    def test_preview_is_exactly_what_execution_does(self):
        self._dunning_invoice(100.0, "2026-03-01")
        self._dunning_invoice(900.0, "2026-02-20")
        self._dunning_invoice(300.0, "2026-03-01", partner=self.customer_2)
        self.policy.minimum_amount = 500.0
        run = self.env["dunning.run"].create({})
        run.action_preview()
        self.assertEqual(run.state, "planned")
        self.assertFalse(self._mails() | self._mails(self.customer_2), "the preview sent mail")
        self.assertFalse(run.event_ids)
        planned = {
            (line.partner_id, line.level_id, line.move_ids, line.state, line.skip_reason)
            for line in run.line_ids
        }
        run.action_execute()
        executed = {
            (line.partner_id, line.level_id, line.move_ids,
             "todo" if line.state == "done" else line.state, line.skip_reason)
            for line in run.line_ids
        }  # fmt: skip
        self.assertEqual(planned, executed)
        done = run.event_ids.filtered(lambda e: e.state == "done")
        self.assertEqual(done.partner_id, self.customer)
        self.assertEqual(self._line(run, self.customer_2).skip_reason, "minimum")

    @freeze_time("2026-03-11")
    def test_foreign_currency_amounts_per_currency(self):
        eur = self.setup_other_currency("EUR", rates=[("2025-01-01", 2.0)])
        self._dunning_invoice(100.0, "2026-03-01")
        self._dunning_invoice(250.0, "2026-03-01", currency=eur)
        run = self._run()
        body = str(self._sent_to(self.customer).body_html)
        self.assertIn("Total EUR", body)
        self.assertIn("Total USD", body)
        self.assertIn("250.00", body)
        self.assertEqual(run.line_ids.amount, 225.0)  # 100 + 250 EUR at 2.0

    @freeze_time("2026-03-11")
    def test_multi_company_runs_see_only_their_company(self):
        company_b = self.setup_other_company(name="Company B")["company"]
        self._dunning_invoice(100.0, "2026-03-01")
        invoice_b = self._dunning_invoice(100.0, "2026-03-01", company_id=company_b.id)
        run_a = self._run()
        self.assertNotIn(invoice_b, run_a.line_ids.move_ids)
        run_b = self.env["dunning.run"].with_company(company_b).create({"company_id": company_b.id})
        run_b.action_execute()
        self.assertEqual(run_b.line_ids.move_ids, invoice_b)
        self.assertEqual(run_b.line_ids.policy_id, company_b.dunning_default_policy_id)
        self.assertEqual(run_b.event_ids.company_id, company_b)

    @freeze_time("2026-03-11")
    def test_invoice_pdf_attached_once_and_reused(self):
        invoice = self._dunning_invoice(100.0, "2026-03-01")
        self.assertFalse(invoice.invoice_pdf_report_id)
        self._run()
        pdf = invoice.invoice_pdf_report_id
        self.assertTrue(pdf)
        self.assertIn(pdf, self._sent_to(self.customer).attachment_ids)
        with freeze_time("2026-03-16"):
            self._run()
        mails = self._sent_to(self.customer)
        self.assertEqual(len(mails), 2)
        self.assertIn(pdf, mails[-1].attachment_ids)
        self.assertEqual(invoice.invoice_pdf_report_id, pdf, "the PDF was rendered again")

    @freeze_time("2026-03-11")
    def test_invoice_pdf_that_cannot_render_does_not_stop_the_reminder(self):
        broken = self._dunning_invoice(100.0, "2026-03-01")
        fine = self._dunning_invoice(200.0, "2026-03-01")
        sender = type(self.env["account.move.send"])
        original = sender._prepare_invoice_pdf_report

        def render(this, documents):
            if broken in documents:
                raise OSError("wkhtmltopdf exploded")
            return original(this, documents)

        with patch.object(sender, "_prepare_invoice_pdf_report", render):
            run = self._run()
        mail = self._sent_to(self.customer)
        self.assertEqual(len(mail), 1)
        self.assertIn(fine.invoice_pdf_report_id, mail.attachment_ids)
        self.assertFalse(broken.invoice_pdf_report_id)
        self.assertIn(broken.name, str(mail.body_html))
        event = run.event_ids.filtered(lambda e: e.channel == "email")
        self.assertEqual(event.state, "done")
        self.assertIn(f"Sent without the PDF of {broken.name}", event.reason)

    @freeze_time("2026-03-11")
    def test_send_reminder_now_from_the_customer(self):
        invoice = self._dunning_invoice(100.0, "2026-03-01")
        self._run()
        self.assertEqual(len(self._sent_to(self.customer)), 1)
        # The next day nothing climbs, but the accountant asks for a reminder now.
        with freeze_time("2026-03-12"):
            action = self.customer.action_dunning_send_now()
        self.assertEqual(action["params"]["type"], "success")
        self.assertEqual(len(self._sent_to(self.customer)), 2)
        self.assertEqual(invoice.dunning_level_id, self.levels[2], "a reminder does not climb")
        # From the invoice, same engine; an invoice not due yet is not listed.
        self._dunning_invoice(100.0, "2026-04-01")
        with freeze_time("2026-03-13"):
            invoice.action_dunning_send_now()
        last = self._sent_to(self.customer)[-1]
        self.assertIn(invoice.name, str(last.body_html))
        self.assertEqual(str(last.body_html).count("/my/invoices/"), 1)

    @freeze_time("2026-04-01")
    def test_letter_pdf_has_the_legal_identity_and_invoices(self):
        invoice = self._dunning_invoice(700.0, "2026-03-01")
        invoice.dunning_level_id = self.levels[3]
        invoice.dunning_last_date = date(2026, 3, 16)
        run = self._run()
        letter = run.event_ids.filtered(lambda e: e.channel == "letter")
        self.assertEqual(letter.level_id, self.levels[4])
        content = letter.attachment_id.raw.decode()
        self.assertIn(invoice.name, content)
        self.assertIn("BE0477472701", content)
        self.assertIn("our records do not show your payment", content)
        self.assertIn("700.00", content)


@tagged("post_install", "-at_install")
class TestDunningCron(DunningRunCommon):
    """The scheduled action: one run per company and day, in committed batches."""

    @freeze_time("2026-03-11")
    def test_cron_runs_each_company_once_a_day_in_batches(self):
        self.policy.execution_mode = "automatic"
        customers = self.customer | self.env["res.partner"].create(
            [{"name": f"Customer {i}", "email": f"c{i}@example.com"} for i in range(4)]
        )
        for customer in customers:
            self._dunning_invoice(100.0, "2026-03-01", partner=customer)
        with patch("odoo.addons.account_dunning.models.dunning_run.BATCH_SIZE", 2):
            # The cron's time runs out after the first batch: the rest waits for the
            # next call, nothing is lost and nothing is sent twice.
            calls = self._scheduled_run(stop_after_batches=1)
            run = self.env["dunning.run"].search(
                [("company_id", "=", self.company.id), ("trigger", "=", "cron")]
            )
            self.assertEqual(run.state, "running")
            self.assertEqual(run.todo_count, 3)
            self.assertIn((0, 5), calls)
            self.assertEqual(calls[-1], (2, 3))
            self._scheduled_run()
        run.invalidate_recordset()
        self.assertEqual(run.state, "done")
        self.assertEqual(run.done_count, 5)
        for customer in customers:
            self.assertEqual(len(self._mails(customer).mail_message_id), 1)
        # Called again the same day: the run is done, nothing new.
        self._scheduled_run()
        self.assertEqual(
            self.env["dunning.run"].search_count([("trigger", "=", "cron"),
                                                  ("company_id", "=", self.company.id)]), 1
        )  # fmt: skip
        self.assertEqual(len(self.env["mail.message"].search([
            ("model", "=", "res.partner"), ("res_id", "in", customers.ids),
            ("message_type", "=", "comment")])), 5)  # fmt: skip


@tagged("post_install", "-at_install")
class TestDunningRunQueries(DunningRunCommon):
    """The cost of a run grows with customers, not with their invoices."""

    def _queries_for(self, invoice_count):
        partner = self.env["res.partner"].create(
            {"name": f"Customer with {invoice_count}", "email": f"q{invoice_count}@example.com"}
        )
        for _index in range(invoice_count):
            self._dunning_invoice(100.0, "2026-03-01", partner=partner)
        self._dunning_invoice(100.0, "2026-03-01", partner=self.partner_a)  # warms caches
        run = self.env["dunning.run"].create({"partner_ids": [(6, 0, partner.ids)]})
        self.env.flush_all()
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        run.action_execute()
        self.env.flush_all()
        self.assertEqual(run.done_count, 1)
        return self.env.cr.sql_log_count - before

    @freeze_time("2026-03-11")
    def test_queries_per_customer_do_not_grow_with_invoices(self):
        self.policy.attach_invoice_pdf = False
        self._queries_for(2)  # first run: loads templates and views
        few = self._queries_for(2)
        many = self._queries_for(12)
        self.assertLessEqual(many, few + 2, f"{few} queries for 2 invoices, {many} for 12")
