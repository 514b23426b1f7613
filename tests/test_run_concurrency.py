"""Two runs at once, and a payment during a run, with real cursors and real commits.

Not a TransactionCase: concurrency needs two database transactions that see each
other's commits. The test commits its own data (a customer of the database's main
company) and deletes it at the end.
"""

from odoo.fields import Command
from odoo.tests import tagged

from .common import DunningCommittedCommon


@tagged("post_install", "-at_install")
class TestConcurrentRuns(DunningCommittedCommon):
    def _invoice_and_runs(self, count):
        """A new customer with a posted invoice 10 days late, and ``count`` runs of that
        customer, planned."""
        with self.registry.cursor() as cr:
            env = self._env(cr)
            customer = self._committed_customer(env, "Concurrent Customer")
            self.customer_id = customer.id
            invoice = self._committed_invoice(env, customer, days_late=10)
            runs = env["dunning.run"].create(
                [
                    {
                        "company_id": self.company_id,
                        "partner_ids": [Command.set([self.customer_id])],
                    }
                    for _ in range(count)
                ]
            )
            for run in runs:
                run.action_preview()
            return invoice.id, runs.ids

    def _result_of(self, invoice_id, run_ids):
        with self.registry.cursor() as cr:
            env = self._env(cr)
            lines = env["dunning.run.line"].search([("run_id", "in", run_ids)])
            mails = env["mail.mail"].search(
                [
                    ("model", "=", "res.partner"),
                    ("res_id", "=", self.customer_id),
                    ("message_type", "=", "comment"),
                ]
            )
            invoice = env["account.move"].browse(invoice_id)
            return (
                sorted((line.state, line.skip_reason or "") for line in lines),
                len(mails.filtered(lambda m: invoice.name in (m.body_html or ""))),
                invoice.dunning_level_id.delay_days,
            )

    def test_two_runs_at_once_never_send_twice_nor_fail(self):
        invoice_id, run_ids = self._invoice_and_runs(2)

        def execute(run_id):
            with self.registry.cursor() as cr:
                self._env(cr)["dunning.run"].browse(run_id).action_execute()

        errors = self._in_parallel(execute, run_ids)
        self.assertFalse(errors)
        lines, mails, level_delay = self._result_of(invoice_id, run_ids)
        self.assertEqual(lines, [("done", ""), ("skipped", "stale")])
        self.assertEqual(mails, 1, "one reminder, whatever the interleaving")
        self.assertEqual(level_delay, 7)

    def test_a_run_whose_customer_was_reminded_meanwhile_skips(self):
        """Interleaved on purpose: A's transaction begins, B runs and commits, then A
        executes on its older snapshot: a serialization failure, logged as a skip."""
        invoice_id, run_ids = self._invoice_and_runs(2)
        with self.registry.cursor() as cr_a:
            run_a = self._env(cr_a)["dunning.run"].browse(run_ids[0])
            run_a.line_ids.move_ids.mapped("dunning_last_date")  # A's snapshot
            with self.registry.cursor() as cr_b:
                self._env(cr_b)["dunning.run"].browse(run_ids[1]).action_execute()
            run_a.action_execute()
        lines, mails, _level = self._result_of(invoice_id, run_ids)
        self.assertEqual(mails, 1)
        self.assertEqual(lines, [("done", ""), ("skipped", "stale")])

    def test_a_payment_during_the_run_gives_a_skip_not_a_failure(self):
        invoice_id, run_ids = self._invoice_and_runs(1)
        with self.registry.cursor() as cr_run:
            run = self._env(cr_run)["dunning.run"].browse(run_ids[0])
            run.line_ids.move_ids.mapped("payment_state")  # the run's snapshot
            with self.registry.cursor() as cr_pay:
                env = self._env(cr_pay)
                invoice = env["account.move"].browse(invoice_id)
                # The bank entry of the customer's payment, matched with the invoice.
                bank = env["account.journal"].search(
                    [("type", "=", "bank"), ("company_id", "=", self.company_id)], limit=1
                )
                receivable = invoice.line_ids.filtered(
                    lambda line: line.account_id.account_type == "asset_receivable"
                )
                entry = env["account.move"].create(
                    {
                        "move_type": "entry",
                        "journal_id": bank.id,
                        "line_ids": [
                            Command.create(
                                {"account_id": bank.default_account_id.id, "debit": 100.0}
                            ),
                            Command.create(
                                {
                                    "account_id": receivable.account_id.id,
                                    "partner_id": self.customer_id,
                                    "credit": 100.0,
                                }
                            ),
                        ],
                    }
                )
                entry.action_post()
                (entry.line_ids.filtered(lambda ln: ln.account_id == receivable.account_id)
                 | receivable).reconcile()  # fmt: skip
                self.assertEqual(invoice.payment_state, "paid")
            run.action_execute()
        lines, mails, level_delay = self._result_of(invoice_id, run_ids)
        self.assertEqual(lines, [("skipped", "stale")])
        self.assertEqual(mails, 0)
        self.assertFalse(level_delay)
