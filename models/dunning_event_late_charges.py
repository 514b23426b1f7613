from odoo import fields, models


class DunningEvent(models.Model):
    """The accrued late charges shown in a level's email (issue #11)."""

    _inherit = "dunning.event"

    late_charge_data = fields.Json(
        compute="_compute_late_charge_data",
        help="Late charges accrued on the event's invoices up to its date and not yet "
        "invoiced, when its level shows them: {invoice id: [interest, compensation]}.",
    )

    def _compute_late_charge_data(self):
        """Computed for every event being rendered at once: the templates render a whole
        batch of events, and the ORM computes a non-stored field for all the records
        prefetched with the one asked for, so the charges of a batch cost one pass
        (one read of the rates, of what was charged already) and not one per invoice."""
        showing = self.filtered(
            lambda event: (
                event.level_id.show_late_charges
                and event.level_id.policy_id.late_charge_rule != "none"
                and event.move_ids
            )
        )
        (self - showing).late_charge_data = False
        for day, events in showing.grouped("date").items():
            charges = events.move_ids._dunning_late_charges_batch(day)
            for event in events:
                event.late_charge_data = {
                    str(move_id): [charges[move_id]["interest"], charges[move_id]["compensation"]]
                    for move_id in event.move_ids.ids
                    if move_id in charges
                }

    def _get_late_charges(self):
        """The accrued charges block of the email: ``rows`` per invoice with a charge
        ({name, currency, interest, compensation, total}, oldest due first) and
        ``totals`` per currency ({currency, interest, compensation, total}); empty
        when the level does not show them or nothing has accrued."""
        self.ensure_one()
        data = self.late_charge_data or {}
        rows, totals = [], {}
        moves = self.move_ids.sorted(lambda move: (move.invoice_date_due or move.date, move.id))
        for move in moves:
            interest, compensation = data.get(str(move.id), (0.0, 0.0))
            currency = move.currency_id
            if currency.is_zero(interest) and currency.is_zero(compensation):
                continue
            row = {
                "name": move.name,
                "currency": currency,
                "interest": interest,
                "compensation": compensation,
                "total": currency.round(interest + compensation),
            }
            rows.append(row)
            total = totals.setdefault(
                currency, {"currency": currency, "interest": 0.0, "compensation": 0.0}
            )
            total["interest"] = currency.round(total["interest"] + interest)
            total["compensation"] = currency.round(total["compensation"] + compensation)
        for total in totals.values():
            total["total"] = total["currency"].round(total["interest"] + total["compensation"])
        if not rows:
            return {}
        return {
            "rows": rows,
            "totals": sorted(totals.values(), key=lambda total: total["currency"].name),
        }
