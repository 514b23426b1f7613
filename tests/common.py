import threading
import unittest
from datetime import date, timedelta
from unittest.mock import patch

from odoo import SUPERUSER_ID, api, fields
from odoo.addons.account.tests.common import AccountTestInvoicingCommon
from odoo.fields import Command
from odoo.modules.registry import Registry
from odoo.tests import new_test_user
from odoo.tests.common import BaseCase, get_db_name


class DunningCommon(AccountTestInvoicingCommon):
    """Accounting test base with a customer and helpers to age invoices."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.company_data["company"]
        cls.company.write({"email": "finance@company-a.example.com", "vat": "BE0477472701"})
        cls.policy = cls.company.dunning_default_policy_id
        cls.customer = cls.env["res.partner"].create(
            {"name": "Acme Retail", "is_company": True, "email": "info@acme.example.com"}
        )

    @classmethod
    def _dunning_invoice(cls, amount, due, partner=None, currency=None, invoice_date=None, **kw):
        """A posted customer invoice of ``amount`` (no tax) due on ``due``."""
        due = date.fromisoformat(due) if isinstance(due, str) else due
        invoice_date = invoice_date or due
        move = cls.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": (partner or cls.customer).id,
                "invoice_date": invoice_date,
                "invoice_date_due": due,
                "invoice_payment_term_id": False,
                "currency_id": (currency or cls.company.currency_id).id,
                "invoice_line_ids": [
                    Command.create(
                        {"name": "Services", "quantity": 1, "price_unit": amount, "tax_ids": []}
                    )
                ],
                **kw,
            }
        )
        # The due date is recomputed from the (empty) payment term on create.
        move.invoice_date_due = due
        move.action_post()
        return move

    @classmethod
    def _dunning_pay(cls, invoice, amount, pay_date=None, currency=None):
        """Register a payment of ``amount`` reconciled with ``invoice``."""
        return cls._register_payment(
            invoice,
            amount=amount,
            payment_date=pay_date or invoice.invoice_date_due,
            currency_id=(currency or invoice.currency_id).id,
        )

    @classmethod
    def _dunning_user(cls, login, groups, company=None):
        """A plain user of ``company`` (default: the test company) only, for acting as
        JSON-RPC would (``with_user``); ``groups``: comma-separated xml ids."""
        company = company or cls.company
        return new_test_user(
            cls.env,
            login=login,
            groups=groups,
            company_id=company.id,
            company_ids=[Command.set(company.ids)],
        )


class DunningRunCommon(DunningCommon):
    """Real mail behaviour (not the test classes' mail-off context) and run helpers."""

    @classmethod
    def default_env_context(cls):
        return {}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ap_contact = cls.env["res.partner"].create(
            {
                "name": "Paula Payables",
                "parent_id": cls.customer.id,
                "type": "invoice",
                "email": "payables@acme.example.com",
            }
        )
        cls.collector = cls.env["res.users"].create(
            {
                "name": "Colin Collector",
                "login": "colin",
                "email": "colin@company-a.example.com",
                "group_ids": [Command.set(cls.env.ref("account.group_account_invoice").ids)],
                "company_id": cls.company.id,
                "company_ids": [Command.set(cls.company.ids)],
            }
        )
        cls.customer.with_company(cls.company).dunning_collector_id = cls.collector
        cls.levels = cls.policy.level_ids.sorted("sequence")

    def _run(self, **values):
        """Execute a run for today (frozen) in this transaction."""
        run = self.env["dunning.run"].create({"company_id": self.company.id, **values})
        run.action_execute()
        return run

    def _scheduled_run(self, stop_after_batches=None):
        """The daily scheduled action as Odoo's cron runner calls it (OdooBot, superuser),
        its commits replaced by a time check that is up after ``stop_after_batches``
        batches (never when None); the calls of that check, (processed, remaining)."""
        calls = []

        def commit_progress(cron, processed=0, *, remaining=None, deactivate=False):
            calls.append((processed, remaining))
            batches = len([call for call in calls if call[0]])
            return 0.0 if stop_after_batches and batches >= stop_after_batches else 100.0

        with patch.object(type(self.env["ir.cron"]), "_commit_progress", commit_progress):
            self.env["dunning.run"].with_user(self.env.ref("base.user_root")).sudo()._cron_run()
        return calls

    def _mails(self, partner=None):
        partner = partner or self.customer
        return self.env["mail.mail"].search(
            [
                ("model", "=", "res.partner"),
                ("res_id", "=", partner.id),
                ("message_type", "=", "comment"),  # not the activity notifications
            ],
            order="id",
        )

    def _calls(self, partner=None):
        partner = partner or self.customer
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", "res.partner"),
                ("res_id", "=", partner.id),
                ("activity_type_id", "=", self.env.ref(
                    "account_dunning.mail_activity_type_dunning_call").id),
            ],
            order="id",
        )  # fmt: skip


class DunningCommittedCommon(BaseCase):
    """Real transactions that see each other's commits (concurrency tests).

    Not a TransactionCase: each test opens its own cursors on the test database and
    commits; the customers it made (``_committed_customer``) and everything hanging on
    them are deleted at the end of the class.
    """

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

    def _committed_customer(self, env, name, **values):
        customer = env["res.partner"].create(
            {"name": name, "email": "concurrent@example.com", **values}
        )
        self.customer_ids.append(customer.id)
        return customer

    def _committed_invoice(self, env, customer, days_late, amount=100.0):
        """A posted invoice of ``customer``, due ``days_late`` days before today."""
        due = fields.Date.context_today(customer) - timedelta(days=days_late)
        invoice = env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": customer.id,
                "company_id": self.company_id,
                "invoice_date": due,
                "invoice_date_due": due,
                "invoice_line_ids": [
                    Command.create(
                        {"name": "Services", "quantity": 1, "price_unit": amount, "tax_ids": []}
                    )
                ],
            }
        )
        invoice.invoice_date_due = due
        invoice.action_post()
        return invoice

    def _in_parallel(self, function, arguments, timeout=120):
        """Call ``function(argument)`` in one thread each, all released at once; the
        errors they raised (repr), in no particular order."""
        barrier = threading.Barrier(len(arguments))
        errors = []

        def run(argument):
            try:
                barrier.wait(timeout=30)
                function(argument)
            except Exception as error:  # reported to the test, whatever it is
                errors.append(repr(error))

        threads = [threading.Thread(target=run, args=(argument,)) for argument in arguments]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=timeout)
        return errors
