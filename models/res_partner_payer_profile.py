import math
from datetime import timedelta

from odoo import api, fields, models

from ..tools.payer_profile import (
    BANDS,
    REASON_FEW,
    REASON_GOOD,
    REASON_LATE,
    REASON_NO_HISTORY,
    REASON_ON_TIME,
    REASON_PROMISES,
    REASON_TREND,
    History,
    payer_profile,
)
from .account_move_prediction import HISTORY_DAYS, PREDICTION_GROUPS


class ResPartner(models.Model):
    _inherit = "res.partner"

    # Computed per company (the current one) on reading, like the other collections
    # figures: one history query and one promise count for all the partners read.
    dunning_payer_band = fields.Selection(
        [(band, band) for band in BANDS],
        string="Payer Band",
        compute="_compute_dunning_payer_profile",
        groups=PREDICTION_GROUPS,
        help="A: pays on time ... D: pays very late or breaks promises. The worst of "
        "lateness, punctuality and promises kept over the last 24 months, one band "
        "worse when the last 6 months are clearly later; the reasons are shown beside.",
    )
    dunning_payer_band_reasons = fields.Text(
        string="Why this Band", compute="_compute_dunning_payer_profile", groups=PREDICTION_GROUPS
    )
    dunning_payer_paid_count = fields.Integer(
        string="Invoices Paid (24 months)",
        compute="_compute_dunning_payer_profile",
        groups=PREDICTION_GROUPS,
    )
    dunning_payer_days_late = fields.Float(
        string="Average Days Late",
        digits=(16, 1),
        compute="_compute_dunning_payer_profile",
        groups=PREDICTION_GROUPS,
        help="Over the invoices paid in the last 24 months: payment date (the last "
        "payment or credit note matched) minus due date; negative: early.",
    )
    dunning_payer_days_late_sd = fields.Float(
        string="Spread of Days Late",
        digits=(16, 1),
        compute="_compute_dunning_payer_profile",
        groups=PREDICTION_GROUPS,
        help="Standard deviation of the days late: how regular the customer is.",
    )
    dunning_payer_on_time = fields.Float(
        string="Paid on Time (%)",
        digits=(16, 0),
        compute="_compute_dunning_payer_profile",
        groups=PREDICTION_GROUPS,
    )
    dunning_payer_promises_kept = fields.Integer(
        string="Promises Kept (24 months)",
        compute="_compute_dunning_payer_profile",
        groups=PREDICTION_GROUPS,
    )
    dunning_payer_promises_broken = fields.Integer(
        string="Promises Broken (24 months)",
        compute="_compute_dunning_payer_profile",
        groups=PREDICTION_GROUPS,
    )
    dunning_payer_trend = fields.Float(
        string="Trend (days)",
        digits=(16, 1),
        compute="_compute_dunning_payer_profile",
        groups=PREDICTION_GROUPS,
        help="Average days late of the last 6 months minus that of the months before "
        "(positive: paying later than before). Empty: too few invoices to tell.",
    )

    @api.depends_context("company", "tz")
    def _compute_dunning_payer_profile(self):
        today = fields.Date.context_today(self)
        commercial = self.commercial_partner_id
        history = (
            self.env["account.move"]._dunning_paid_history(
                self.env.company, today, partner_ids=commercial.ids
            )
            if commercial.ids
            else {}
        )
        promises = self._dunning_promise_counts(commercial, today)
        for partner in self:
            key = partner.commercial_partner_id.id
            row = history.get(key) or {}
            kept, broken = promises.get(key, (0, 0))
            profile = payer_profile(
                History(
                    paid_count=row.get("count", 0),
                    mean_late=row.get("mean") or 0.0,
                    on_time_count=row.get("on_time", 0),
                    recent_count=row.get("recent_count", 0),
                    recent_mean=row.get("recent_mean"),
                    before_mean=row.get("before_mean"),
                    promises_kept=kept,
                    promises_broken=broken,
                )
            )
            partner.dunning_payer_band = profile.band or False
            partner.dunning_payer_band_reasons = "\n".join(
                self._dunning_payer_reason(code, params) for code, params in profile.reasons
            )
            partner.dunning_payer_paid_count = row.get("count", 0)
            partner.dunning_payer_days_late = row.get("mean") or 0.0
            partner.dunning_payer_days_late_sd = math.sqrt(row.get("var") or 0.0)
            partner.dunning_payer_on_time = 100.0 * profile.on_time_share
            partner.dunning_payer_promises_kept = kept
            partner.dunning_payer_promises_broken = broken
            partner.dunning_payer_trend = profile.trend or 0.0

    def _dunning_promise_counts(self, commercial, today):
        """{commercial partner id: (kept, broken)} over the last 24 months, in one query."""
        if not commercial:
            return {}
        groups = self.env["dunning.promise"]._read_group(
            [
                ("company_id", "=", self.env.company.id),
                ("partner_id", "child_of", commercial.ids),
                ("state", "in", ("kept", "broken")),
                ("date_end", ">=", today - timedelta(days=HISTORY_DAYS)),
            ],
            ["partner_id", "state"],
            ["__count"],
        )
        counts = {}
        for partner, state, count in groups:
            key = partner.commercial_partner_id.id
            kept, broken = counts.get(key, (0, 0))
            counts[key] = (kept + count, broken) if state == "kept" else (kept, broken + count)
        return counts

    def _dunning_payer_reason(self, code, params):
        """One reason of the payer band, in the user's language."""
        _ = self.env._
        texts = {
            REASON_NO_HISTORY: lambda: _("No invoice paid in the last 24 months."),
            REASON_GOOD: lambda: _("Pays on time (%(percent)s%% of invoices).", **params),
            REASON_LATE: lambda: _("Pays %(days)s days late on average.", **params),
            REASON_ON_TIME: lambda: _("Only %(percent)s%% of invoices paid on time.", **params),
            REASON_PROMISES: lambda: _("Kept %(kept)s of %(total)s promises to pay.", **params),
            REASON_TREND: lambda: _(
                "Paying later lately: %(days)s days later than before on average.", **params
            ),
            REASON_FEW: lambda: _("Few invoices to go by (%(count)s paid).", **params),
        }
        return texts[code]()
