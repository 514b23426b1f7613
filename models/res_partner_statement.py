import logging
from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.fields import Command
from odoo.tools import SQL

from ..tools.aging import BUCKETS, OpenItem, age_items
from .res_partner import DUNNING_FIGURES_GROUPS

_logger = logging.getLogger(__name__)

# Payments received over this many days before the statement date are listed.
PAYMENTS_LOOKBACK_DAYS = 90
# Customers per committed batch of the monthly statements (each renders a PDF).
STATEMENT_BATCH_SIZE = 20


class ResPartner(models.Model):
    _inherit = "res.partner"

    dunning_statement_monthly = fields.Boolean(
        string="Send a monthly statement",
        company_dependent=True,
        help="On the 1st of every month, email this customer's statement of account to "
        "its accounts-payable contact, when it has open items.",
    )
    dunning_statement_last_date = fields.Date(
        string="Last Monthly Statement",
        company_dependent=True,
        copy=False,
        readonly=True,
        help="When the monthly statement was last queued: one per month at most.",
    )

    # ------------------------------------------------------------------ data

    def _dunning_statement_data(self, date=None):
        """Statement of account of each customer (commercial partner) in the current
        company on ``date`` (default today): ``{commercial partner id: statement}``.

        A statement holds, per currency (company currency first), every open receivable
        item with its residual in its own currency, the aging buckets and the balance,
        plus the payments received in the last 90 days. A fixed number of queries for
        any number of customers and items.
        """
        as_of = date or fields.Date.context_today(self)
        company = self.env.company
        customers = self.commercial_partner_id
        # The statement reads the receivable with SQL: those who may read a customer's
        # collections figures only (not a portal user, nor every employee), and only the
        # customers they may read.
        if not self.env.su and not self.env.user.has_groups(DUNNING_FIGURES_GROUPS):
            raise AccessError(
                self.env._("Only accounting and collections users can see a statement.")
            )
        self.env["account.move.line"].check_access("read")
        self.check_access("read")
        contacts = customers._dunning_get_contacts()
        statements = {
            customer.id: {
                "partner": customer,
                "contact": contacts[customer.id],
                "company": company,
                "date": as_of,
                "currencies": [],
                "payments": [],
            }
            for customer in customers
        }
        if not customers:
            return statements
        items = self._dunning_statement_items(company, customers)
        payments = self._dunning_statement_payments(company, customers, as_of)
        currency_ids = {row["currency_id"] for row in items} | {
            row["currency_id"] for row in payments
        }
        currencies = self.env["res.currency"].browse(sorted(currency_ids))
        currencies.fetch(["name", "rounding", "decimal_places", "symbol", "position"])
        pay_urls = self._dunning_statement_pay_urls(items)

        by_customer = defaultdict(lambda: defaultdict(list))
        for row in items:
            row["currency"] = currencies.browse(row["currency_id"])
            row["days_overdue"] = (as_of - row["date_due"]).days
            by_customer[row["partner_id"]][row["currency_id"]].append(row)
        for row in payments:
            row["currency"] = currencies.browse(row["currency_id"])
            statements[row["partner_id"]]["payments"].append(row)

        company_currency = company.currency_id
        for customer_id, per_currency in by_customer.items():
            open_items = [
                OpenItem(row["date"], row["date_due"], row["residual"], row["currency_id"])
                for rows in per_currency.values()
                for row in rows
            ]
            roundings = {cid: currencies.browse(cid).rounding for cid in per_currency}
            aging = age_items(open_items, as_of, roundings)
            ordered = sorted(
                per_currency,
                key=lambda cid: (cid != company_currency.id, currencies.browse(cid).name),
            )
            statements[customer_id]["currencies"] = [
                {
                    "currency": currencies.browse(cid),
                    "items": per_currency[cid],
                    "aging": [(name, aging[cid].buckets[name]) for name in BUCKETS],
                    "balance": aging[cid].balance,
                    "pay_url": pay_urls.get((customer_id, cid), False),
                }
                for cid in ordered
            ]
        return statements

    def _dunning_statement(self, date=None):
        """The statement of this customer (see _dunning_statement_data)."""
        self.ensure_one()
        return self._dunning_statement_data(date)[self.commercial_partner_id.id]

    def _dunning_statement_items(self, company, customers):
        """Open receivable lines of ``customers`` in ``company``, oldest due first.

        The residual is in the line's own currency (amount_residual_currency): a line
        whose foreign residual is settled but that still carries an exchange difference
        in company currency is not the customer's debt and is left out. So are the
        invoices Odoo shows as paid or in payment while their receivable line is still
        open (a payment without journal entry): the customer has paid them.
        """
        self.env["account.move.line"].flush_model(
            ["account_id", "amount_residual_currency", "company_id", "currency_id", "date",
             "date_maturity", "move_id", "parent_state", "partner_id", "reconciled"]
        )  # fmt: skip
        self.env["account.move"].flush_model(
            ["access_token", "invoice_date", "move_type", "name", "origin_payment_id",
             "payment_state", "ref", "statement_line_id"]
        )  # fmt: skip
        self.env["res.partner"].flush_model(["commercial_partner_id"])
        rows = self.env.execute_query_dict(
            SQL(
                """
            SELECT p.commercial_partner_id AS partner_id, aml.id AS line_id,
                   m.id AS move_id, m.name, m.ref, m.move_type,
                   (m.origin_payment_id IS NOT NULL OR m.statement_line_id IS NOT NULL)
                       AS is_payment,
                   COALESCE(m.invoice_date, aml.date) AS date,
                   COALESCE(aml.date_maturity, aml.date) AS date_due,
                   aml.amount_residual_currency AS residual, aml.currency_id
                   %(open_lines)s
               AND aml.amount_residual_currency <> 0
               AND COALESCE(m.payment_state, 'not_paid') NOT IN ('paid', 'in_payment')
          ORDER BY p.commercial_partner_id, COALESCE(aml.date_maturity, aml.date),
                   aml.date, aml.id
                """,
                open_lines=self.env["account.move.line"]._dunning_open_receivables_sql(
                    company.id, customers.ids, with_move=True
                ),
            )
        )
        for row in rows:
            if row["is_payment"]:
                row["kind"] = "payment"
            else:
                row["kind"] = {"out_invoice": "invoice", "out_refund": "credit_note"}.get(
                    row["move_type"], "entry"
                )
        return rows

    def _dunning_statement_payments(self, company, customers, as_of):
        """Payments received from ``customers`` in the last 90 days, newest first: the
        customer payments (with or without journal entry) and the bank statement lines
        matched directly with their receivables, each in its own currency."""
        self.env["account.payment"].flush_model(
            ["amount", "company_id", "currency_id", "date", "memo", "name", "partner_id",
             "partner_type", "payment_type", "state"]
        )  # fmt: skip
        self.env["account.bank.statement.line"].flush_model(["payment_ref"])
        since = as_of - timedelta(days=PAYMENTS_LOOKBACK_DAYS)
        return self.env.execute_query_dict(
            SQL(
                """
            SELECT * FROM (
                SELECT p.commercial_partner_id AS partner_id, pay.date, pay.name,
                       pay.memo AS ref, pay.amount, pay.currency_id
                  FROM account_payment pay
                  JOIN res_partner p ON p.id = pay.partner_id
                 WHERE pay.company_id = %(company)s
                   AND pay.payment_type = 'inbound'
                   AND pay.partner_type = 'customer'
                   AND pay.state IN ('in_process', 'paid')
                   AND p.commercial_partner_id IN %(customers)s
                   AND pay.date > %(since)s AND pay.date <= %(as_of)s
             UNION ALL
                SELECT p.commercial_partner_id, m.date, m.name, st.payment_ref,
                       -SUM(aml.amount_currency), aml.currency_id
                  FROM account_move_line aml
                  JOIN account_move m ON m.id = aml.move_id
                  JOIN account_bank_statement_line st ON st.id = m.statement_line_id
                  JOIN account_account acc ON acc.id = aml.account_id
                  JOIN res_partner p ON p.id = aml.partner_id
                 WHERE aml.company_id = %(company)s
                   AND aml.parent_state = 'posted'
                   AND m.origin_payment_id IS NULL
                   AND acc.account_type = 'asset_receivable'
                   AND p.commercial_partner_id IN %(customers)s
                   AND m.date > %(since)s AND m.date <= %(as_of)s
              GROUP BY p.commercial_partner_id, m.id, st.payment_ref, aml.currency_id
                HAVING SUM(aml.amount_currency) < 0
            ) AS payments
          ORDER BY date DESC, name
                """,
                company=company.id,
                customers=tuple(customers.ids),
                since=since,
                as_of=as_of,
            )
        )

    def _dunning_statement_pay_urls(self, items):
        """The pay link of each customer and currency: the portal page of its oldest
        open invoice in that currency. That page needs no portal account (its access
        token is in the link), shows the invoice and lets the customer pay it online;
        /my/invoices would need a login most B2B customers do not have."""
        oldest = {}
        for row in items:  # oldest due first
            if row["kind"] == "invoice" and row["residual"] > 0:
                oldest.setdefault((row["partner_id"], row["currency_id"]), row["move_id"])
        if not oldest:
            return {}
        moves = self.env["account.move"].browse(sorted(set(oldest.values())))
        moves._dunning_ensure_access_tokens()
        base_url = self.env.company.get_base_url()
        return {
            key: base_url + moves.browse(move_id).get_portal_url()
            for key, move_id in oldest.items()
        }

    # --------------------------------------------------------------- actions

    def action_dunning_print_statement(self):
        """The statement of account of the customers, as a PDF."""
        return self.env.ref("account_dunning.action_report_dunning_statement").report_action(
            self.commercial_partner_id
        )

    def action_dunning_send_statement(self):
        """Odoo's mail composer with the statement template (PDF attached)."""
        self.ensure_one()
        template = self.env.ref("account_dunning.mail_template_dunning_statement")
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Send statement"),
            "res_model": "mail.compose.message",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {
                "default_model": "res.partner",
                "default_res_ids": self.commercial_partner_id.ids,
                "default_template_id": template.id,
                "default_composition_mode": "comment",
                "default_email_layout_xmlid": "mail.mail_notification_light",
                "force_email": True,
            },
        }

    def _dunning_statement_company(self):
        """The company whose statement is sent (mail templates have no env)."""
        return self.env.company

    def _dunning_statement_sender(self):
        """The From of statements: the sender of the customer's policy, else the company."""
        self.ensure_one()
        policy = self.commercial_partner_id._dunning_get_policy()
        return policy._get_sender() if policy else self.env.company.email_formatted

    # ------------------------------------------------------------- scheduled

    @api.model
    def _cron_send_monthly_statements(self):
        """Queue the monthly statement of every opted-in customer with open items, once
        a month per customer and company, in committed batches."""
        month_start = fields.Date.context_today(self).replace(day=1)
        for company in self.env["res.company"].search([]):
            Partner = self.with_company(company)
            customers = Partner._dunning_monthly_statement_customers(month_start)
            self.env["ir.cron"]._commit_progress(remaining=len(customers))
            for start in range(0, len(customers), STATEMENT_BATCH_SIZE):
                batch = customers[start : start + STATEMENT_BATCH_SIZE]
                batch._dunning_send_monthly_statements(month_start)
                time_left = self.env["ir.cron"]._commit_progress(
                    len(batch), remaining=len(customers) - start - len(batch)
                )
                if time_left <= 0:
                    return  # out of time: the cron is called again for the rest

    @api.model
    def _dunning_monthly_statement_customers(self, month_start):
        """Opted-in customers of the current company not yet sent this month's statement,
        that have open items."""
        customers = self.search(
            [
                ("dunning_statement_monthly", "=", True),
                "|",
                ("dunning_statement_last_date", "=", False),
                ("dunning_statement_last_date", "<", month_start),
            ],
            order="id",
        ).filtered(lambda partner: partner == partner.commercial_partner_id)
        if not customers:
            return customers
        self.env["account.move.line"].flush_model()
        rows = self.env.execute_query(
            SQL(
                "SELECT DISTINCT p.commercial_partner_id %s AND aml.amount_residual_currency <> 0",
                self.env["account.move.line"]._dunning_open_receivables_sql(
                    self.env.company.id, customers.ids
                ),
            )
        )
        with_items = {partner_id for (partner_id,) in rows}
        return customers.filtered(lambda partner: partner.id in with_items)

    def _dunning_send_monthly_statements(self, month_start):
        """Queue one email with the statement PDF to each customer's dunning contact."""
        template = self.env.ref("account_dunning.mail_template_dunning_statement")
        contacts = self._dunning_get_contacts()
        comment = self.env["ir.model.data"]._xmlid_to_res_id("mail.mt_comment")
        for customer in self:
            contact = contacts[customer.id]
            if not contact.email:
                _logger.warning(
                    "Monthly statement not sent to %s (id %s, company %s): no email address on %s.",
                    customer.display_name,
                    customer.id,
                    self.env.company.name,
                    contact.display_name or customer.display_name,
                )
                continue
            policy = customer._dunning_get_policy()
            sender = customer._dunning_statement_sender()
            template.send_mail(
                customer.id,
                email_values={
                    "recipient_ids": [Command.set(contact.ids)],
                    "email_from": sender,
                    "reply_to": (policy.reply_to if policy else False) or sender,
                    "email_cc": (policy.email_cc if policy else False) or False,
                    "message_type": "comment",
                    "subtype_id": comment,
                    "author_id": self.env.company.partner_id.id,
                    "record_company_id": self.env.company.id,
                    "auto_delete": False,
                },
            )
            # sudo: a field of the scheduled action only (see res.partner _has_field_access).
            customer.sudo().dunning_statement_last_date = month_start
