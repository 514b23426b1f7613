from odoo import fields, models
from odoo.fields import Command


class DunningCaseRecovery(models.Model):
    """A payment received on an invoice while it was at an agency or a lawyer.

    Created when the payment is reconciled with the invoice and deleted with that
    reconciliation: the recovered amount and the commission always match the books.
    """

    _name = "dunning.case.recovery"
    _inherit = ["dunning.authority.mixin"]
    _description = "Collection Case Recovery"
    _order = "date desc, id desc"
    _check_company_auto = True

    case_id = fields.Many2one("dunning.case", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one(related="case_id.company_id", store=True, index=True)
    move_id = fields.Many2one(
        "account.move", string="Invoice", required=True, index=True, ondelete="cascade"
    )
    partial_id = fields.Many2one(
        "account.partial.reconcile", required=True, index=True, ondelete="cascade"
    )
    payment_move_id = fields.Many2one(
        "account.move", string="Payment", required=True, ondelete="cascade"
    )
    date = fields.Date(required=True)
    currency_id = fields.Many2one("res.currency", string="Invoice Currency", required=True)
    amount_currency = fields.Monetary(
        string="Recovered (Invoice Currency)", currency_field="currency_id"
    )
    company_currency_id = fields.Many2one(related="company_id.currency_id")
    amount = fields.Monetary(
        string="Recovered",
        currency_field="company_currency_id",
        help="The payment's value in company currency, at the payment's rate.",
    )
    commission_amount = fields.Monetary(string="Commission", currency_field="company_currency_id")
    bill_line_id = fields.Many2one(
        "account.move.line", string="Commission Bill Line", ondelete="set null", readonly=True
    )

    def _propose_commission_bills(self):
        """Add the commission of each recovery to its case's draft vendor bill for the
        agency (created if the case has none in draft): the accountant checks the taxes
        and posts it."""
        # Recoveries are recorded in the middle of a reconciliation, which runs with the
        # invoice synchronisation disabled (context key and account's recursion stack):
        # re-enable it for the bill, else it would get no payable line.
        context = {
            key: value
            for key, value in self.env.context.items()
            if key not in ("skip_invoice_sync", "active_model", "active_id", "active_ids")
            and not key.startswith("default_")
        }
        Move = self.env["account.move"].with_env(self.env(context=context))
        with Move._disable_recursion({}, "skip_invoice_sync", target=False):
            self._add_to_commission_bills(Move)

    def _add_to_commission_bills(self, Move):
        for case, recoveries in self.filtered("commission_amount").grouped("case_id").items():
            bill = case.commission_bill_ids.filtered(lambda m: m.state == "draft")[:1]
            line_values = [
                Command.create(
                    {
                        "name": self.env._(
                            "Collection commission %(rate)s%% on %(amount)s recovered on "
                            "%(invoice)s (%(payment)s)",
                            rate=case.commission_rate,
                            amount=recovery.company_currency_id.format(recovery.amount),
                            invoice=recovery.move_id.name,
                            payment=recovery.payment_move_id.name,
                        ),
                        "quantity": 1,
                        "price_unit": recovery.commission_amount,
                        "tax_ids": [],
                    }
                )
                for recovery in recoveries
            ]
            if bill:
                bill.with_env(Move.env).invoice_line_ids = line_values
            else:
                bill = Move.with_company(case.company_id).create(
                    {
                        "move_type": "in_invoice",
                        "company_id": case.company_id.id,
                        "partner_id": case.agency_id.id,
                        "currency_id": case.currency_id.id,
                        "invoice_origin": case.name,
                        "dunning_commission_case_id": case.id,
                        "invoice_line_ids": line_values,
                    }
                )
            new_lines = bill.invoice_line_ids.sorted("id")[-len(recoveries) :]
            for recovery, line in zip(recoveries, new_lines, strict=True):
                recovery.bill_line_id = line

    def _withdraw(self):
        """The payment was unreconciled: take its commission off the draft bill, or say
        on the case that a posted bill needs a credit note; then delete the recoveries."""
        for recovery in self:
            line = recovery.bill_line_id
            if line and line.move_id.state == "draft":
                bill = line.move_id
                if len(bill.invoice_line_ids) == 1:
                    bill.unlink()
                else:
                    bill.invoice_line_ids = [Command.delete(line.id)]
            elif line:
                self.env["dunning.engine"]._post_note(
                    recovery.case_id,
                    self.env._(
                        "The payment %(payment)s on %(invoice)s was unreconciled, but its "
                        "commission is on the posted bill %(bill)s: ask the agency for a "
                        "credit note.",
                        payment=recovery.payment_move_id.name,
                        invoice=recovery.move_id.name,
                        bill=line.move_id.name,
                    ),
                )
        self.unlink()
