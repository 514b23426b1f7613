from odoo import api, fields, models, tools
from odoo.tools import SQL

from ..tools.ab_testing import ab_winner, two_proportion_z_test
from .dunning_event import TEMPLATE_VARIANTS


class DunningTemplateReport(models.Model):
    """How soon customers pay after each level's email, per template variant (A/B).

    One row per level and variant, over the reminder emails sent (done email events of
    a level). A step is paid when all its invoices are paid; the day it was paid is the
    date of the last reconciliation that settled them. A share "within N days" counts
    only the steps at least N days old (a step of yesterday has not had its chance).
    """

    _name = "dunning.template.report"
    _description = "Collections Template Effectiveness"
    _auto = False
    _order = "level_id, template_variant"
    _rec_name = "level_id"

    level_id = fields.Many2one("dunning.level", readonly=True)
    policy_id = fields.Many2one("dunning.policy", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    template_variant = fields.Selection(TEMPLATE_VARIANTS, string="Variant", readonly=True)
    step_count = fields.Integer(string="Steps", readonly=True)
    paid_count = fields.Integer(
        string="Paid", readonly=True, help="Steps whose invoices are all paid by now."
    )
    paid_7_count = fields.Integer(string="Paid Within 7 Days", readonly=True)
    eligible_7_count = fields.Integer(string="Steps 7+ Days Old", readonly=True)
    paid_14_count = fields.Integer(string="Paid Within 14 Days", readonly=True)
    eligible_14_count = fields.Integer(string="Steps 14+ Days Old", readonly=True)
    paid_30_count = fields.Integer(string="Paid Within 30 Days", readonly=True)
    eligible_30_count = fields.Integer(string="Steps 30+ Days Old", readonly=True)
    # One row per level and variant: the pivot's cells are exact; a total over several
    # rows is their plain average.
    paid_7_share = fields.Float(string="% Paid in 7 Days", aggregator="avg", readonly=True)
    paid_14_share = fields.Float(string="% Paid in 14 Days", aggregator="avg", readonly=True)
    paid_30_share = fields.Float(string="% Paid in 30 Days", aggregator="avg", readonly=True)
    # Empty in the database (NULL) when nothing was paid; the list shows no figure then
    # (a Float reads NULL as 0.0, which would claim payment on the day).
    median_days_to_pay = fields.Float(
        string="Median Days to Pay", aggregator=False, readonly=True, digits=(16, 1)
    )
    verdict = fields.Char(
        compute="_compute_verdict",
        help="Said only when the difference between A and B in the share paid within 30 "
        "days is significant (two-proportion z-test at 5 %) with enough steps.",
    )

    @api.depends("paid_30_count", "eligible_30_count")
    def _compute_verdict(self):
        rows = self.search([("level_id", "in", self.level_id.ids)])
        by_key = {(row.level_id.id, row.template_variant): row for row in rows}
        for row in self:
            a = by_key.get((row.level_id.id, "a"))
            b = by_key.get((row.level_id.id, "b"))
            winner = a and b and self._winner(a, b)
            row.verdict = self._verdict_text(a, b, winner) if winner else False

    @property
    def _table_query(self):
        return SQL(
            """
            WITH steps AS (
                SELECT e.id, e.date, e.level_id, COALESCE(e.template_variant, 'a') AS variant
                  FROM dunning_event e
                 WHERE e.channel = 'email' AND e.state = 'done' AND e.level_id IS NOT NULL
            ),
            settled AS (
                SELECT m.id AS move_id, MAX(apr.max_date) AS paid_date
                  FROM account_move m
                  JOIN account_move_line l ON l.move_id = m.id
                  JOIN account_account a
                    ON a.id = l.account_id AND a.account_type = 'asset_receivable'
                  JOIN account_partial_reconcile apr ON apr.debit_move_id = l.id
                 WHERE m.payment_state IN ('paid', 'in_payment')
                   AND m.id IN (SELECT move_id FROM account_move_dunning_event_rel)
              GROUP BY m.id
            ),
            paid_steps AS (
                SELECT s.id, s.level_id, s.variant, CURRENT_DATE - s.date AS age,
                       CASE WHEN BOOL_AND(st.paid_date IS NOT NULL)
                            THEN GREATEST(MAX(st.paid_date) - s.date, 0) END AS days
                  FROM steps s
                  JOIN account_move_dunning_event_rel rel ON rel.event_id = s.id
             LEFT JOIN settled st ON st.move_id = rel.move_id
              GROUP BY s.id, s.date, s.level_id, s.variant
            ),
            counts AS (
                SELECT p.level_id, p.variant,
                       COUNT(*) AS steps,
                       COUNT(p.days) AS paid,
                       COUNT(*) FILTER (WHERE p.days <= 7 AND p.age >= 7) AS paid_7,
                       COUNT(*) FILTER (WHERE p.age >= 7) AS eligible_7,
                       COUNT(*) FILTER (WHERE p.days <= 14 AND p.age >= 14) AS paid_14,
                       COUNT(*) FILTER (WHERE p.age >= 14) AS eligible_14,
                       COUNT(*) FILTER (WHERE p.days <= 30 AND p.age >= 30) AS paid_30,
                       COUNT(*) FILTER (WHERE p.age >= 30) AS eligible_30,
                       PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY p.days) AS median_days
                  FROM paid_steps p
              GROUP BY p.level_id, p.variant
            )
            SELECT c.level_id * 2 + CASE WHEN c.variant = 'b' THEN 1 ELSE 0 END AS id,
                   c.level_id, lvl.policy_id, lvl.company_id,
                   c.variant AS template_variant,
                   c.steps AS step_count,
                   c.paid AS paid_count,
                   c.paid_7 AS paid_7_count, c.eligible_7 AS eligible_7_count,
                   c.paid_14 AS paid_14_count, c.eligible_14 AS eligible_14_count,
                   c.paid_30 AS paid_30_count, c.eligible_30 AS eligible_30_count,
                   100.0 * c.paid_7 / NULLIF(c.eligible_7, 0) AS paid_7_share,
                   100.0 * c.paid_14 / NULLIF(c.eligible_14, 0) AS paid_14_share,
                   100.0 * c.paid_30 / NULLIF(c.eligible_30, 0) AS paid_30_share,
                   c.median_days AS median_days_to_pay
              FROM counts c
              JOIN dunning_level lvl ON lvl.id = c.level_id
            """
        )

    @api.model
    def _winner(self, a, b):
        return ab_winner(a.paid_30_count, a.eligible_30_count, b.paid_30_count, b.eligible_30_count)

    @api.model
    def _verdict_text(self, a, b, winner):
        test = two_proportion_z_test(
            a.paid_30_count, a.eligible_30_count, b.paid_30_count, b.eligible_30_count
        )
        best, other = (b, a) if winner == "b" else (a, b)
        return self.env._(
            "Template %(best)s gets paid within 30 days more often than template %(other)s: "
            "%(best_share)s%% of %(best_steps)s steps against %(other_share)s%% of "
            "%(other_steps)s (a difference this large by chance: p = %(p)s).",
            best=winner.upper(),
            other="A" if winner == "b" else "B",
            best_share=tools.float_repr(best.paid_30_share, 0),
            best_steps=best.eligible_30_count,
            other_share=tools.float_repr(other.paid_30_share, 0),
            other_steps=other.eligible_30_count,
            p=f"{test.p_value:.3f}",
        )
