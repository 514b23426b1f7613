import logging
from collections import defaultdict
from datetime import timedelta

from odoo import fields, models
from odoo.exceptions import UserError

from ..tools.late_charges import SPECS, LateChargeError, late_charges
from .dunning_reference_rate import RATE_SERIES

_logger = logging.getLogger(__name__)


class AccountMove(models.Model):
    """Statutory late charges of customer invoices (issue #11)."""

    _inherit = "account.move"

    dunning_late_charge_ids = fields.One2many(
        "dunning.late.charge", "move_id", string="Late Charges", copy=False, readonly=True
    )

    def _dunning_residual_history(self):
        """[(date, residual after that day)] of the invoice, in its currency.

        The residual starts at the receivable total and falls by every amount matched
        with it (payments, credit notes, write-offs), on the date of the match: the
        later of the two entries' dates (``max_date``), i.e. the payment's date for a
        payment registered late, the invoice's date for an advance.
        """
        self.ensure_one()
        lines = self.line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
        )
        total = sum(lines.mapped("amount_currency"))
        paid = defaultdict(float)
        for partial in lines.matched_credit_ids:
            paid[partial.max_date] += partial.debit_amount_currency
        dates = [d for d in (self.invoice_date, self.date, self.invoice_date_due) if d]
        start = min([*dates, *paid]) - timedelta(days=1)
        history = [(start, total)]
        residual = total
        for day in sorted(paid):
            residual = self.currency_id.round(max(residual - paid[day], 0.0))
            history.append((day, residual))
        return history

    def _dunning_is_business(self):
        self.ensure_one()
        return not self.commercial_partner_id.dunning_is_consumer

    def _dunning_late_charges(self, date, date_from=None, compensation=True, memo=None):
        """{"interest", "compensation"} of this invoice at ``date``, in its currency.

        Interest runs from the day after the due date (or from ``date_from``) to
        ``date`` inclusive under the customer's policy. Compensation is fixed in EUR or
        GBP by law: the UK thresholds compare the invoice's total converted at the
        invoice date, and the amount is converted to the invoice's currency at the
        company's rate of ``date``. ``compensation=False`` when it was already charged.
        ``memo``: a dict shared by the calls for a batch of invoices, so that the rate
        series and currencies are read once for all (see _dunning_late_charges_batch).
        """
        self.ensure_one()
        memo = {} if memo is None else memo
        zero = {"interest": 0.0, "compensation": 0.0}
        if self.move_type != "out_invoice" or self.state != "posted" or not self.invoice_date_due:
            return zero
        policy = self._dunning_get_policy()
        rule = policy.late_charge_rule or "none"
        if rule == "none":
            return zero
        spec = SPECS[rule]
        if spec.series and ("series", spec.series) not in memo:
            memo["series", spec.series] = self.env["dunning.reference.rate"]._get_series(
                spec.series
            )
        rates = memo.get(("series", spec.series), [])
        fixed_currency = None
        amount = self.amount_total
        if spec.compensation_currency:
            if ("currency", spec.compensation_currency) not in memo:
                memo["currency", spec.compensation_currency] = (
                    self.env["res.currency"]
                    .with_context(active_test=False)
                    .search([("name", "=", spec.compensation_currency)], limit=1)
                )
            fixed_currency = memo["currency", spec.compensation_currency]
            if not fixed_currency:
                raise UserError(
                    self.env._(
                        "The currency %(currency)s of the late-payment compensation is missing.",
                        currency=spec.compensation_currency,
                    )
                )
            amount = self.currency_id._convert(
                self.amount_total, fixed_currency, self.company_id, self.invoice_date or date
            )
        try:
            result = late_charges(
                rule,
                self._dunning_residual_history(),
                self.invoice_date_due,
                date,
                rates=rates,
                fixed_rate=policy.late_charge_rate,
                is_business=self._dunning_is_business(),
                amount=amount,
                rounding=self.currency_id.rounding,
                date_from=date_from,
            )
        except LateChargeError as error:
            raise UserError(self._dunning_late_charge_error(error)) from error
        fixed = 0.0
        if compensation and result.compensation:
            fixed = fixed_currency._convert(
                result.compensation, self.currency_id, self.company_id, date
            )
        return {"interest": result.interest, "compensation": fixed}

    def _dunning_late_charges_batch(self, date):
        """{invoice id: {"interest", "compensation"}} not yet charged at ``date``, for
        these invoices at once: what the "Charge late fees" wizard would charge today
        (interest after the last charged day, compensation if not charged yet).
        Invoices whose charges cannot be computed (a missing reference rate) are left
        out and logged: a reminder does not fail for its information block."""
        charged = self.env["dunning.late.charge"]._charged_until(self)
        memo = {}
        result = {}
        for move in self:
            last, compensated = charged[move]
            try:
                # After the last charged day (none left when charged up to ``date``).
                result[move.id] = move._dunning_late_charges(
                    date,
                    date_from=last and last + timedelta(days=1),
                    compensation=not compensated,
                    memo=memo,
                )
            except UserError as error:
                _logger.warning("Late charges of %s not shown: %s", move.display_name, error)
        return result

    def _dunning_late_charge_error(self, error):
        if error.code == "missing_rate":
            params = error.params
            return self.env._(
                "No %(series)s is recorded for the half-year %(start)s to %(end)s (the "
                "rate in force on %(day)s is needed for the late charges of %(invoice)s). "
                "Add it in Invoicing > Configuration > Collections > Reference Rates.",
                series=dict(RATE_SERIES)[params["series"]],
                start=params["period_start"],
                end=params["period_end"],
                day=params["reference_date"],
                invoice=self.display_name,
            )
        return self.env._("Late charges cannot be computed: %(error)s", error=error)

    def action_dunning_late_charges(self):
        """ "Charge late fees" for these invoices."""
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account_dunning.action_dunning_late_charge_wizard"
        )
        action["context"] = {"default_move_ids": self.ids}
        return action
