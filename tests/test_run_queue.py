"""The queue_job scale-out without queue_job: the scheduled path is unchanged, and the
job that executes one batch sends nothing twice when it runs twice."""

from freezegun import freeze_time

from odoo.tests import tagged

from .common import DunningRunCommon


@tagged("post_install", "-at_install")
class TestRunQueue(DunningRunCommon):
    def _planned_run(self, customers):
        for customer in customers:
            self._dunning_invoice(100.0, "2026-03-01", partner=customer)
        run = self.env["dunning.run"].create({"company_id": self.company.id})
        run._plan()
        run._dunning_flow_write({"state": "running"})  # as the engine does
        return run

    @freeze_time("2026-03-11")
    def test_without_queue_job_nothing_is_queued(self):
        if "queue.job" in self.env:
            self.skipTest("queue_job is installed in this database")
        run = self._planned_run(self.customer)
        self.assertFalse(run._dunning_enqueue_batches())
        self.assertTrue(run.todo_count)

    @freeze_time("2026-03-11")
    def test_batch_job_twice_sends_once(self):
        customers = self.customer | self.env["res.partner"].create(
            [{"name": f"Queued {i}", "email": f"queued{i}@example.com"} for i in range(2)]
        )
        run = self._planned_run(customers)
        other = self.env["dunning.run"].create({"company_id": self.company.id})
        line_ids = run.line_ids.filtered(lambda line: line.state == "todo").ids
        self.assertEqual(len(line_ids), 3)
        # A job runs twice (retried after a lost answer, or queued again by a rerun);
        # a batch job of another run holding these ids executes none of them.
        other._dunning_job_execute_batch(line_ids)
        self.assertEqual(run.todo_count, 3)
        run._dunning_job_execute_batch(line_ids)
        run._dunning_job_execute_batch(line_ids)
        run.invalidate_recordset()
        self.assertEqual(run.done_count, 3)
        for customer in customers:
            self.assertEqual(len(self._mails(customer).mail_message_id), 1)
