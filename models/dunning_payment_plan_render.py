"""What the payment plan's emails, agreement and portal page show."""

from datetime import timedelta

from werkzeug.urls import url_encode

from odoo import api, fields, models
from odoo.addons.payment import utils as payment_utils


class DunningPaymentPlan(models.Model):
    _inherit = "dunning.payment.plan"

    # Helpers of the email templates, the agreement and the portal

    def _get_today(self):
        return self.env.context.get("dunning_date") or fields.Date.context_today(self)

    def _get_policy(self):
        self.ensure_one()
        return self.partner_id.with_company(self.company_id)._dunning_get_policy()

    def _get_sender(self):
        self.ensure_one()
        policy = self._get_policy()
        return policy._get_sender() if policy else self.company_id.email_formatted

    def _get_collector(self):
        self.ensure_one()
        return self.env["dunning.engine"]._get_collector(
            self.partner_id, self.company_id, policy=self._get_policy(), fallback=self.user_id
        )

    def _get_upcoming_installments(self, today=None):
        self.ensure_one()
        today = today or self._get_today()
        horizon = today + timedelta(days=self.reminder_days_before)
        return self.installment_ids.filtered(
            lambda i: i.state in ("due", "partial") and today <= i.date_due <= horizon
        )

    def _get_state_label(self):
        self.ensure_one()
        return dict(self._fields["state"]._description_selection(self.env))[self.state]

    def _get_break_date(self):
        """The last day to pay the oldest late installment before the plan breaks."""
        self.ensure_one()
        late = self.installment_ids.filtered(lambda i: i.state == "late").mapped("date_due")
        return min(late) + timedelta(days=self.tolerance_days) if late else False

    def _get_invoice_rows(self):
        """The plan's invoices, oldest due first, with residual and pay link: the link
        pays the invoice's share of the installment due, or shows the plan. The plan's
        schedule replaces the invoices' own payment terms: the whole residual is shown."""
        self.ensure_one()
        rows = self.move_ids._dunning_invoice_rows(self._get_today())
        links = {link["move"]: link for link in self._get_pay_now_links()}
        plan_url = self._get_portal_full_url()
        for row in rows:
            row.update(amount_due=row["residual"], upcoming=[])
            row["url"] = links[row["move"]]["url"] if row["move"] in links else plan_url
        return rows

    def _get_credit_rows(self):
        """The shared invoice table of the messages: a plan lists no credits."""
        return []

    def _get_due_state(self, rows=None):
        self.ensure_one()
        rows = self._get_invoice_rows() if rows is None else rows
        late = any(row["days_overdue"] > 0 for row in rows)
        return "overdue" if late else "upcoming"

    def _get_installments_due_now(self):
        """What the customer is asked to pay now: the late installments, else the next
        open one."""
        self.ensure_one()
        open_rows = self.installment_ids.filtered(lambda i: i.state != "paid").sorted(
            lambda i: (i.date_due, i.sequence, i.id)
        )
        return open_rows.filtered(lambda i: i.state == "late") or open_rows[:1]

    def _get_pay_now_links(self):
        """Odoo's invoice payment links (account_payment's portal payment with a custom
        amount, as the payment link wizard makes them) for the installment due now,
        spread over the plan's open invoices oldest due first: [{move, amount, url}]."""
        self.ensure_one()
        if self.state != "active":
            return []
        currency = self.currency_id
        left = currency.round(sum(self._get_installments_due_now().mapped("amount_residual")))
        links = []
        moves = self.move_ids.filtered(lambda m: not m.currency_id.is_zero(m.amount_residual))
        for move in moves.sorted(lambda m: (m.invoice_date_due or m.date, m.id)):
            if currency.compare_amounts(left, 0.0) <= 0:
                break
            share = currency.round(min(left, move.amount_residual))
            left = currency.round(left - share)
            links.append({"move": move, "amount": share, "url": self._get_pay_url(move, share)})
        return links

    @api.model
    def _get_pay_url(self, move, amount):
        """The invoice's portal page opening its payment for ``amount``: the URL and the
        signed ``payment_token`` that account_payment's ``portal_my_invoice_detail``
        checks (a tampered amount is refused there)."""
        params = {
            "amount": amount,
            "payment_token": payment_utils.generate_access_token(move.id, amount, env=self.env),
            "payment": True,
        }
        query = "&" + url_encode(params)
        return move.get_base_url() + move.get_portal_url(query_string=query, anchor="portal_pay")

    def _get_installment_rows(self):
        """The schedule as the wizard numbers it: the down payment, then 1..n."""
        self.ensure_one()
        rows, number = [], 0
        for installment in self.installment_ids:
            if not installment.is_down_payment:
                number += 1
            rows.append({"installment": installment, "number": number})
        return rows

    def _get_totals(self, rows=None):
        self.ensure_one()
        amount = sum(self.move_ids.mapped("amount_residual"))
        return [
            {
                "currency": self.currency_id,
                "amount": amount,
                "invoices": amount,
                "credits": 0.0,
                "net": amount,
                "credit_balance": 0.0,
            }
        ]

    def _get_company_address(self):
        self.ensure_one()
        return self.company_id._dunning_address_line()

    def _get_portal_full_url(self):
        self.ensure_one()
        return self.get_base_url() + self.get_portal_url()

    def _get_report_base_filename(self):
        self.ensure_one()
        return self.env._("Payment plan %(plan)s", plan=self.name)
