from odoo import models


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

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
