from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.fields import Command

from ..tools.stages import STAGES


class DunningStageWizard(models.TransientModel):
    """A collections manager's correction of invoices' stage, logged with its reason.

    The stage normally follows its flow; this is for the case the flow cannot express
    (an agency settled outside Odoo, a stage left behind by an import).
    """

    _name = "dunning.stage.wizard"
    _description = "Correct Collections Stage"

    move_ids = fields.Many2many("account.move", string="Invoices", required=True)
    stage = fields.Selection(list(STAGES), string="New Stage", required=True)
    reason = fields.Text(required=True)

    def action_confirm(self):
        self.ensure_one()
        if not self.env.user.has_group("account_dunning.group_dunning_manager"):
            raise AccessError(self.env._("Only a collections manager can correct a stage."))
        moves = self.move_ids.filtered(lambda move: move.move_type == "out_invoice")
        if not moves:
            raise UserError(self.env._("Select customer invoices."))
        stages = dict(self._fields["stage"]._description_selection(self.env))
        engine = self.env["dunning.engine"]
        for (partner, company), partner_moves in moves.grouped(
            lambda move: (move.commercial_partner_id, move.company_id)
        ).items():
            before = ", ".join(
                f"{move.name}: {stages[move.dunning_stage]}" for move in partner_moves
            )
            partner_moves._dunning_set_stage(self.stage)
            engine._log(
                {
                    "partner_id": partner.id,
                    "company_id": company.id,
                    "move_ids": [Command.set(partner_moves.ids)],
                    "channel": "note",
                    "amount_residual": partner_moves._dunning_owed(),
                    "reason": self.env._(
                        "Collections stage corrected to %(stage)s (was %(before)s). "
                        "Reason: %(reason)s",
                        stage=stages[self.stage],
                        before=before,
                        reason=self.reason,
                    ),
                }
            )
        return {"type": "ir.actions.act_window_close"}

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        context = self.env.context
        if (
            "move_ids" in fields_list
            and not values.get("move_ids")
            and context.get("active_model") == "account.move"
            and context.get("active_ids")
        ):
            values["move_ids"] = [Command.set(context["active_ids"])]
        return values
