from collections import defaultdict

from odoo import api, models

from ..tools.stages import CLOSED_STAGES, EXTERNAL_STAGES
from .dunning_case import SETTLED

# The pre-commit hook that refreshes the priority of the customers a payment reached.
PRIORITY_HOOK = "account_dunning.priorities"


class AccountPartialReconcile(models.Model):
    """Recovery of invoices at an agency or a lawyer, and the worklist's priority.

    A partial reconciliation is the one place where every payment meets an invoice
    (payment registration, bank reconciliation, online payment, manual matching), with
    the exact amount matched: recoveries are recorded when one is created and withdrawn
    when it is deleted (unreconciliation, payment reset to draft); the priority of the
    customers concerned follows at once, not at the next run.
    """

    _inherit = "account.partial.reconcile"

    @api.model_create_multi
    def create(self, vals_list):
        partials = super().create(vals_list)
        partials._dunning_record_recoveries()
        self._dunning_refresh_priorities(partials.debit_move_id | partials.credit_move_id)
        return partials

    def unlink(self):
        # sudo: the books change whoever unreconciles; the case must follow them.
        recoveries = (
            self.env["dunning.case.recovery"].sudo().search([("partial_id", "in", self.ids)])
        )
        invoices = (self.debit_move_id | self.credit_move_id).move_id.filtered(
            lambda m: m.dunning_stage in CLOSED_STAGES
        )
        recoveries._withdraw()
        lines = self.debit_move_id | self.credit_move_id
        res = super().unlink()
        self._dunning_refresh_priorities(lines.exists())
        # sudo: same reason, the stage and the case follow the books.
        self.env["account.move"].sudo()._dunning_reopen_after_unreconcile(invoices.exists().sudo())
        return res

    @api.model
    def _dunning_refresh_priorities(self, lines):
        """Recompute the collections priority of the customers whose receivables
        ``lines`` were matched or unmatched, once the books are settled: when the
        transaction commits (its pre-commit hooks; a payment reset to draft is unmatched
        first, then unposted), for all the customers it reached at once: one read of
        their ledgers and one UPDATE per company (res.partner._dunning_update_priorities),
        whatever the number of invoices and payments."""
        receivable = lines.filtered(
            lambda line: line.account_id.account_type == "asset_receivable" and line.partner_id
        )
        if not receivable:
            return
        precommit = self.env.cr.precommit
        pending = precommit.data.get(PRIORITY_HOOK)
        if pending is None:
            pending = precommit.data[PRIORITY_HOOK] = defaultdict(set)
            env = self.env

            @precommit.add
            def refresh():
                for company_id, customer_ids in precommit.data.pop(PRIORITY_HOOK, {}).items():
                    # sudo: whoever matches a payment (an accountant, a bank
                    # reconciliation, an online payment) moves the customer in the
                    # collectors' worklist; only these customers' priority is written.
                    env["res.partner"].sudo().with_company(company_id)._dunning_update_priorities(
                        sorted(customer_ids)
                    )

        for company, company_lines in receivable.grouped("company_id").items():
            pending[company.id].update(company_lines.partner_id.commercial_partner_id.ids)

    def _dunning_record_recoveries(self):
        """Record the payments matched with invoices at an agency or a lawyer: recovered
        amount, commission, and the invoice's stage once it is paid."""
        # sudo: a payment can be matched by anyone allowed to reconcile (an accountant,
        # a bank reconciliation, an online payment); the case bookkeeping follows from it
        # and touches only the cases of the invoices matched.
        Recovery = self.env["dunning.case.recovery"].sudo()
        values = []
        for partial in self.sudo():
            invoice_line, payment_line = partial.debit_move_id, partial.credit_move_id
            invoice, payment = invoice_line.move_id, payment_line.move_id
            if (
                invoice.move_type != "out_invoice"
                or invoice.dunning_stage not in EXTERNAL_STAGES
                or invoice_line.account_id.account_type != "asset_receivable"
                or not (payment.origin_payment_id or payment.statement_line_id)
            ):
                continue
            case = invoice._dunning_current_case()
            if not case:
                continue
            amount, amount_currency = partial._dunning_recovered_amount()
            commission = 0.0
            if case.handoff_type == "agency":
                commission = case.currency_id.round(amount * case.commission_rate / 100.0)
            values.append(
                {
                    "case_id": case.id,
                    "move_id": invoice.id,
                    "partial_id": partial.id,
                    "payment_move_id": payment.id,
                    "date": payment.date,
                    "currency_id": invoice.currency_id.id,
                    "amount_currency": amount_currency,
                    "amount": amount,
                    "commission_amount": commission,
                }
            )
        if not values:
            return
        recoveries = Recovery.create(values)
        recoveries._propose_commission_bills()
        for invoice in recoveries.move_id:
            if invoice.payment_state in SETTLED:
                invoice._dunning_set_stage("recovered")
        for case in recoveries.case_id:
            case._update_state()
            recovered = recoveries.filtered(lambda r, c=case: r.case_id == c)
            case._log_event(
                recovered.move_id,
                self.env._(
                    "%(amount)s recovered on %(invoices)s while at %(agency)s (case %(case)s).",
                    amount=case.currency_id.format(sum(recovered.mapped("amount"))),
                    invoices=", ".join(recovered.move_id.mapped("name")),
                    agency=case.agency_id.display_name,
                    case=case.name,
                ),
            )

    def _dunning_recovered_amount(self):
        """What the payment brought, in company currency at the payment's own rate (the
        partial's own amount mixes in the invoice's rate), and in the invoice currency;
        only the cash share of what it settles."""
        self.ensure_one()
        payment_line = self.credit_move_id
        company_currency = payment_line.company_currency_id
        if payment_line.currency_id == company_currency:
            amount = self.credit_amount_currency
        elif payment_line.amount_currency:
            amount = self.credit_amount_currency * abs(
                payment_line.balance / payment_line.amount_currency
            )
        else:
            amount = self.amount
        share = self._dunning_cash_share(payment_line.move_id)
        invoice_currency = self.debit_move_id.currency_id
        return (
            company_currency.round(amount * share),
            invoice_currency.round(self.debit_amount_currency * share),
        )

    @api.model
    def _dunning_cash_share(self, payment_move):
        """Share of what a payment settles that is money received: one registered with a
        write-off (\"mark as fully paid\") or an early-payment discount settles more than
        it brings, and the agency's commission is on money only."""
        source = payment_move.origin_payment_id or payment_move.statement_line_id
        liquidity = source._seek_for_lines()[0]
        settled = payment_move.line_ids.filtered(
            lambda line: line.account_id.account_type in ("asset_receivable", "liability_payable")
        )
        settled_balance = sum(settled.mapped("balance"))
        if not settled_balance or not liquidity:
            return 1.0
        return max(0.0, min(1.0, abs(sum(liquidity.mapped("balance")) / settled_balance)))
