from collections import defaultdict

from odoo import fields, models

from ..tools.stages import DISPUTABLE_STAGES, PROMISABLE_STAGES


class ResPartner(models.Model):
    """Promises and disputes of a customer: counts and the collector's buttons."""

    _inherit = "res.partner"

    dunning_promise_kept_count = fields.Integer(
        string="Promises Kept", compute="_compute_dunning_promise_counts"
    )
    dunning_promise_broken_count = fields.Integer(
        string="Promises Broken", compute="_compute_dunning_promise_counts"
    )
    dunning_promise_open_count = fields.Integer(
        string="Open Promises", compute="_compute_dunning_promise_counts"
    )
    dunning_dispute_open_count = fields.Integer(
        string="Open Disputes", compute="_compute_dunning_promise_counts"
    )

    def _compute_dunning_promise_counts(self):
        commercial = self.commercial_partner_id
        promises = defaultdict(int)
        for partner, state, count in self.env["dunning.promise"]._read_group(
            [("partner_id", "in", commercial.ids)], ["partner_id", "state"], ["__count"]
        ):
            promises[partner.id, state] = count
        disputes = dict(
            self.env["dunning.dispute"]._read_group(
                [("partner_id", "in", commercial.ids), ("state", "=", "open")],
                ["partner_id"],
                ["__count"],
            )
        )
        for partner in self:
            key = partner.commercial_partner_id
            partner.dunning_promise_kept_count = promises[key.id, "kept"]
            partner.dunning_promise_broken_count = promises[key.id, "broken"]
            partner.dunning_promise_open_count = promises[key.id, "open"]
            partner.dunning_dispute_open_count = disputes.get(key, 0)

    def _dunning_open_moves(self, stages):
        self.ensure_one()
        return self.env["account.move"].search(
            [*self._dunning_open_invoices_domain(), ("dunning_stage", "in", stages)],
            order="invoice_date_due, id",
        )

    def action_view_dunning_promises(self):
        self.ensure_one()
        promises = self.env["dunning.promise"].search(
            [("partner_id", "=", self.commercial_partner_id.id)]
        )
        action = promises._dunning_open_action()
        if len(promises) != 1:
            action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {"default_partner_id": self.commercial_partner_id.id}
        return action

    def action_view_dunning_disputes(self):
        self.ensure_one()
        disputes = self.env["dunning.dispute"].search(
            [("partner_id", "=", self.commercial_partner_id.id)]
        )
        action = disputes._dunning_open_action()
        if len(disputes) != 1:
            action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {"default_partner_id": self.commercial_partner_id.id}
        return action

    def action_dunning_new_promise(self):
        """A promise for the customer's open invoices that can be promised."""
        self.ensure_one()
        moves = self.commercial_partner_id._dunning_open_moves(PROMISABLE_STAGES)
        moves = moves.filtered(lambda m: m.currency_id == moves[:1].currency_id)
        return moves.action_dunning_promise() if moves else self._dunning_nothing_open()

    def action_dunning_new_dispute(self):
        self.ensure_one()
        moves = self.commercial_partner_id._dunning_open_moves(DISPUTABLE_STAGES)
        return moves.action_dunning_dispute() if moves else self._dunning_nothing_open()

    def _dunning_nothing_open(self):
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Collections"),
                "message": self.env._("No open invoice of this customer can take it."),
                "type": "warning",
            },
        }

    def action_dunning_log_call(self):
        """Log a collections call with the customer (its open call activity, if any)."""
        self.ensure_one()
        customer = self.commercial_partner_id
        call_type = self.env.ref("account_dunning.mail_activity_type_dunning_call")
        activity = self.env["mail.activity"].search(
            [
                ("res_model", "=", "res.partner"),
                ("res_id", "=", customer.id),
                ("activity_type_id", "=", call_type.id),
            ],
            order="date_deadline, id",
            limit=1,
        )
        return self.env["dunning.call.wizard"]._dunning_open(customer, activity)
