from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL, format_amount, format_date

from ..tools.flows import LAST_DATE, MAX_AMOUNT, created_past_opening, is_sane_amount, is_sane_date
from ..tools.stages import HOLD_STAGES, PROMISABLE_STAGES

PROMISE_STATES = [
    ("open", "Open"),
    ("kept", "Kept"),
    ("broken", "Broken"),
    ("cancelled", "Cancelled"),
]

# What was promised can be corrected while the promise is open, not once it is history.
PROMISE_OPEN_FIELDS = frozenset({"amount", "date_promised"})


class DunningPromise(models.Model):
    """A customer's promise to pay an amount by a date: the ladder pauses meanwhile.

    Creating an open promise puts its invoices in stage ``promised``. The daily run
    follows promises (``_dunning_process_promises``) before it plans: payments reconciled
    with the invoices since the promise was made count toward it; reaching the amount
    keeps it, the date plus the policy's grace days passing first breaks it.
    """

    _name = "dunning.promise"
    _description = "Promise to Pay"
    _inherit = [
        "dunning.hold.mixin",
        "mail.thread",
        "mail.activity.mixin",
        "dunning.authority.mixin",
    ]
    _order = "date_promised desc, id desc"
    _check_company_auto = True
    _dunning_hold_stage = "promised"
    _dunning_hold_channel = "promise"
    _dunning_hold_event_field = "promise_id"
    _dunning_hold_action = "account_dunning.action_dunning_promise"
    _dunning_hold_confirm_template = "account_dunning.mail_template_dunning_promise_confirmation"
    # A promise is a pause: any other hold (a new promise, a plan, a dispute, a hand-off)
    # takes its invoices over and ends it.
    _dunning_hold_yields_to = (
        "dunning.promise",
        "dunning.dispute",
        "dunning.payment.plan",
        "dunning.case",
    )

    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, index=True, ondelete="restrict",
        domain="[('parent_id', '=', False)]", tracking=True,
    )  # fmt: skip
    contact_id = fields.Many2one(
        "res.partner", ondelete="set null",
        domain="[('commercial_partner_id', '=', partner_id)]",
        help="Who promised; the confirmation goes to them (the customer's accounts "
        "payable contact when empty).",
    )  # fmt: skip
    move_ids = fields.Many2many(
        "account.move", "dunning_promise_account_move_rel", "promise_id", "move_id",
        string="Invoices", check_company=True, required=True,
        domain="[('move_type', '=', 'out_invoice'), ('state', '=', 'posted'), "
        "('payment_state', 'in', ('not_paid', 'partial')), "
        "('commercial_partner_id', '=', partner_id)]",
    )  # fmt: skip
    currency_id = fields.Many2one(
        "res.currency", compute="_compute_currency_id", store=True, readonly=False
    )
    amount = fields.Monetary(string="Promised Amount", required=True, tracking=True)
    amount_paid = fields.Monetary(string="Paid Since", compute="_compute_amount_paid")
    date_start = fields.Date(
        string="Promised On", required=True, readonly=True, default=fields.Date.context_today
    )
    date_promised = fields.Date(string="Payment Date", required=True, tracking=True)
    date_end = fields.Date(string="Closed On", readonly=True, copy=False)
    state = fields.Selection(
        PROMISE_STATES, default="open", required=True, readonly=True, index=True, tracking=True
    )
    user_id = fields.Many2one(
        "res.users", string="Recorded By", default=lambda self: self.env.user,
        domain="[('share', '=', False)]",
    )  # fmt: skip
    note = fields.Text()
    call_event_id = fields.Many2one(
        "dunning.event", string="Call", readonly=True, ondelete="set null",
        help="The logged call in which the customer promised.",
    )  # fmt: skip
    event_ids = fields.One2many("dunning.event", "promise_id", string="History")

    _amount_positive = models.Constraint("CHECK(amount > 0)", "A promise is for an amount.")

    @api.depends("move_ids")
    def _compute_currency_id(self):
        for promise in self:
            promise.currency_id = (
                promise.move_ids[:1].currency_id
                or promise.currency_id
                or promise.company_id.currency_id
            )

    @api.depends("partner_id", "amount", "date_promised")
    def _compute_display_name(self):
        for promise in self:
            promise.display_name = " - ".join(
                filter(
                    None,
                    (
                        promise.partner_id.display_name,
                        promise.currency_id
                        and format_amount(self.env, promise.amount, promise.currency_id),
                        promise.date_promised and format_date(self.env, promise.date_promised),
                    ),
                )
            )

    def _compute_amount_paid(self):
        paid = self._dunning_paid_amounts()
        for promise in self:
            promise.amount_paid = paid.get(promise.id, 0.0)

    @api.constrains("amount", "date_promised")
    def _check_sane_terms(self):
        for promise in self:
            if not is_sane_amount(promise.amount) or not is_sane_date(promise.date_promised):
                raise ValidationError(
                    self.env._(
                        "A promise to pay is for a positive amount below %(max)s, by a date "
                        "up to %(last)s.",
                        max=f"{MAX_AMOUNT:,.0f}",
                        last=format_date(self.env, LAST_DATE),
                    )
                )

    # ------------------------------------------------------------------ create

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            today = fields.Date.context_today(self)
            for vals in vals_list:
                if created_past_opening(vals, today):
                    raise AccessError(
                        self.env._("A promise to pay is recorded open, on the day it is made.")
                    )
        promises = super().create(vals_list)
        promises.filtered(lambda p: p.state == "open")._dunning_open()
        return promises

    def write(self, vals):
        # Who may write what: tools/authority.py; what an open promise allows, here.
        if (
            not self.env.su
            and PROMISE_OPEN_FIELDS & set(vals)
            and any(p.state != "open" for p in self)
        ):
            raise UserError(
                self.env._("A kept, broken or cancelled promise to pay cannot be changed.")
            )
        return super().write(vals)

    def action_cancel(self):
        """Cancelled by hand (e.g. recorded by mistake): the ladder resumes as it was."""
        self.filtered(lambda p: p.state == "open")._dunning_close(
            "cancelled", fields.Date.context_today(self)
        )

    def _dunning_paid_amounts(self):
        """What was reconciled with each promise's invoices since it was made, in the
        invoice currency (the promise's): {promise id: amount}."""
        if not self.ids:
            return {}
        self.env["account.partial.reconcile"].flush_model()
        self.flush_recordset(["move_ids", "date_start"])
        rows = self.env.execute_query(
            SQL(
                """
            SELECT rel.promise_id, SUM(apr.debit_amount_currency)
              FROM dunning_promise_account_move_rel rel
              JOIN dunning_promise p ON p.id = rel.promise_id
              JOIN account_move_line aml ON aml.move_id = rel.move_id
              JOIN account_account acc ON acc.id = aml.account_id
              JOIN account_partial_reconcile apr ON apr.debit_move_id = aml.id
             WHERE rel.promise_id IN %(ids)s
               AND acc.account_type = 'asset_receivable'
               AND apr.max_date >= p.date_start
          GROUP BY rel.promise_id
            """,
                ids=tuple(self.ids),
            )
        )
        return dict(rows)

    def _dunning_open(self):
        """The ladder pauses: the invoices go to stage promised; an older open promise on
        the same invoices is replaced by this one (see dunning.hold.mixin)."""
        for promise in self:
            moves = promise.move_ids
            if not moves:
                raise UserError(self.env._("A promise to pay is for at least one invoice."))
            if moves.commercial_partner_id != promise.partner_id.commercial_partner_id:
                raise UserError(self.env._("The invoices of a promise are the customer's."))
            if len(moves.currency_id) > 1:
                raise UserError(self.env._("The invoices of a promise share one currency."))
            wrong = moves.filtered(
                lambda m: (
                    m.dunning_stage not in PROMISABLE_STAGES + HOLD_STAGES
                    or m.payment_state not in ("not_paid", "partial")
                )
            )
            if wrong:
                raise UserError(
                    self.env._(
                        "These invoices cannot be promised (paid, or closed by a recovery "
                        "or a write-off): %(invoices)s",
                        invoices=", ".join(wrong.mapped("name")),
                    )
                )
            promise._dunning_hold_open()
            promise._dunning_log(
                self.env._(
                    "Promise to pay %(amount)s by %(date)s.",
                    amount=format_amount(self.env, promise.amount, promise.currency_id),
                    date=format_date(self.env, promise.date_promised),
                )
            )
        self._dunning_hold_confirm()

    def _dunning_close(self, state, day):
        """End the promises; their invoices still promised go back to Normal."""
        reason = self.env._("Promise to pay cancelled.") if state == "cancelled" else None
        return self._dunning_hold_close(state, day, reason=reason)

    def _dunning_log(self, reason, day=None, level=None, activity=None, message=None):
        self.ensure_one()
        return self._dunning_hold_log(
            {self: reason},
            day=day,
            level_id=level or None,
            activity_id=activity or None,
            collector_id=activity.user_id if activity else None,
            message_id=message or None,
        )

    def _dunning_process_promises(self, run_date):
        """The day's follow-up of open promises (of the current company on an empty
        recordset): kept when payments reach the amount, broken when the date plus the
        policy's grace days has passed first, cancelled when no invoice is left in the
        promised stage (moved to a plan, a dispute...). Idempotent for a day.
        Returns the promises broken."""
        promises = self.filtered(lambda p: p.state == "open") if self else self.search(
            [("state", "=", "open"), ("company_id", "=", self.env.company.id)]
        )  # fmt: skip
        if not promises:
            return self
        paid = promises._dunning_paid_amounts()
        kept, broken, gone = self.browse(), self.browse(), self.browse()
        for promise in promises:
            currency = promise.currency_id
            settled = all(currency.is_zero(m.amount_residual) for m in promise.move_ids)
            if settled or currency.compare_amounts(paid.get(promise.id, 0.0), promise.amount) >= 0:
                kept |= promise
            elif not promise.move_ids.filtered(lambda m: m.dunning_stage == "promised"):
                gone |= promise
            elif run_date > promise.date_promised + timedelta(days=promise._dunning_grace_days()):
                broken |= promise
        kept._dunning_keep(run_date)
        broken._dunning_break(run_date)
        gone._dunning_close("cancelled", run_date)
        return broken

    def _dunning_grace_days(self):
        self.ensure_one()
        policy = self.partner_id.with_company(self.company_id)._dunning_get_policy()
        return policy.promise_grace_days if policy else 3

    def _dunning_keep(self, run_date):
        if not self:
            return
        self._dunning_close("kept", run_date)
        for promise in self:
            promise._dunning_log(
                self.env._(
                    "Promise to pay kept: %(amount)s received.",
                    amount=format_amount(self.env, promise.amount, promise.currency_id),
                ),
                day=run_date,
            )
        self.env["dunning.run"]._dunning_thank(
            [(promise.partner_id, promise.move_ids, promise) for promise in self],
            run_date,
        )

    def _dunning_break(self, run_date):
        """Broken: the invoices resume the ladder one level higher (the run of the day
        takes that step, see dunning.run._plan), the collector gets an activity."""
        if not self:
            return
        Plan = self.env["dunning.payment.plan"]
        by_level, promise_level, ladders = defaultdict(list), {}, {}
        for promise in self:
            moves = promise.move_ids.filtered(
                lambda m: (
                    m.dunning_stage == "promised" and not m.currency_id.is_zero(m.amount_residual)
                )
            )
            for move in moves:
                policy = move.dunning_level_id.policy_id or move._dunning_get_policy()
                if policy not in ladders:
                    ladders[policy] = policy._dunning_ladder_levels()
                level = Plan._dunning_level_after(move.dunning_level_id, ladders[policy])
                # The last step's date is kept: the resumed step is taken by the run.
                by_level[level, move.dunning_last_date].append(move.id)
                highest = promise_level.get(promise)
                if level and (not highest or level.delay_days > highest.delay_days):
                    promise_level[promise] = level
        for (level, last_date), move_ids in by_level.items():
            self.env["account.move"].browse(move_ids)._dunning_set_level(level, last_date)
        self._dunning_hold_close("broken", run_date)
        engine = self.env["dunning.engine"]
        for promise in self:
            collector = engine._get_collector(
                promise.partner_id, promise.company_id, fallback=promise.user_id or None
            )
            activity = engine._schedule(
                promise,
                self.env._("Promise to pay broken"),
                self.env._(
                    "%(customer)s promised %(amount)s by %(date)s and has not paid it: the "
                    "invoices are back on the collections ladder, one level higher. Call the "
                    "customer to agree on the next step.",
                    customer=promise.partner_id.display_name,
                    amount=format_amount(self.env, promise.amount, promise.currency_id),
                    date=format_date(self.env, promise.date_promised),
                ),
                collector,
                run_date,
            )
            promise._dunning_log(
                self.env._(
                    "Promise to pay broken: %(paid)s of %(amount)s received by %(date)s. The "
                    "invoices resume the ladder one level higher.",
                    paid=format_amount(self.env, promise.amount_paid, promise.currency_id),
                    amount=format_amount(self.env, promise.amount, promise.currency_id),
                    date=format_date(self.env, promise.date_promised),
                ),
                day=run_date,
                level=promise_level.get(promise),
                activity=activity,
            )

    @api.model
    def _dunning_resumed_moves(self, move_ids):
        """Invoices a broken promise put one rung higher with no step taken since:
        {invoice id: day the promise broke}."""
        if not move_ids:
            return {}
        self.flush_model(["state", "date_end", "move_ids"])
        rows = self.env.execute_query(
            SQL(
                """
            SELECT rel.move_id, MAX(p.date_end)
              FROM dunning_promise p
              JOIN dunning_promise_account_move_rel rel ON rel.promise_id = p.id
             WHERE p.state = 'broken' AND rel.move_id IN %s
          GROUP BY rel.move_id
            """,
                tuple(move_ids),
            )
        )
        return dict(rows)
