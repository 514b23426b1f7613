from datetime import date

from freezegun import freeze_time

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import DunningRunCommon


@tagged("post_install", "-at_install")
class TestManualPostpone(DunningRunCommon):
    """Manual customers are never sent by the scheduled run; postponed ones wait."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # The scheduled run sends on its own only for automatic policies (review mode
        # would hold every customer, manual or not).
        cls.policy.execution_mode = "automatic"
        cls.invoice = cls._dunning_invoice(1000.0, "2026-03-01")

    def _cron_run(self):
        """The scheduled action as it runs (OdooBot, superuser), without its commits."""
        self._scheduled_run()
        return self.env["dunning.run"].search(
            [("company_id", "=", self.company.id), ("trigger", "=", "cron")], limit=1
        )

    def test_manual_customer_planned_but_never_sent_by_the_scheduled_run(self):
        self.customer.dunning_reminder_mode = "manual"
        with freeze_time("2026-03-09"):
            preview = self.env["dunning.run"].create({"company_id": self.company.id})
            preview.action_preview()
            line = preview.line_ids
            self.assertEqual(line.level_id.delay_days, 7)  # planned, shown
            self.assertEqual(line.skip_reason, "manual")
            preview.unlink()
            run = self._cron_run()
            self.assertEqual(run.line_ids.state, "skipped")
            self.assertEqual(run.line_ids.skip_reason, "manual")
            self.assertFalse(self._mails())
            self.assertFalse(self.invoice.dunning_level_id)
        with freeze_time("2026-03-20"):
            self.assertFalse(self._cron_run().line_ids.filtered(lambda line: line.state == "done"))
            self.assertFalse(self._mails())
            # A person's 'Send reminder now' still sends.
            self.customer.action_dunning_send_now()
            self.assertEqual(len(self._mails()), 1)

    def test_postponed_customer_skipped_with_the_reason_until_the_date(self):
        with freeze_time("2026-03-05"):
            self.customer.write(
                {
                    "dunning_postpone_until": date(2026, 3, 12),
                    "dunning_postpone_reason": "Waiting for the customer's new budget",
                }
            )
            logged = self.env["dunning.event"].search(
                [("partner_id", "=", self.customer.id), ("channel", "=", "note")]
            )
            self.assertEqual(len(logged), 1)
            self.assertIn("postponed until", logged.reason)
        for day in ("2026-03-09", "2026-03-11"):
            with freeze_time(day):
                run = self._cron_run()
                self.assertEqual(run.line_ids.skip_reason, "postponed")
                self.assertIn("Postponed until", run.line_ids._describe())
                self.assertIn("new budget", run.line_ids._describe())
                self.assertFalse(self._mails())
        skipped = self.env["dunning.event"].search(
            [("partner_id", "=", self.customer.id), ("state", "=", "skipped")]
        )
        self.assertEqual(len(skipped), 1)  # logged once, not every day
        with freeze_time("2026-03-12"):
            run = self._cron_run()
            self.assertEqual(run.line_ids.state, "done")
            self.assertEqual(len(self._mails()), 1)

    def test_postponing_needs_a_reason(self):
        with self.assertRaises(ValidationError):
            self.customer.dunning_postpone_until = date(2026, 3, 12)
