import json

from odoo import fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL

from ..tools.priority import dunning_priority
from ..tools.stages import PLANNABLE_STAGES
from .res_partner import DUNNING_FIGURES_GROUPS

# Customers whose priority is written by one UPDATE.
PRIORITY_BATCH_SIZE = 1000


class ResPartner(models.Model):
    """The collector's worklist "My collections": whom to call first, and the figures
    beside each customer (issue #10)."""

    _inherit = "res.partner"

    # Per company, as the figures it is computed from: company_dependent stores one
    # value per company in a jsonb column of res_partner, which the ORM reads, filters
    # and sorts for the current company (no per-company table, no extra join).
    dunning_priority = fields.Float(
        string="Priority",
        company_dependent=True,
        digits=(16, 2),
        readonly=True,
        copy=False,
        groups=DUNNING_FIGURES_GROUPS,
        help="Whom to contact first (higher first): the overdue amount in company "
        "currency, weighted by the days overdue and by the promises to pay broken in "
        "this company. Recomputed by the daily collections run.",
    )
    dunning_last_contact_date = fields.Date(
        string="Last Contact",
        compute="_compute_dunning_worklist",
        groups=DUNNING_FIGURES_GROUPS,
        help="Date of the last collections step carried out for this customer in this "
        "company (message, letter, call, promise, dispute...).",
    )
    dunning_promise_currency_id = fields.Many2one(
        "res.currency", compute="_compute_dunning_worklist"
    )
    dunning_promise_amount = fields.Monetary(
        string="Promised Amount",
        compute="_compute_dunning_worklist",
        currency_field="dunning_promise_currency_id",
        groups=DUNNING_FIGURES_GROUPS,
        help="Amount of the customer's next open promise to pay (its invoices' currency).",
    )
    dunning_promise_date = fields.Date(
        string="Promised For",
        compute="_compute_dunning_worklist",
        groups=DUNNING_FIGURES_GROUPS,
        help="Payment date of the customer's next open promise to pay.",
    )

    def _compute_dunning_worklist(self):
        company = self.env.company
        commercial = self.commercial_partner_id
        last_contacts = dict(
            self.env["dunning.event"]._read_group(
                [
                    ("partner_id", "in", commercial.ids),
                    ("company_id", "=", company.id),
                    ("state", "=", "done"),
                    # A note (a postponement, a change of mode) is no contact.
                    ("channel", "!=", "note"),
                ],
                ["partner_id"],
                ["date:max"],
            )
        )
        next_promises = {}
        for promise in self.env["dunning.promise"].search(
            [
                ("partner_id", "in", commercial.ids),
                ("company_id", "=", company.id),
                ("state", "=", "open"),
            ],
            order="date_promised desc, id desc",
        ):
            next_promises[promise.partner_id.id] = promise  # the earliest wins
        for partner in self:
            key = partner.commercial_partner_id
            promise = next_promises.get(key.id, self.env["dunning.promise"])
            partner.dunning_last_contact_date = last_contacts.get(key, False)
            partner.dunning_promise_currency_id = promise.currency_id
            partner.dunning_promise_amount = promise.amount
            partner.dunning_promise_date = promise.date_promised

    def _has_field_access(self, field, operation):
        # The priority is the engine's figure: nobody writes it through the ORM, not
        # even a manager (the form shows it read-only; this also holds over RPC).
        if field.name == "dunning_priority" and operation == "write" and not self.env.su:
            return False
        return super()._has_field_access(field, operation)

    # ------------------------------------------------------------------ actions

    def action_dunning_new_payment_plan(self):
        """The payment-plan wizard for the customer's open invoices that can take one."""
        self.ensure_one()
        moves = self.commercial_partner_id._dunning_open_moves(PLANNABLE_STAGES)
        moves = moves.filtered(lambda m: m.currency_id == moves[:1].currency_id)
        if not moves:
            return self._dunning_nothing_open()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account_dunning.action_dunning_payment_plan_wizard"
        )
        action["context"] = {"active_model": "account.move", "active_ids": moves.ids}
        return action

    def action_dunning_update_priorities(self):
        """Manager's button: recompute the priorities of the current company now."""
        if not self.env.user.has_group("account_dunning.group_dunning_manager"):
            raise AccessError(
                self.env._("Only a collections manager can recompute the priorities.")
            )
        count = self.env["res.partner"]._dunning_update_priorities()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Collections"),
                "message": self.env._(
                    "Priorities recomputed: %(count)s customers with overdue money.",
                    count=count,
                ),
                "type": "success",
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    # ---------------------------------------------------------- business methods

    def _dunning_priority_facts(self):
        """One query: the facts of the priority of every customer of the current
        company that has overdue money or a priority stored for it.

        Returns ``[(partner id, overdue amount, oldest days overdue, broken promises,
        stored priority)]``. The amount and the days are those of the customer's
        "Overdue Amount" and "Days Overdue" (``_compute_dunning_figures``)."""
        company = self.env.company
        self.env["account.move.line"].flush_model(
            ["account_id", "amount_residual", "company_id", "parent_state", "partner_id",
             "reconciled", "date_maturity", "date", "move_id"]
        )  # fmt: skip
        self.env["account.move"].flush_model(["move_type"])
        self.env["dunning.promise"].flush_model(["partner_id", "company_id", "state"])
        self.env["res.partner"].flush_model(["dunning_priority"])
        today = fields.Date.context_today(self)
        return self.env.execute_query(
            SQL(
                """
            WITH figures AS (
                SELECT account_move_line.partner_id,
                       SUM(account_move_line.amount_residual) AS overdue,
                       MAX(%(today)s - COALESCE(account_move_line.date_maturity,
                                                account_move_line.date))
                           FILTER (WHERE account_move_line.amount_residual > 0
                                   AND dunning_move.move_type IN %(invoice_types)s) AS days
                  FROM account_move_line
                  JOIN account_move dunning_move ON dunning_move.id = account_move_line.move_id
                 WHERE account_move_line.partner_id IS NOT NULL AND %(overdue)s
              GROUP BY account_move_line.partner_id
            ), broken AS (
                SELECT partner_id, COUNT(*) AS count
                  FROM dunning_promise
                 WHERE company_id = %(company)s AND state = 'broken'
              GROUP BY partner_id
            )
            SELECT partner.id, figures.overdue, figures.days, broken.count,
                   (partner.dunning_priority ->> %(key)s)::float
              FROM res_partner partner
         LEFT JOIN figures ON figures.partner_id = partner.id
         LEFT JOIN broken ON broken.partner_id = partner.id
             WHERE figures.partner_id IS NOT NULL OR partner.dunning_priority ? %(key)s
            """,
                today=today,
                invoice_types=("out_invoice", "out_receipt"),
                overdue=self._dunning_receivable_query(overdue=True),
                company=company.id,
                key=str(company.id),
            )
        )

    def _dunning_update_priorities(self):
        """Recompute ``dunning_priority`` of every customer of the current company,
        set-based: one query reads the facts of all customers, one UPDATE per batch of
        PRIORITY_BATCH_SIZE changed customers writes them; nothing is read or written per
        customer. Returns how many customers have a priority (overdue money)."""
        company_key = str(self.env.company.id)
        changed, ranked = [], 0
        for partner_id, amount, days, broken, stored in self._dunning_priority_facts():
            score = dunning_priority(amount, days, broken)
            ranked += bool(score)
            if score != (stored or 0.0):
                changed.append((partner_id, score))
        for start in range(0, len(changed), PRIORITY_BATCH_SIZE):
            batch = changed[start : start + PRIORITY_BATCH_SIZE]
            # SQL, not write(): res.partner's write() syncs the commercial fields of
            # every contact and the chatter tracks changes, per partner; a figure of
            # the engine needs neither, nor a new write_date on every customer each day.
            # The ORM's cache is invalidated below. A 0 drops the company's key: the
            # ORM reads the field's default (0) for it, as for a customer never ranked.
            self.env.execute_query(
                SQL(
                    """
                UPDATE res_partner
                   SET dunning_priority = CASE
                         WHEN scores.score = 0
                         THEN NULLIF(COALESCE(res_partner.dunning_priority, '{}'::jsonb)
                                     - %(key)s, '{}'::jsonb)
                         ELSE COALESCE(res_partner.dunning_priority, '{}'::jsonb)
                              || jsonb_build_object(%(key)s, scores.score)
                       END
                  FROM jsonb_to_recordset(%(scores)s::jsonb) AS scores(id int, score float)
                 WHERE res_partner.id = scores.id
                """,
                    key=company_key,
                    scores=json.dumps([{"id": pid, "score": score} for pid, score in batch]),
                )
            )
        self.env["res.partner"].invalidate_model(["dunning_priority"])
        return ranked
