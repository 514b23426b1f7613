from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

FLOW_ONLY_FIELDS = frozenset({"dunning_promise_ids", "dunning_dispute_ids", "dunning_thanked"})
# The ladder's bookkeeping (shown read-only, written by the run in SQL): a collector who
# set them could silence the reminders ("last step in 2099") or skip rungs; a
# collections manager may correct them.
LADDER_FIELDS = frozenset({"dunning_level_id", "dunning_last_date"})


class AccountMove(models.Model):
    """Promises, disputes and thank-you on invoices (issue #10)."""

    _inherit = "account.move"

    dunning_thanked = fields.Boolean(
        string="Thanked for Payment",
        copy=False,
        readonly=True,
        help="The customer was thanked for paying this invoice: never twice.",
    )
    dunning_promise_ids = fields.Many2many(
        "dunning.promise",
        "dunning_promise_account_move_rel",
        "move_id",
        "promise_id",
        string="Promises to Pay",
        copy=False,
        readonly=True,
    )
    dunning_dispute_ids = fields.Many2many(
        "dunning.dispute",
        "dunning_dispute_account_move_rel",
        "move_id",
        "dispute_id",
        string="Disputes",
        copy=False,
        readonly=True,
    )

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su and any(FLOW_ONLY_FIELDS & set(vals) for vals in vals_list):
            raise AccessError(self._dunning_flow_only_message())
        return super().create(vals_list)

    def write(self, vals):
        # Shown read-only: an invoice joins or leaves a promise or a dispute through it
        # (with its stage), and the thank-you is remembered by the run (never twice).
        if not self.env.su and FLOW_ONLY_FIELDS & set(vals):
            raise AccessError(self._dunning_flow_only_message())
        if (
            LADDER_FIELDS & set(vals)
            and not self.env.su
            and not self.env.user.has_group("account_dunning.group_dunning_manager")
        ):
            raise AccessError(
                self.env._("Only a collections manager can correct the ladder of an invoice.")
            )
        return super().write(vals)

    def _dunning_flow_only_message(self):
        return self.env._(
            "The promises, disputes and thank-you of an invoice are recorded by their flows."
        )

    def _dunning_mark_thanked(self):
        """Remember the thank-you in one query (no journal resynchronisation)."""
        if not self:
            return
        self.env.execute_query(
            SQL("UPDATE account_move SET dunning_thanked = TRUE WHERE id IN %s", tuple(self.ids))
        )
        self.invalidate_recordset(["dunning_thanked"])

    def _dunning_open_form(self, model, values):
        """A new promise or dispute for these invoices of one customer."""
        partner = self.commercial_partner_id
        if len(partner) != 1:
            raise UserError(self.env._("Select the invoices of one customer."))
        context = {f"default_{key}": value for key, value in values.items()}
        context.update(default_partner_id=partner.id, default_move_ids=self.ids)
        return {
            "type": "ir.actions.act_window",
            "res_model": model,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "current",
            "context": context,
        }

    def action_dunning_promise(self):
        return self._dunning_open_form(
            "dunning.promise", {"amount": sum(self.mapped("amount_residual"))}
        )

    def action_dunning_dispute(self):
        return self._dunning_open_form("dunning.dispute", {})
