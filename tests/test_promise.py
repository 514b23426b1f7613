from datetime import date

from freezegun import freeze_time

from odoo.exceptions import ValidationError
from odoo.fields import Command
from odoo.tests import tagged

from .common import DunningRunCommon


@tagged("post_install", "-at_install")
class TestPromise(DunningRunCommon):
    """Promises to pay pause the ladder; kept ones thank, broken ones resume higher."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.by_delay = {level.delay_days: level for level in cls.levels}
        cls.invoice = cls._dunning_invoice(1000.0, "2026-03-01")

    def _promise(self, amount, date_promised, moves=None):
        return self.env["dunning.promise"].create(
            {
                "partner_id": self.customer.id,
                "move_ids": [Command.set((moves or self.invoice).ids)],
                "amount": amount,
                "date_promised": date_promised,
            }
        )

    def _emails(self, run):
        return run.event_ids.filtered(lambda e: e.channel == "email" and e.state == "done")

    def test_absurd_amounts_and_dates_are_refused_clearly(self):
        for amount, day in (
            (float("inf"), date(2026, 4, 1)),
            (1e308, date(2026, 4, 1)),
            (100.0, date(9999, 12, 31)),
        ):
            with self.subTest(amount=amount, day=day), self.assertRaises(ValidationError):
                self._promise(amount, day)

    def test_promise_pauses_the_ladder_and_payments_keep_it(self):
        with freeze_time("2026-03-08"):
            self.assertEqual(self._emails(self._run()).level_id, self.by_delay[7])
        with freeze_time("2026-03-10"):
            promise = self._promise(1000.0, date(2026, 3, 20))
            self.assertEqual(self.invoice.dunning_stage, "promised")
            self.assertFalse(self.invoice.dunning_next_date)
        with freeze_time("2026-03-17"):  # +15 would be due: paused
            run = self._run()
            self.assertFalse(run.line_ids)
            self._dunning_pay(self.invoice, 400.0, pay_date=date(2026, 3, 17))
        with freeze_time("2026-03-18"):
            self._run()
            # Partial payment: still open until the date.
            self.assertEqual(promise.state, "open")
            self.assertEqual(promise.amount_paid, 400.0)
            self.assertEqual(self.invoice.dunning_stage, "promised")
            self._dunning_pay(self.invoice, 600.0, pay_date=date(2026, 3, 18))
        with freeze_time("2026-03-19"):
            run = self._run()
            self.assertEqual(promise.state, "kept")
            self.assertEqual(promise.date_end, date(2026, 3, 19))
            self.assertEqual(self.invoice.dunning_stage, "normal")
            thanks = self.env["dunning.event"].search(
                [("partner_id", "=", self.customer.id), ("channel", "=", "thank_you")]
            )
            self.assertEqual(len(thanks), 1)
            self.assertEqual(thanks.promise_id, promise)
            self.assertTrue(thanks.message_id)
            self.assertTrue(self.invoice.dunning_thanked)
        with freeze_time("2026-03-20"):
            self._run()
            self.assertEqual(
                self.env["dunning.event"].search_count(
                    [("partner_id", "=", self.customer.id), ("channel", "=", "thank_you")]
                ),
                1,
            )
        self.assertEqual(self.customer.dunning_promise_kept_count, 1)
        self.assertEqual(self.customer.dunning_promise_broken_count, 0)

    def test_partial_payment_then_broken_resumes_one_rung_higher_that_day(self):
        with freeze_time("2026-03-08"):
            self._run()
            self.assertEqual(self.invoice.dunning_level_id, self.by_delay[7])
        with freeze_time("2026-03-09"):
            promise = self._promise(1000.0, date(2026, 3, 10))
            self._dunning_pay(self.invoice, 300.0, pay_date=date(2026, 3, 9))
        # Grace of 3 days: still open on the 13th.
        with freeze_time("2026-03-13"):
            run = self._run()
            self.assertEqual(promise.state, "open")
            self.assertFalse(run.line_ids)
        # Broken on the 14th (13 days overdue, +15 not reached by age): the ladder resumes
        # at +15 in that day's run.
        with freeze_time("2026-03-14"):
            run = self._run()
            self.assertEqual(promise.state, "broken")
            self.assertEqual(self.invoice.dunning_stage, "normal")
            self.assertEqual(self.invoice.dunning_level_id, self.by_delay[15])
            self.assertEqual(self.invoice.dunning_last_date, date(2026, 3, 14))
            emails = self._emails(run)
            self.assertEqual(emails.level_id, self.by_delay[15])
            self.assertEqual(emails.move_ids, self.invoice)
            broken = promise.event_ids.filtered(lambda e: "broken" in (e.reason or ""))
            self.assertEqual(broken.activity_id.user_id, self.collector)
            self.assertEqual(broken.activity_id.res_model, "dunning.promise")
        # The day after: no second step (the ladder climbs from +15 by age only).
        with freeze_time("2026-03-15"):
            run = self._run()
            self.assertFalse(self._emails(run))
        self.assertEqual(self.customer.dunning_promise_broken_count, 1)

    def test_broken_promise_after_a_preview_is_planned_again(self):
        with freeze_time("2026-03-08"):
            self._run()
        with freeze_time("2026-03-09"):
            promise = self._promise(1000.0, date(2026, 3, 10))
        with freeze_time("2026-03-14"):
            run = self.env["dunning.run"].create({"company_id": self.company.id})
            run.action_preview()
            self.assertFalse(run.line_ids)  # a preview changes nothing
            self.assertEqual(promise.state, "open")
            run.action_execute()
            self.assertEqual(promise.state, "broken")
            self.assertEqual(self._emails(run).level_id, self.by_delay[15])

    def test_new_promise_replaces_the_open_one(self):
        with freeze_time("2026-03-09"):
            first = self._promise(500.0, date(2026, 3, 12))
            second = self._promise(1000.0, date(2026, 3, 20))
        self.assertEqual(first.state, "cancelled")
        self.assertEqual(second.state, "open")
        self.assertEqual(self.invoice.dunning_stage, "promised")
        second.action_cancel()
        self.assertEqual(self.invoice.dunning_stage, "normal")
