from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import format_date


class ResPartner(models.Model):
    """Manual control of a customer's reminders: automatic or by hand only, and a
    date before which the ladder does not act (issue #10)."""

    _inherit = "res.partner"

    dunning_reminder_mode = fields.Selection(
        [("automatic", "Automatic"), ("manual", "Manual")],
        string="Reminders",
        company_dependent=True,
        help="Automatic: the daily run sends the reminders. Manual: the daily run plans "
        "them (the preview shows them) but sends nothing; 'Send reminder now' sends.",
    )
    dunning_postpone_until = fields.Date(
        string="Postpone Until",
        company_dependent=True,
        help="The ladder does not act for this customer before this date.",
    )
    dunning_postpone_reason = fields.Char(string="Postpone Reason", company_dependent=True)

    @api.constrains("dunning_postpone_until", "dunning_postpone_reason")
    def _check_dunning_postpone_reason(self):
        for partner in self:
            if partner.dunning_postpone_until and not partner.dunning_postpone_reason:
                raise ValidationError(
                    self.env._("Give a reason for postponing the reminders of %(customer)s.",
                               customer=partner.display_name)
                )  # fmt: skip

    def write(self, vals):
        watched = {"dunning_reminder_mode", "dunning_postpone_until", "dunning_postpone_reason"}
        if (
            vals
            and set(vals) <= watched
            and not self.env.su
            and self.env.user.has_group("account_dunning.group_dunning_user")
        ):
            # A collector controls a customer's reminders without the right to edit
            # contacts: these fields only, on customers the user can read.
            self.check_access("read")
            return self.sudo().write(vals)
        before = {}
        if watched & set(vals):
            before = {
                partner.id: tuple(partner[name] for name in sorted(watched)) for partner in self
            }
        res = super().write(vals)
        if before:
            changed = self.filtered(
                lambda p: tuple(p[name] for name in sorted(watched)) != before[p.id]
            )
            changed._dunning_log_manual_control()
        return res

    def _dunning_log_manual_control(self):
        """One history line per change of a customer's reminder mode or postponement."""
        vals_list = []
        for partner in self:
            if partner.parent_id and not partner.is_company:
                continue  # the company-level settings of its customer apply
            if partner.dunning_postpone_until:
                reason = self.env._(
                    "Reminders postponed until %(date)s: %(reason)s",
                    date=format_date(self.env, partner.dunning_postpone_until),
                    reason=partner.dunning_postpone_reason,
                )
            else:
                reason = self.env._("Reminders no longer postponed.")
            if partner.dunning_reminder_mode == "manual":
                reason += "\n" + self.env._("Reminders: manual (sent by hand only).")
            vals_list.append(
                {
                    "company_id": self.env.company.id,
                    "partner_id": partner.commercial_partner_id.id,
                    "channel": "note",
                    "reason": reason,
                }
            )
        self.env["dunning.engine"]._log(vals_list)

    def _dunning_is_manual(self):
        self.ensure_one()
        return self.commercial_partner_id.dunning_reminder_mode == "manual"
