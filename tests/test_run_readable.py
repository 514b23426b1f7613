from freezegun import freeze_time

from odoo.tests import tagged

from .common import DunningRunCommon


@tagged("post_install", "-at_install")
class TestRunReadable(DunningRunCommon):
    """Runs told apart in a list, with what they did; a line read as its customer."""

    @freeze_time("2026-03-02")
    def test_runs_name_day_trigger_and_whom_and_count_messages(self):
        with freeze_time("2026-02-21"):
            invoice = self._dunning_invoice(1000.0, "2026-02-21")
        run = self._run()
        self.assertEqual(run.message_count, 1)  # the +7 email
        self.assertEqual(run.failed_count, 0)
        self.assertEqual(run.line_count, 1)
        self.assertEqual(run.display_name, "03/02/2026 - Manual - 1 customer")
        # "Send reminder now" for one customer: named after the customer.
        self.env["dunning.run"].invalidate_model()
        now = self.env["dunning.run"]._dunning_create_reminder_run(self.customer)
        self.assertEqual(now.display_name, "03/02/2026 - Manual - Acme Retail")
        self.assertNotEqual(now.display_name, run.display_name)
        # The line is its customer, in a dialog titled so.
        line = run.line_ids
        self.assertEqual(line.display_name, "Acme Retail")
        action = line.action_dunning_open()
        self.assertEqual(action["name"], "Acme Retail")
        self.assertEqual(action["res_id"], line.id)
        self.assertEqual(line.move_ids, invoice)
