from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Command
from odoo.tools import SQL
from odoo.tools.misc import format_date


class DunningLateChargeWizard(models.TransientModel):
    """Charge late fees: one draft customer invoice with, per overdue invoice, the
    interest since the last charge and the fixed compensation if not charged yet."""

    _name = "dunning.late.charge.wizard"
    _description = "Charge Late Fees"

    partner_id = fields.Many2one("res.partner", string="Customer")
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    date = fields.Date(
        string="Charge Up To",
        required=True,
        default=fields.Date.context_today,
        help="Interest is charged up to this day inclusive.",
    )
    move_ids = fields.Many2many(
        "account.move",
        string="Invoices",
        compute="_compute_move_ids",
        store=True,
        readonly=False,
        domain="[('move_type', '=', 'out_invoice'), ('state', '=', 'posted'), "
        "('company_id', '=', company_id)]",
    )
    line_ids = fields.One2many(
        "dunning.late.charge.wizard.line", "wizard_id", compute="_compute_line_ids", store=True
    )
    has_charges = fields.Boolean(compute="_compute_totals")
    error = fields.Text(compute="_compute_totals")

    @api.depends("partner_id", "company_id", "date")
    def _compute_move_ids(self):
        for wizard in self:
            if not wizard.partner_id:
                wizard.move_ids = wizard.move_ids
                continue
            wizard.move_ids = self.env["account.move"].search(
                [
                    ("commercial_partner_id", "=", wizard.partner_id.commercial_partner_id.id),
                    ("company_id", "=", wizard.company_id.id),
                    ("move_type", "=", "out_invoice"),
                    ("state", "=", "posted"),
                    ("payment_state", "in", ("not_paid", "partial")),
                    ("invoice_date_due", "<", wizard.date),
                    ("dunning_stage", "=", "normal"),
                ]
            )

    @api.depends("move_ids", "date")
    def _compute_line_ids(self):
        for wizard in self:
            # Held invoices (promise, dispute, plan, agency...) are not charged meanwhile.
            moves = wizard.move_ids._origin.filtered(
                lambda m: (
                    m.move_type == "out_invoice"
                    and m.state == "posted"
                    and m.dunning_stage == "normal"
                )
            )
            charged = self.env["dunning.late.charge"]._charged_until(moves)
            commands = [Command.clear()]
            for move in moves.sorted(lambda m: (m.invoice_date_due or m.date, m.id)):
                last, compensated = charged[move]
                date_from = last + timedelta(days=1) if last else None
                values = {"move_id": move.id, "date_to": wizard.date}
                values["date_from"] = date_from or move.invoice_date_due + timedelta(days=1)
                if values["date_from"] > wizard.date:
                    # Already charged up to this date or later, or not late yet.
                    values["date_from"] = wizard.date
                    commands.append(Command.create(values))
                    continue
                try:
                    amounts = move._dunning_late_charges(
                        wizard.date, date_from=date_from, compensation=not compensated
                    )
                except UserError as error:
                    values["error"] = error.args[0]
                else:
                    values.update(amounts)
                commands.append(Command.create(values))
            wizard.line_ids = commands

    @api.depends("line_ids")
    def _compute_totals(self):
        for wizard in self:
            wizard.has_charges = any(line._has_charge() for line in wizard.line_ids)
            wizard.error = "\n".join(wizard.line_ids.filtered("error").mapped("error"))

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        context = self.env.context
        if context.get("active_model") == "account.move" and context.get("active_ids"):
            values.setdefault("move_ids", [Command.set(context["active_ids"])])
        if context.get("active_model") == "res.partner" and context.get("active_id"):
            values.setdefault("partner_id", context["active_id"])
        return values

    def action_confirm(self):
        """Create the draft charge invoice(s) and remember what they charge."""
        self.ensure_one()
        if self.date > fields.Date.context_today(self):
            raise UserError(self.env._("Late charges accrue up to today at most."))
        if self.move_ids:
            # Touch the invoices first: a second charge confirmed at the same time waits
            # here, then fails to serialise and is retried, and sees this one's charges.
            self.env.execute_query(
                SQL(
                    "UPDATE account_move SET write_date = write_date WHERE id IN %s",
                    tuple(self.move_ids._origin.ids),
                )
            )
        # The lines are computed, never taken from the client: JSON-RPC can create the
        # wizard with any line_ids (amounts, periods).
        self._compute_line_ids()
        if self.error:
            raise UserError(self.error)
        lines = self.line_ids.filtered(lambda line: line._has_charge())
        if not lines:
            raise UserError(
                self.env._(
                    "Nothing to charge up to %(date)s: the invoices are not late, were "
                    "already charged up to this date, or their customer's policy charges "
                    "no late fees.",
                    date=self.date,
                )
            )
        groups = {}
        for line in lines:
            move = line.move_id
            key = (move.commercial_partner_id, move.currency_id, move.company_id)
            groups.setdefault(key, self.env["dunning.late.charge.wizard.line"])
            groups[key] |= line
        charge_moves = self.env["account.move"]
        for (partner, currency, company), group in groups.items():
            charge_moves |= self._create_charge_move(partner, currency, company, group)
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account.action_move_out_invoice_type"
        )
        if len(charge_moves) == 1:
            action.update(views=[(False, "form")], res_id=charge_moves.id)
        else:
            action["domain"] = [("id", "in", charge_moves.ids)]
        return action

    def _create_charge_move(self, partner, currency, company, lines):
        policy = partner.with_company(company)._dunning_get_policy()
        # The charge invoice is the customer's: its lines in the customer's language.
        lang = self.env["dunning.engine"]._customer_lang(partner, company)
        _ = self.with_context(lang=lang).env._
        product = policy.late_charge_product_id
        account = company.dunning_late_charge_account_id
        invoice_lines = []
        for line in lines:
            move = line.move_id
            common = {"quantity": 1, "tax_ids": [Command.clear()]}
            if product:
                common["product_id"] = product.id
            if account:
                common["account_id"] = account.id
            if not currency.is_zero(line.interest):
                name = _(
                    "Late payment interest on %(invoice)s from %(start)s to %(end)s",
                    invoice=move.name,
                    start=format_date(self.env, line.date_from, lang_code=lang),
                    end=format_date(self.env, line.date_to, lang_code=lang),
                )
                invoice_lines.append(
                    Command.create({**common, "name": name, "price_unit": line.interest})
                )
            if not currency.is_zero(line.compensation):
                name = _("Fixed compensation for recovery costs, %(invoice)s", invoice=move.name)
                invoice_lines.append(
                    Command.create({**common, "name": name, "price_unit": line.compensation})
                )
        charge_move = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": partner.id,
                "company_id": company.id,
                "currency_id": currency.id,
                "invoice_origin": ", ".join(lines.move_id.mapped("name")),
                "invoice_line_ids": invoice_lines,
            }
        )
        # sudo: charges are refused to people (see dunning.late.charge.create); these
        # lines were just computed by this wizard, for a charge invoice the user created.
        self.env["dunning.late.charge"].sudo().create(
            [
                {
                    "move_id": line.move_id.id,
                    "charge_move_id": charge_move.id,
                    "date_from": line.date_from,
                    "date_to": line.date_to,
                    "interest": line.interest,
                    "compensation": line.compensation,
                    "rule": policy.late_charge_rule,
                }
                for line in lines
            ]
        )
        return charge_move
