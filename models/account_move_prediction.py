from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from ..tools.prediction import Summary, estimate_prior, predict

# The history read: invoices paid in the last 24 months, the last 6 of them "recent".
HISTORY_DAYS = 730
RECENT_DAYS = 182
PREDICTION_GROUPS = "account_dunning.group_dunning_user"


class AccountMove(models.Model):
    _inherit = "account.move"

    dunning_predicted_date = fields.Date(
        string="Predicted Payment",
        compute="_compute_dunning_predicted_date",
        groups=PREDICTION_GROUPS,
        help="When this invoice is expected to be paid: the customer's days late over the "
        "last 24 months, weighed against the company's by how much history the customer "
        "has (an empirical-Bayes estimate, see the Collections documentation). An open "
        "invoice is never predicted before today.",
    )
    dunning_predicted_date_low = fields.Date(
        string="Predicted From",
        compute="_compute_dunning_predicted_date",
        groups=PREDICTION_GROUPS,
        help="8 payments out of 10 like this one come between this date and the next.",
    )
    dunning_predicted_date_high = fields.Date(
        string="Predicted Until",
        compute="_compute_dunning_predicted_date",
        groups=PREDICTION_GROUPS,
        help="8 payments out of 10 like this one come between the previous date and this one.",
    )

    @api.depends_context("company", "tz")
    @api.depends("move_type", "state", "payment_state", "invoice_date_due", "commercial_partner_id")
    def _compute_dunning_predicted_date(self):
        today = fields.Date.context_today(self)
        open_invoices = self.filtered(
            lambda m: (
                m.move_type == "out_invoice"
                and m.state == "posted"
                and m.payment_state in ("not_paid", "partial")
                and m.invoice_date_due
            )
        )
        (self - open_invoices).update(
            {
                "dunning_predicted_date": False,
                "dunning_predicted_date_low": False,
                "dunning_predicted_date_high": False,
            }
        )
        # One history query per company (every customer of it: the prior needs them all).
        for company, moves in open_invoices.grouped("company_id").items():
            history = self._dunning_paid_history(company, today)
            prior = estimate_prior(
                Summary(r["count"], r["mean"], r["var"]) for r in history.values()
            )
            for move in moves:
                row = history.get(move.commercial_partner_id.id)
                summary = Summary(row["count"], row["mean"], row["var"]) if row else Summary(0)
                due = move.invoice_date_due
                estimate = predict(summary, prior, days_past_due=(today - due).days)
                move.dunning_predicted_date = due + timedelta(days=round(estimate.days))
                if estimate.has_range:
                    move.dunning_predicted_date_low = due + timedelta(days=round(estimate.low))
                    move.dunning_predicted_date_high = due + timedelta(days=round(estimate.high))
                else:
                    move.dunning_predicted_date_low = False
                    move.dunning_predicted_date_high = False

    @api.model
    def _dunning_paid_history(self, company, today, partner_ids=None):
        """Days late of the customer invoices of ``company`` paid in the 24 months up to
        ``today``, per customer (commercial partner): {partner id: {count, mean, var,
        on_time, recent_count, recent_mean, before_mean}}. One query for all customers.

        An invoice instalment is paid on the date of the last payment or credit note
        reconciled with it (the partial reconciliation's date, as the invoice's payment
        widget shows it), and its days late are that date minus its due date. Invoices
        cancelled by a credit note (reversed) or written off are not payments.
        """
        self.env["account.move"].flush_model(
            ["company_id", "move_type", "state", "payment_state", "commercial_partner_id",
             "dunning_stage"]
        )  # fmt: skip
        self.env["account.move.line"].flush_model(
            ["move_id", "display_type", "date_maturity", "reconciled"]
        )
        self.env["account.partial.reconcile"].flush_model(["debit_move_id", "max_date"])
        partners = (
            SQL("AND m.commercial_partner_id IN %s", tuple(partner_ids)) if partner_ids else SQL()
        )
        rows = self.env.execute_query_dict(
            SQL(
                """
            WITH paid AS (
                SELECT m.commercial_partner_id AS partner_id,
                       MAX(apr.max_date) - aml.date_maturity AS late,
                       MAX(apr.max_date) AS paid_on
                  FROM account_move m
                  JOIN account_move_line aml ON aml.move_id = m.id
                                             AND aml.display_type = 'payment_term'
                                             AND aml.reconciled
                  JOIN account_partial_reconcile apr ON apr.debit_move_id = aml.id
                 WHERE m.company_id = %(company)s
                   AND m.move_type = 'out_invoice'
                   AND m.state = 'posted'
                   AND m.payment_state IN ('paid', 'in_payment')
                   AND m.dunning_stage != 'written_off'
                   %(partners)s
              GROUP BY m.commercial_partner_id, aml.id
                HAVING MAX(apr.max_date) BETWEEN %(since)s AND %(today)s
            )
            SELECT partner_id,
                   COUNT(*) AS count,
                   AVG(late)::float AS mean,
                   COALESCE(VAR_SAMP(late), 0)::float AS var,
                   COUNT(*) FILTER (WHERE late <= 0) AS on_time,
                   COUNT(*) FILTER (WHERE paid_on >= %(recent)s) AS recent_count,
                   (AVG(late) FILTER (WHERE paid_on >= %(recent)s))::float AS recent_mean,
                   (AVG(late) FILTER (WHERE paid_on < %(recent)s))::float AS before_mean
              FROM paid
          GROUP BY partner_id
                """,
                company=company.id,
                partners=partners,
                since=today - timedelta(days=HISTORY_DAYS),
                recent=today - timedelta(days=RECENT_DAYS),
                today=today,
            )
        )
        return {row["partner_id"]: row for row in rows}
