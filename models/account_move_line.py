from odoo import api, models
from odoo.tools import SQL


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    @api.model
    def _dunning_open_receivables_sql(self, company_id, customer_ids, with_move=False):
        """FROM and WHERE of the customers' open receivable lines (``aml`` the line,
        ``p`` its partner, ``acc`` its account, ``m`` its entry when ``with_move``):
        posted, not reconciled, on a receivable account, of the company; what the run
        nets, credits and the statements read. Add conditions with AND."""
        return SQL(
            """
              FROM account_move_line aml
              %(move_join)s
              JOIN account_account acc ON acc.id = aml.account_id
              JOIN res_partner p ON p.id = aml.partner_id
             WHERE aml.company_id = %(company)s
               AND aml.parent_state = 'posted'
               AND acc.account_type = 'asset_receivable'
               AND aml.reconciled IS NOT TRUE
               AND p.commercial_partner_id IN %(customers)s
            """,
            move_join=SQL("JOIN account_move m ON m.id = aml.move_id") if with_move else SQL(),
            company=company_id,
            customers=tuple(customer_ids),
        )

    def _dunning_credit_rows(self):
        """The rows of the credits table of dunning messages and letters: open credit
        notes and unapplied payments (receivable lines with a negative residual), oldest
        first, with what remains to the customer's credit, positive, in the line's
        currency (``amount``) and in company currency (``amount_company``)."""
        rows = []
        for line in self.sorted(lambda line: (line.date, line.id)):
            move = line.move_id
            rows.append(
                {
                    "line": line,
                    "name": move.name,
                    "ref": move.ref or (line.name if line.name != move.name else "") or "",
                    "date": line.date,
                    "kind": "credit_note" if move.move_type == "out_refund" else "payment",
                    "amount": -line.amount_residual_currency,
                    "amount_company": -line.amount_residual,
                    "currency": line.currency_id,
                }
            )
        return rows
