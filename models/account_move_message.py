"""What a collections message, letter or agreement shows of its invoices: the pay-now
links, the rows with the part due, the totals asked for per currency."""

from odoo import models
from odoo.tools import SQL, format_amount


class AccountMove(models.Model):
    _inherit = "account.move"

    def _dunning_ensure_access_tokens(self):
        """Give every invoice its portal token in one query (pay-now links)."""
        missing = self.filtered(lambda move: not move.access_token)
        if missing:
            self.env.cr.execute(
                SQL(
                    "UPDATE account_move SET access_token = gen_random_uuid()::text "
                    "WHERE id IN %s AND access_token IS NULL",
                    tuple(missing.ids),
                ),
                log_exceptions=False,  # a concurrent update is expected and handled
            )
            missing.invalidate_recordset(["access_token"])

    def _dunning_invoice_rows(self, on_date):
        """The rows of the invoice table of dunning messages, letters and agreements:
        oldest due first, with the residual in the invoice's currency and the pay-now
        link of its portal page.

        With a payment term of several due dates, only the part that is due is overdue:
        ``date_due`` and ``days_overdue`` are those of the first open installment,
        ``amount_due`` the installments due by ``on_date`` (or the first one when none
        is due yet: a reminder before the due date), as the run asks for them, and
        ``upcoming`` the later ones ({date, amount}); ``residual`` is the whole open
        amount of the invoice.
        """
        rows = []
        for move in self:
            lines = move._dunning_open_installments()
            due = min(lines.mapped("date_maturity"), default=None) or move.invoice_date_due
            cutoff = max(on_date, due) if due else on_date
            due_lines = lines.filtered(lambda line, c=cutoff: line.date_maturity <= c)
            rows.append(
                {
                    "move": move,
                    "name": move.name,
                    "invoice_date": move.invoice_date,
                    "date_due": due,
                    "days_overdue": (on_date - due).days if due else 0,
                    "residual": move.amount_residual,
                    "amount_due": sum(due_lines.mapped("amount_residual_currency")),
                    "amount_due_company": sum(due_lines.mapped("amount_residual")),
                    "upcoming": [
                        {"date": line.date_maturity, "amount": line.amount_residual_currency}
                        for line in lines - due_lines
                    ],
                    "currency": move.currency_id,
                    "url": move.get_base_url() + move.get_portal_url(),
                }
            )
        return sorted(rows, key=lambda row: (row["date_due"] or row["move"].date, row["move"].id))

    def _dunning_open_installments(self):
        """Open receivable lines of the invoice with something to pay, by due date (as
        the run selects them)."""
        self.ensure_one()
        lines = self.line_ids.filtered(
            lambda line: (
                line.account_id.account_type == "asset_receivable"
                and not line.reconciled
                and line.amount_residual > 0
                and line.date_maturity
            )
        )
        return lines.sorted(lambda line: (line.date_maturity, line.id))

    def _dunning_net_totals_text(self, credit_lines, on_date):
        """The net amount asked for per currency, as one line for a list or a form
        (a currency whose credits exceed its invoices shows its credit)."""
        return "; ".join(
            format_amount(self.env, total["amount"], total["currency"])
            if total["amount"] > 0
            else self.env._(
                "%(currency)s: credit of %(amount)s",
                currency=total["currency"].name,
                amount=format_amount(self.env, total["credit_balance"], total["currency"]),
            )
            for total in self._dunning_net_totals(credit_lines, on_date)
            if total["amount"] > 0 or total["credit_balance"] > 0
        )

    def _dunning_net_totals(self, credit_lines, on_date, rows=None):
        """What a message on these invoices and credits asks for, per currency (sorted
        by name): ``invoices`` (the part due, see _dunning_invoice_rows), ``credits``
        (positive), ``net``, ``amount`` (the net when positive, else 0: a currency whose
        credits exceed its invoices is not asked for), ``credit_balance`` (the rest of
        the credit) and ``net_company`` (the net in company currency). ``rows``: the
        invoice rows of these invoices on ``on_date``, when the caller has them."""
        totals = {}

        def total(currency):
            return totals.setdefault(
                currency,
                {"currency": currency, "invoices": 0.0, "credits": 0.0, "net_company": 0.0},
            )

        for row in self._dunning_invoice_rows(on_date) if rows is None else rows:
            total(row["currency"])["invoices"] += row["amount_due"]
            total(row["currency"])["net_company"] += row["amount_due_company"]
        for row in credit_lines._dunning_credit_rows():
            total(row["currency"])["credits"] += row["amount"]
            total(row["currency"])["net_company"] -= row["amount_company"]
        result = []
        for currency, values in sorted(totals.items(), key=lambda item: item[0].name):
            net = currency.round(values["invoices"] - values["credits"])
            values.update(
                net=net,
                amount=max(net, 0.0),
                credit_balance=max(-net, 0.0),
            )
            result.append(values)
        return result
