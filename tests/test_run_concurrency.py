"""Two runs at once, and a payment during a run, with real cursors and real commits.

Not a TransactionCase: concurrency needs two database transactions that see each
other's commits. The test commits its own data (a customer of the database's main
company) and deletes it at the end.
"""

import threading
import unittest
from datetime import timedelta

from odoo import SUPERUSER_ID, api, fields
from odoo.fields import Command
from odoo.modules.registry import Registry
from odoo.tests import tagged
from odoo.tests.common import BaseCase, get_db_name


@tagged("post_install", "-at_install")
class TestConcurrentRuns(BaseCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.registry = Registry(get_db_name())
        with cls.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            company = env.ref("base.main_company")
            sale_journals = env["account.journal"].search(
                [("type", "=", "sale"), ("company_id", "=", company.id)]
            )
            if not sale_journals:
                raise unittest.SkipTest("the main company has no chart of accounts")
            policy = company.dunning_default_policy_id
            cls.pdf_was = policy.attach_invoice_pdf
            policy.attach_invoice_pdf = False
            cls.company_id = company.id
            cls.customer_ids = []

    @classmethod
    def tearDownClass(cls):
        with cls.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            company = env["res.company"].browse(cls.company_id)
            company.dunning_default_policy_id.attach_invoice_pdf = cls.pdf_was
            customers = tuple(cls.customer_ids) or (0,)
            # The history is append-only for people and the ORM; a test's own rows go.
            cr.execute("DELETE FROM dunning_event WHERE partner_id IN %s", [customers])
            cr.execute(
                "DELETE FROM dunning_run WHERE id IN "
                "(SELECT run_id FROM dunning_run_line WHERE partner_id IN %s)",
                [customers],
            )
            moves = env["account.move"].search([("commercial_partner_id", "in", customers)])
            moves.line_ids.remove_move_reconcile()
            moves.filtered(lambda m: m.state == "posted").button_draft()
            moves.with_context(force_delete=True).unlink()
            on_customers = [("model", "=", "res.partner"), ("res_id", "in", customers)]
            env["mail.mail"].search(on_customers).unlink()
            env["mail.message"].search(on_customers).unlink()
            env["mail.activity"].search(
                [("res_model", "=", "res.partner"), ("res_id", "in", customers)]
            ).unlink()
            env["res.partner"].browse(customers).exists().active = False
        super().tearDownClass()

    def _env(self, cr):
        return api.Environment(cr, SUPERUSER_ID, {})

    def _invoice_and_runs(self, count):
        """A new customer with a posted invoice 10 days late, and ``count`` runs of that
        customer, planned."""
        with self.registry.cursor() as cr:
            env = self._env(cr)
            today = fields.Date.context_today(env["res.partner"])
            self.customer_id = (
                env["res.partner"]
                .create({"name": "Concurrent Customer", "email": "concurrent@example.com"})
                .id
            )
            self.customer_ids.append(self.customer_id)
            invoice = env["account.move"].create(
                {
                    "move_type": "out_invoice",
                    "partner_id": self.customer_id,
                    "company_id": self.company_id,
                    "invoice_date": today - timedelta(days=10),
                    "invoice_date_due": today - timedelta(days=10),
                    "invoice_line_ids": [
                        Command.create(
                            {"name": "Services", "quantity": 1, "price_unit": 100.0, "tax_ids": []}
                        )
                    ],
                }
            )
            invoice.invoice_date_due = today - timedelta(days=10)
            invoice.action_post()
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
        barrier = threading.Barrier(2)
        errors = []

        def execute(run_id):
            try:
                with self.registry.cursor() as cr:
                    env = self._env(cr)
                    run = env["dunning.run"].browse(run_id)
                    # Both transactions take their snapshot now, before either executes.
                    self.assertTrue(run.line_ids)
                    barrier.wait(timeout=30)
                    run.action_execute()
            except Exception as error:
                errors.append(repr(error))

        threads = [threading.Thread(target=execute, args=(run_id,)) for run_id in run_ids]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
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
