from datetime import date

from odoo.fields import Command
from odoo.tests import new_test_user

from .common import DunningCommon


class PaymentPlanCommon(DunningCommon):
    """A customer with two overdue invoices, one already dunned, and helpers for plans."""

    @classmethod
    def default_env_context(cls):
        # Mail on: plans email the customer.
        return {"no_reset_password": True}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.levels = cls.policy.level_ids.sorted(lambda lvl: (lvl.sequence, lvl.id))
        cls.level_by_delay = {lvl.delay_days: lvl for lvl in cls.levels}
        cls.ap_contact = cls.env["res.partner"].create(
            {
                "name": "Ann Payables",
                "parent_id": cls.customer.id,
                "type": "invoice",
                "email": "ap@acme.example.com",
            }
        )
        cls.collector = new_test_user(
            cls.env,
            login="plan_collector",
            groups="account.group_account_invoice",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )
        cls.customer.dunning_collector_id = cls.collector
        # 1000 due 31 Jan, already at "Payment date request" (+15); 500 due 15 Feb, never dunned.
        cls.inv_old = cls._dunning_invoice(1000.0, "2026-01-31")
        cls.inv_old.write(
            {"dunning_level_id": cls.level_by_delay[15].id, "dunning_last_date": "2026-02-15"}
        )
        cls.inv_new = cls._dunning_invoice(500.0, "2026-02-15")
        cls.invoices = cls.inv_old | cls.inv_new

    def _wizard(self, moves=None, **values):
        moves = self.invoices if moves is None else moves
        wizard = (
            self.env["dunning.payment.plan.wizard"]
            .with_context(active_model="account.move", active_ids=moves.ids)
            .create(
                {
                    "installment_count": 3,
                    "interval": "monthly",
                    "first_date": date(2026, 3, 10),
                    "send_agreement": False,
                    **values,
                }
            )
        )
        return wizard

    def _plan(self, moves=None, **values):
        """Confirm a plan: by default 3 monthly installments of 500 from 10 March."""
        action = self._wizard(moves, **values).action_confirm()
        return self.env["dunning.payment.plan"].browse(action["res_id"])

    def _process(self, day, plans=None):
        day = date.fromisoformat(day) if isinstance(day, str) else day
        Plan = plans if plans is not None else self.env["dunning.payment.plan"]
        return Plan._dunning_process_plans(day)

    def _mails_to(self, partner, subject_part=""):
        return self.env["mail.mail"].search(
            [("recipient_ids", "in", partner.ids), ("subject", "ilike", subject_part)]
        )
