import logging
from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models, modules
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, config, split_every

from ..tools.ladder import index_of_delay, next_level_index, next_step_date
from ..tools.late_charges import SPECS, LateChargeError, late_charges
from ..tools.prediction import Summary, enough_history, estimate_prior, predict
from ..tools.stages import CHASABLE_STAGES, STAGES
from .dunning_reference_rate import RATE_SERIES

_logger = logging.getLogger(__name__)


# Invoices per chunk when next step dates are recomputed for a whole book.
RECOMPUTE_CHUNK = 2000

# Kept for the modules and data that import it from here.
DUNNING_STAGES = list(STAGES)
# Stages whose payment waits on a decision (a dispute, an agency, a court): no predicted date.
UNPREDICTABLE_STAGES = ("dispute", "agency", "legal")


# Invoices whose next reminder is due within this many days get their PDF rendered.
PDF_WARMUP_DAYS = 3

# Invoices rendered (and committed) per step of the warm-up.
PDF_WARMUP_BATCH = 20

# The history read: invoices paid in the last 24 months, the last 6 of them "recent".
HISTORY_DAYS = 730

RECENT_DAYS = 182

PREDICTION_GROUPS = "account_dunning.group_dunning_user"


class AccountMove(models.Model):
    _name = "account.move"
    _inherit = ["account.move", "dunning.authority.mixin"]

    dunning_level_id = fields.Many2one(
        "dunning.level",
        copy=False,
        index="btree_not_null",
        tracking=True,
        help="The last step of the ladder taken for this invoice.",
    )
    dunning_last_date = fields.Date(string="Last Dunning", copy=False)
    dunning_next_date = fields.Date(
        string="Next Dunning",
        compute="_compute_dunning_next_date",
        store=True,
        copy=False,
        help="When the next step of the ladder becomes due for this invoice.",
    )
    dunning_excluded = fields.Boolean(string="Excluded from Collections", copy=False, tracking=True)
    # The collectors' note: not for the customer (a portal user reads its invoices).
    dunning_exclusion_reason = fields.Char(
        string="Exclusion Reason", copy=False, groups="account_dunning.group_dunning_user"
    )
    dunning_stage = fields.Selection(
        DUNNING_STAGES,
        string="Collections Stage",
        default="normal",
        required=True,
        readonly=True,
        copy=False,
        tracking=True,
        help="Only invoices in the Normal stage climb the dunning ladder. The stage "
        "changes through its flow (promise, dispute, plan, hand-off, recovery, "
        "write-off), never by hand.",
    )
    dunning_event_ids = fields.Many2many(
        "dunning.event",
        "account_move_dunning_event_rel",
        "move_id",
        "event_id",
        string="Collections History",
        copy=False,
        readonly=True,
    )
    dunning_event_count = fields.Integer(compute="_compute_dunning_event_count")
    dunning_days_overdue = fields.Integer(
        string="Days Overdue", compute="_compute_dunning_days_overdue"
    )

    # Hand-off, recovery and write-off (issue #5)
    dunning_case_ids = fields.Many2many(
        "dunning.case",
        "dunning_case_account_move_rel",
        "move_id",
        "case_id",
        string="Collection Cases",
        copy=False,
        readonly=True,
    )
    dunning_writeoff_invoice_id = fields.Many2one(
        "account.move",
        string="Written-off Invoice",
        copy=False,
        readonly=True,
        index="btree_not_null",
        help="On a bad-debt write-off entry: the invoice it writes off.",
    )
    dunning_writeoff_event_id = fields.Many2one(
        "dunning.event",
        string="Write-off Event",
        copy=False,
        readonly=True,
        index="btree_not_null",
        help="On a bad-debt write-off entry: its line in the collections history.",
    )
    dunning_writeoff_case_id = fields.Many2one(
        "dunning.case",
        string="Write-off of Case",
        copy=False,
        readonly=True,
        index="btree_not_null",
    )
    dunning_commission_case_id = fields.Many2one(
        "dunning.case",
        string="Commission of Case",
        copy=False,
        readonly=True,
        index="btree_not_null",
        help="On an agency's vendor bill: the case whose recoveries it invoices.",
    )
    dunning_credit_hold = fields.Boolean(
        string="Customer on Credit Hold", compute="_compute_dunning_credit_hold"
    )

    # Payment plans (issue #4)
    dunning_payment_plan_ids = fields.Many2many(
        "dunning.payment.plan",
        "dunning_payment_plan_account_move_rel",
        "move_id",
        "plan_id",
        string="Payment Plans",
        copy=False,
        readonly=True,
    )
    dunning_payment_plan_count = fields.Integer(compute="_compute_dunning_payment_plan_count")

    # Promises, disputes and thank-you on invoices (issue #10).
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

    # Statutory late charges of customer invoices (issue #11).
    dunning_late_charge_ids = fields.One2many(
        "dunning.late.charge", "move_id", string="Late Charges", copy=False, readonly=True
    )

    dunning_predicted_date = fields.Date(
        string="Predicted Payment",
        compute="_compute_dunning_predicted_date",
        groups=PREDICTION_GROUPS,
        help="When this invoice is expected to be paid: the customer's days late over the "
        "last 24 months, weighed against the company's by how much history the customer "
        "has (an empirical-Bayes estimate, see the Collections documentation). An open "
        "invoice is never predicted before today.",
    )
    dunning_prediction_note = fields.Char(
        string="Prediction",
        compute="_compute_dunning_predicted_date",
        groups=PREDICTION_GROUPS,
        help="Why no payment date is predicted: the company has too few paid invoices "
        "over the last 24 months to tell one, or the invoice waits on a decision (a "
        "dispute, an agency, a court).",
    )
    dunning_predicted_date_low = fields.Date(
        string="Predicted From",
        compute="_compute_dunning_predicted_date",
        groups=PREDICTION_GROUPS,
        help="8 payments out of 10 like this one come between this date and the next.",
    )
    dunning_predicted_date_high = fields.Date(
        string="Predicted Until",
        compute="_compute_dunning_predicted_date",
        groups=PREDICTION_GROUPS,
        help="8 payments out of 10 like this one come between the previous date and this one.",
    )

    @api.depends_context("tz")
    @api.depends(
        "move_type",
        "state",
        "payment_state",
        "invoice_date",
        "invoice_date_due",
        "line_ids.date_maturity",
        "line_ids.reconciled",
        "dunning_level_id",
        "dunning_last_date",
        "dunning_stage",
        "dunning_excluded",
        "commercial_partner_id",
    )
    def _compute_dunning_next_date(self):
        """The day on which the run will take this invoice's next step: the ladder's own
        rule (tools/ladder.py), from today on. Recomputed by the daily run for dates
        that have passed, and when a policy, its levels or the customer change."""
        today = fields.Date.context_today(self)
        to_chase = self.filtered(lambda m: m._dunning_is_chasable())
        (self - to_chase).dunning_next_date = False
        ladders = {}
        for move in to_chase:
            partner = move.commercial_partner_id.with_company(move.company_id)
            policy = partner._dunning_get_policy()
            due = move._dunning_first_open_due_date()
            if not policy or partner.dunning_excluded or not due:
                move.dunning_next_date = False
                continue
            if policy not in ladders:
                ladders[policy] = policy._dunning_ladder_data()
            delays, min_days, start_at_matching = ladders[policy]
            level = move.dunning_level_id
            move.dunning_next_date = next_step_date(
                delays,
                due,
                today,
                current_index=index_of_delay(delays, level.delay_days) if level else None,
                last_date=move.dunning_last_date or None,
                min_days=min_days,
                start_at_matching_level=start_at_matching,
                issue_date=move.invoice_date or None,
            )

    def _compute_dunning_event_count(self):
        for move in self:
            move.dunning_event_count = len(move.dunning_event_ids)

    @api.depends_context("tz")
    @api.depends("invoice_date_due", "line_ids.date_maturity", "line_ids.amount_residual")
    def _compute_dunning_days_overdue(self):
        """From the first open installment (a payment term may have several due dates),
        as the run counts them."""
        today = fields.Date.context_today(self)
        for move in self:
            due = move._dunning_first_open_due_date() if move.id else move.invoice_date_due
            move.dunning_days_overdue = (today - due).days if due else 0

    @api.depends("commercial_partner_id", "company_id")
    def _compute_dunning_credit_hold(self):
        for move in self:
            partner = move.commercial_partner_id.with_company(move.company_id)
            move.dunning_credit_hold = bool(partner.dunning_credit_hold)

    @api.depends("dunning_credit_hold")
    def _compute_alerts(self):
        return super()._compute_alerts()

    def _compute_dunning_payment_plan_count(self):
        for move in self:
            move.dunning_payment_plan_count = len(move.dunning_payment_plan_ids)

    @api.depends_context("company", "tz")
    @api.depends(
        "move_type",
        "state",
        "payment_state",
        "invoice_date_due",
        "commercial_partner_id",
        "dunning_stage",
    )
    def _compute_dunning_predicted_date(self):
        today = fields.Date.context_today(self)
        open_invoices = self.filtered(
            lambda m: (
                m.move_type == "out_invoice"
                and m.state == "posted"
                and m.payment_state in ("not_paid", "partial")
                and m.invoice_date_due
            )
        )
        no_date = {
            "dunning_predicted_date": False,
            "dunning_predicted_date_low": False,
            "dunning_predicted_date_high": False,
        }
        (self - open_invoices).update({**no_date, "dunning_prediction_note": False})
        # Paid when a dispute is settled or an agency or court recovers it: the customer's
        # habits say nothing of when.
        undecided = open_invoices.filtered(lambda m: m.dunning_stage in UNPREDICTABLE_STAGES)
        stages = dict(self._fields["dunning_stage"]._description_selection(self.env))
        for move in undecided:
            move.update(
                {
                    **no_date,
                    "dunning_prediction_note": self.env._(
                        "No date: %(stage)s", stage=stages[move.dunning_stage]
                    ),
                }
            )
        open_invoices -= undecided
        # One history query per company (every customer of it: the prior needs them all).
        for company, moves in open_invoices.grouped("company_id").items():
            history = self._dunning_paid_history(company, today)
            prior = estimate_prior(
                Summary(r["count"], r["mean"], r["var"]) for r in history.values()
            )
            if not enough_history(prior):
                moves.update(
                    {
                        "dunning_predicted_date": False,
                        "dunning_predicted_date_low": False,
                        "dunning_predicted_date_high": False,
                        "dunning_prediction_note": self.env._("Not enough payment history"),
                    }
                )
                continue
            moves.dunning_prediction_note = False
            for move in moves:
                row = history.get(move.commercial_partner_id.id)
                summary = Summary(row["count"], row["mean"], row["var"]) if row else Summary(0)
                due = move.invoice_date_due
                estimate = predict(summary, prior, days_past_due=(today - due).days)
                move.dunning_predicted_date = due + timedelta(days=round(estimate.days))
                if estimate.has_range:
                    move.dunning_predicted_date_low = due + timedelta(days=round(estimate.low))
                    move.dunning_predicted_date_high = due + timedelta(days=round(estimate.high))
                else:
                    move.dunning_predicted_date_low = False
                    move.dunning_predicted_date_high = False

    @api.onchange("partner_id")
    def _onchange_partner_id_dunning_credit_hold(self):
        if self.move_type == "out_invoice" and self.state == "draft" and self.dunning_credit_hold:
            return {
                "warning": {
                    "title": self.env._("Customer on credit hold"),
                    "message": self._dunning_credit_hold_message(),
                }
            }
        return None

    def _post(self, soft=True):
        posted = super()._post(soft=soft)
        # A credit note answering a dispute settles it (dunning.dispute.action_accept).
        self.env["dunning.dispute"]._dunning_accept_credited(posted)
        return posted

    def action_view_dunning_events(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account_dunning.action_dunning_event"
        )
        action["domain"] = [("move_ids", "in", self.ids)]
        return action

    def action_dunning_send_now(self):
        """'Send reminder now' for the customers of these invoices."""
        return self.commercial_partner_id.action_dunning_send_now()

    def action_dunning_correct_stage(self):
        """A manager's explicit, logged correction of the stage (opens the wizard)."""
        if not self.env.user.has_group("account_dunning.group_dunning_manager"):
            raise AccessError(self._dunning_stage_flow_message())
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account_dunning.action_dunning_stage_wizard"
        )
        action["context"] = {"default_move_ids": self.ids}
        return action

    def action_view_dunning_cases(self):
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account_dunning.action_dunning_case"
        )
        cases = self.dunning_case_ids
        if len(cases) == 1:
            action.update(views=[(False, "form")], res_id=cases.id)
        else:
            action["domain"] = [("id", "in", cases.ids)]
        return action

    def action_view_dunning_payment_plans(self):
        self.ensure_one()
        return self.dunning_payment_plan_ids._dunning_open_action()

    def action_dunning_promise(self):
        customer = self.commercial_partner_id[:1].with_company(self.company_id[:1])
        amount = customer._dunning_owed_on(self) if customer else 0.0
        return self._dunning_open_form("dunning.promise", {"amount": amount})

    def action_dunning_dispute(self):
        return self._dunning_open_form("dunning.dispute", {})

    def action_dunning_late_charges(self):
        """ "Charge late fees" for these invoices."""
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account_dunning.action_dunning_late_charge_wizard"
        )
        action["context"] = {"default_move_ids": self.ids}
        return action

    def _dunning_invoice_pdfs(self):
        """The PDFs Odoo stored for these invoices, rendering (once) those missing.

        Reminders attach the invoice as it was sent: never re-rendered per reminder.
        Each missing PDF is rendered on its own (wkhtmltopdf builds without patched Qt
        cannot render several documents at once). Returns (attachments, {invoice:
        error}) so that a PDF that cannot be rendered does not stop the reminder.
        """
        errors = {}
        sender = self.env["account.move.send"]
        for move in self.filtered(lambda move: not move.invoice_pdf_report_id):
            invoice = move.with_company(move.company_id)
            documents = {invoice: {"pdf_report": sender._get_default_pdf_report_id(invoice)}}
            try:
                with self.env.cr.savepoint():
                    sender._prepare_invoice_pdf_report(documents)
                    sender._link_invoice_documents(documents)
            except Exception as error:
                _logger.warning("Cannot render the PDF of %s", move.name, exc_info=True)
                errors[move] = str(error)
        return self.invoice_pdf_report_id, errors

    def _dunning_set_stage(self, stage):
        """The one way to change the collections stage of invoices: called by the flows
        (plans, promises, disputes, hand-offs, recoveries, write-offs, and a manager's
        logged correction), never by a form."""
        moves = self.filtered(lambda move: move.dunning_stage != stage)
        if moves:
            moves.check_access("read")
            # sudo: the stage is refused to people (see write); the flow calling this
            # checked what the user may do, and only the stage changes.
            moves.sudo().write({"dunning_stage": stage})
        return moves

    def _dunning_owed(self):
        """What the customers' credits leave owed on these invoices, in company currency
        (the ledger, their holds set aside): the amount an event or a case records."""
        total = 0.0
        for (customer, company), moves in self.grouped(
            lambda move: (move.commercial_partner_id, move.company_id)
        ).items():
            partner = customer.with_company(company)
            ledger = partner._dunning_ledger()[customer.id].as_askable(moves.ids)
            total += sum(
                ledger.uncovered_company(item)
                for item in ledger.items
                if item.is_debit and item.move_id in moves.ids
            )
        return self.env.company.currency_id.round(total)

    def _dunning_stage_flow_message(self):
        return self.env._(
            "The collections stage of an invoice changes through its flow (promise, "
            "dispute, payment plan, hand-off, recovery, write-off), not by hand. A "
            "collections manager can correct it with 'Correct Collections Stage'."
        )

    def _dunning_first_open_due_date(self):
        """Due date of the first open installment, as the run sees it."""
        self.ensure_one()
        lines = self._dunning_open_installments()
        return lines[:1].date_maturity or self.invoice_date_due

    @api.model
    def _dunning_recompute_next_dates(self, domain=()):
        """Recompute the next step of open invoices (a policy, a level or a customer's
        exclusion changed, or stored dates have passed)."""
        moves = self.sudo().search(
            [
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
                ("payment_state", "in", ("not_paid", "partial")),
                *domain,
            ]
        )
        # In chunks whose cache is dropped once written: a policy change on 100,000
        # open invoices otherwise holds them all, with their lines, in memory (1.5 GB).
        field = self._fields["dunning_next_date"]
        for chunk in split_every(RECOMPUTE_CHUNK, moves.ids, moves.browse):
            self.env.add_to_compute(field, chunk)
            chunk._recompute_recordset(["dunning_next_date"])
            if len(moves) > RECOMPUTE_CHUNK:
                self.env.invalidate_all(flush=True)
        return moves

    def _dunning_set_level(self, level_id, day):
        """Record a step of the ladder on posted invoices.

        Only the module's own bookkeeping columns change, so this bypasses
        account.move.write(), whose journal-line synchronisation and tracking cost a
        run tens of queries per invoice for nothing; dependent stored fields
        (dunning_next_date) are still recomputed through the ORM.
        """
        if not self:
            return
        level_id = level_id.id if isinstance(level_id, models.BaseModel) else level_id
        # No day (a broken promise on an invoice never reminded keeps its empty last
        # step date): NULL, not the ORM's False, which SQL cannot compare with a date.
        day = day or None
        self.flush_recordset(["dunning_level_id", "dunning_last_date"])
        self.env.cr.execute(
            SQL(
                # Never backwards: a run of an earlier day executed late, or a plan
                # resuming, does not move the date of the last step into the past.
                "UPDATE account_move SET dunning_level_id = %s, "
                "dunning_last_date = GREATEST(COALESCE(dunning_last_date, %s), %s) "
                "WHERE id IN %s",
                level_id,
                day,
                day,
                tuple(self.ids),
            ),
            log_exceptions=False,  # a concurrent update is expected and handled
        )
        self.invalidate_recordset(["dunning_level_id", "dunning_last_date"])
        self.modified(["dunning_level_id", "dunning_last_date"])

    def _dunning_is_chasable(self):
        """True for an open posted customer invoice in the Normal stage, not excluded."""
        self.ensure_one()
        return (
            self.move_type == "out_invoice"
            and self.state == "posted"
            and self.payment_state in ("not_paid", "partial")
            and self.dunning_stage in CHASABLE_STAGES
            and not self.dunning_excluded
            and bool(self.invoice_date_due)
        )

    def _dunning_get_policy(self):
        self.ensure_one()
        return self.commercial_partner_id.with_company(self.company_id)._dunning_get_policy()

    def _get_alerts(self):
        alerts = super()._get_alerts()
        if self.move_type == "out_invoice" and self.state == "draft" and self.dunning_credit_hold:
            alerts["account_dunning_credit_hold"] = {
                "level": "warning",
                "message": self._dunning_credit_hold_message(),
            }
        return alerts

    def _dunning_credit_hold_message(self):
        return self.env._(
            "%(customer)s is on credit hold: its unpaid invoices were handed off for "
            "collection. Check with the finance team before invoicing new sales on credit.",
            # The name only: display_name may carry the address (show_address context).
            customer=self.commercial_partner_id.name,
        )

    def _dunning_current_case(self):
        """The case this invoice is at now: its open case, if any."""
        self.ensure_one()
        return self.dunning_case_ids.filtered(lambda case: case.state == "open")[:1]

    def _dunning_receivable_lines(self):
        """Open receivable lines of the invoice, the first to fall due first."""
        self.ensure_one()
        lines = self.line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable" and not line.reconciled
        )
        return lines.sorted(lambda line: (line.date_maturity or line.date, line.id))

    @api.model
    def _dunning_reopen_after_unreconcile(self, invoices):
        """Invoices recovered or written off that are open again (payment or write-off
        unreconciled) go back to their case's stage, or to Normal without a case."""
        for invoice in invoices.filtered(lambda m: m.payment_state in ("not_paid", "partial")):
            case = invoice.dunning_case_ids.filtered(lambda c: c.state != "returned").sorted(
                lambda c: (c.date, c.id)
            )[-1:]
            invoice._dunning_set_stage(case.handoff_type if case else "normal")
            case._update_state()

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

    def _dunning_residual_history(self):
        """[(date, residual after that day)] of the invoice, in its currency.

        The residual starts at the receivable total and falls by every amount matched
        with it (payments, credit notes, write-offs), on the date of the match: the
        later of the two entries' dates (``max_date``), i.e. the payment's date for a
        payment registered late, the invoice's date for an advance.
        """
        self.ensure_one()
        lines = self.line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
        )
        total = sum(lines.mapped("amount_currency"))
        paid = defaultdict(float)
        for partial in lines.matched_credit_ids:
            paid[partial.max_date] += partial.debit_amount_currency
        dates = [d for d in (self.invoice_date, self.date, self.invoice_date_due) if d]
        start = min([*dates, *paid]) - timedelta(days=1)
        history = [(start, total)]
        residual = total
        for day in sorted(paid):
            residual = self.currency_id.round(max(residual - paid[day], 0.0))
            history.append((day, residual))
        return history

    def _dunning_is_business(self):
        self.ensure_one()
        return not self.commercial_partner_id.dunning_is_consumer

    def _dunning_late_charges(self, date, date_from=None, compensation=True, memo=None):
        """{"interest", "compensation"} of this invoice at ``date``, in its currency.

        Interest runs from the day after the due date (or from ``date_from``) to
        ``date`` inclusive under the customer's policy. Compensation is fixed in EUR or
        GBP by law: the UK thresholds compare the invoice's total converted at the
        invoice date, and the amount is converted to the invoice's currency at the
        company's rate of ``date``. ``compensation=False`` when it was already charged.
        ``memo``: a dict shared by the calls for a batch of invoices, so that the rate
        series and currencies are read once for all (see _dunning_late_charges_batch).
        """
        self.ensure_one()
        memo = {} if memo is None else memo
        zero = {"interest": 0.0, "compensation": 0.0}
        if self.move_type != "out_invoice" or self.state != "posted" or not self.invoice_date_due:
            return zero
        policy = self._dunning_get_policy()
        rule = policy.late_charge_rule or "none"
        if rule == "none":
            return zero
        spec = SPECS[rule]
        if spec.series and ("series", spec.series) not in memo:
            memo["series", spec.series] = self.env["dunning.reference.rate"]._get_series(
                spec.series
            )
        rates = memo.get(("series", spec.series), [])
        fixed_currency = None
        amount = self.amount_total
        if spec.compensation_currency:
            if ("currency", spec.compensation_currency) not in memo:
                memo["currency", spec.compensation_currency] = (
                    self.env["res.currency"]
                    .with_context(active_test=False)
                    .search([("name", "=", spec.compensation_currency)], limit=1)
                )
            fixed_currency = memo["currency", spec.compensation_currency]
            if not fixed_currency:
                raise UserError(
                    self.env._(
                        "The currency %(currency)s of the late-payment compensation is missing.",
                        currency=spec.compensation_currency,
                    )
                )
            amount = self.currency_id._convert(
                self.amount_total, fixed_currency, self.company_id, self.invoice_date or date
            )
        try:
            result = late_charges(
                rule,
                self._dunning_residual_history(),
                self.invoice_date_due,
                date,
                rates=rates,
                fixed_rate=policy.late_charge_rate,
                is_business=self._dunning_is_business(),
                amount=amount,
                rounding=self.currency_id.rounding,
                date_from=date_from,
            )
        except LateChargeError as error:
            raise UserError(self._dunning_late_charge_error(error)) from error
        fixed = 0.0
        if compensation and result.compensation:
            fixed = fixed_currency._convert(
                result.compensation, self.currency_id, self.company_id, date
            )
        return {"interest": result.interest, "compensation": fixed}

    def _dunning_late_charges_batch(self, date):
        """{invoice id: {"interest", "compensation"}} not yet charged at ``date``, for
        these invoices at once: what the "Charge late fees" wizard would charge today
        (interest after the last charged day, compensation if not charged yet).
        Invoices whose charges cannot be computed (a missing reference rate) are left
        out and logged: a reminder does not fail for its information block."""
        charged = self.env["dunning.late.charge"]._charged_until(self)
        memo = {}
        result = {}
        for move in self:
            last, compensated = charged[move]
            try:
                # After the last charged day (none left when charged up to ``date``).
                result[move.id] = move._dunning_late_charges(
                    date,
                    date_from=last and last + timedelta(days=1),
                    compensation=not compensated,
                    memo=memo,
                )
            except UserError as error:
                _logger.warning("Late charges of %s not shown: %s", move.display_name, error)
        return result

    def _dunning_late_charge_error(self, error):
        if error.code == "missing_rate":
            params = error.params
            return self.env._(
                "No %(series)s is recorded for the half-year %(start)s to %(end)s (the "
                "rate in force on %(day)s is needed for the late charges of %(invoice)s). "
                "Add it in Invoicing > Configuration > Collections > Reference Rates.",
                series=dict(RATE_SERIES)[params["series"]],
                start=params["period_start"],
                end=params["period_end"],
                day=params["reference_date"],
                invoice=self.display_name,
            )
        return self.env._("Late charges cannot be computed: %(error)s", error=error)

    def _dunning_ensure_access_tokens(self):
        """Give every invoice its portal token in one query (pay-now links)."""
        missing = self.filtered(lambda move: not move.access_token)
        if missing:
            self.env.cr.execute(
                SQL(
                    "UPDATE account_move SET access_token = gen_random_uuid()::text "
                    "WHERE id IN %s AND access_token IS NULL",
                    tuple(missing.ids),
                ),
                log_exceptions=False,  # a concurrent update is expected and handled
            )
            missing.invalidate_recordset(["access_token"])
            # Read back at once: the messages of the batch read them one customer at a
            # time, and would query them one customer at a time.
            missing.fetch(["access_token"])

    def _dunning_open_installments(self):
        """Open receivable lines of the invoice with something to pay, by due date (as
        the run selects them)."""
        self.ensure_one()
        lines = self.line_ids.filtered(
            lambda line: (
                line.account_id.account_type == "asset_receivable"
                and not line.reconciled
                and line.amount_residual > 0
                and line.date_maturity
            )
        )
        return lines.sorted(lambda line: (line.date_maturity, line.id))

    def _dunning_attaching_soon(self, until):
        """The invoices whose next step, due by ``until``, sends an email with the
        invoice PDFs attached (policy 'Attach invoice PDFs')."""
        ladders = {}
        result = self.browse()
        for move in self:
            partner = move.commercial_partner_id.with_company(move.company_id)
            policy = partner._dunning_get_policy()
            due = move._dunning_first_open_due_date()
            if not policy or not policy.attach_invoice_pdf or not due:
                continue
            if policy not in ladders:
                levels = policy._dunning_ladder_levels()
                ladders[policy] = (levels, *policy._dunning_ladder_data())
            levels, delays, _min_days, start_at_matching = ladders[policy]
            level = move.dunning_level_id
            day = min(move.dunning_next_date, until)
            index = next_level_index(
                delays,
                index_of_delay(delays, level.delay_days) if level else None,
                (day - due).days,
                start_at_matching,
                (day - move.invoice_date).days if move.invoice_date else None,
            )
            if index is not None and "email" in levels[index]._dunning_step_kinds():
                result |= move
        return result

    @api.model
    def _dunning_pdfs_to_warm(self, days=PDF_WARMUP_DAYS):
        """Open invoices without a stored PDF whose next reminder attaches it within
        ``days`` days."""
        until = fields.Date.context_today(self) + timedelta(days=days)
        # sudo: the scheduler reads every company's invoices; nothing is returned
        # to a person.
        moves = self.sudo().search(
            [
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
                ("payment_state", "in", ("not_paid", "partial")),
                ("dunning_next_date", "!=", False),
                ("dunning_next_date", "<=", until),
            ],
            order="dunning_next_date, id",
        )
        stored = (
            self.env["ir.attachment"]
            .sudo()
            .search(
                [
                    ("res_model", "=", "account.move"),
                    ("res_field", "=", "invoice_pdf_report_file"),
                    ("res_id", "in", moves.ids),
                ]
            )
        )
        missing = moves.browse(sorted(set(moves.ids) - set(stored.mapped("res_id"))))
        return missing._dunning_attaching_soon(until).with_env(self.env)

    def _dunning_render_pdfs(self):
        """Render and store the invoice PDFs missing among these invoices, as Odoo's
        invoice sending stores them (without marking the invoices sent). Several at
        once where wkhtmltopdf can split them (a build with patched Qt), else one by
        one. Returns {invoice: error} for those that could not be rendered."""
        missing = self.filtered(lambda move: not move.invoice_pdf_report_id)
        if not missing:
            return {}
        sender = self.env["account.move.send"]
        documents = {
            move: {"pdf_report": sender._get_default_pdf_report_id(move)} for move in missing
        }
        groups = (
            [documents]
            if self._dunning_can_render_together()
            else [{move: data} for move, data in documents.items()]
        )
        errors = {}
        for group in groups:
            try:
                with self.env.cr.savepoint():
                    companies = {move.company_id for move in group}
                    for company in companies:
                        part = {m: d for m, d in group.items() if m.company_id == company}
                        sender.with_company(company)._prepare_invoice_pdf_report(part)
                    self._dunning_store_pdfs(group)
            except Exception as error:
                if len(group) > 1:  # wkhtmltopdf could not split them: one by one
                    errors.update(self.browse([m.id for m in group])._dunning_render_one_by_one())
                    continue
                move = next(iter(group))
                _logger.warning("Cannot render the PDF of %s", move.name, exc_info=True)
                errors[move] = str(error)
        return errors

    def _dunning_render_one_by_one(self):
        errors = {}
        for move in self:
            errors.update(move._dunning_render_pdfs())
        return errors

    @api.model
    def _dunning_can_render_together(self):
        """wkhtmltopdf splits several invoices of one PDF only with patched Qt; tests
        render HTML, one by one as in production without it."""
        from odoo.addons.base.models.ir_actions_report import _wkhtml  # noqa: PLC0415

        if modules.module.current_test or config["test_enable"]:
            return False
        return _wkhtml().is_patched_qt

    @api.model
    def _dunning_store_pdfs(self, documents):
        """Store rendered PDFs as the invoices' own PDF (``invoice_pdf_report_file``),
        as account.move.send does, without marking the invoices sent: the reminder
        that attaches one sends it."""
        values = [data["pdf_attachment_values"] for data in documents.values()]
        # sudo: the invoice PDF is a protected binary field, written by Odoo's invoice
        # sending as superuser as well; the content is the invoice's own report.
        attachments = self.env["ir.attachment"].sudo().create(values)
        by_move = {attachment.res_id: attachment for attachment in attachments}
        for move in documents:
            if not move.message_main_attachment_id and move.id in by_move:
                move.sudo().message_main_attachment_id = by_move[move.id]
        self.browse([move.id for move in documents]).invalidate_recordset(
            ["invoice_pdf_report_id", "invoice_pdf_report_file"]
        )

    @api.model
    def _dunning_paid_history(self, company, today, partner_ids=None):
        """Days late of the customer invoices of ``company`` paid in the 24 months up to
        ``today``, per customer (commercial partner): {partner id: {count, mean, var,
        on_time, recent_count, recent_mean, before_mean}}. One query for all customers.

        An invoice instalment is paid on the date of the last payment or credit note
        reconciled with it (the partial reconciliation's date, as the invoice's payment
        widget shows it), and its days late are that date minus its due date. Invoices
        cancelled by a credit note (reversed) or written off are not payments.
        """
        self.env["account.move"].flush_model(
            ["company_id", "move_type", "state", "payment_state", "commercial_partner_id",
             "dunning_stage"]
        )  # fmt: skip
        self.env["account.move.line"].flush_model(
            ["move_id", "display_type", "date_maturity", "reconciled"]
        )
        self.env["account.partial.reconcile"].flush_model(["debit_move_id", "max_date"])
        partners = (
            SQL("AND m.commercial_partner_id IN %s", tuple(partner_ids)) if partner_ids else SQL()
        )
        rows = self.env.execute_query_dict(
            SQL(
                """
            WITH paid AS (
                SELECT m.commercial_partner_id AS partner_id,
                       MAX(apr.max_date) - aml.date_maturity AS late,
                       MAX(apr.max_date) AS paid_on
                  FROM account_move m
                  JOIN account_move_line aml ON aml.move_id = m.id
                                             AND aml.display_type = 'payment_term'
                                             AND aml.reconciled
                  JOIN account_partial_reconcile apr ON apr.debit_move_id = aml.id
                 WHERE m.company_id = %(company)s
                   AND m.move_type = 'out_invoice'
                   AND m.state = 'posted'
                   AND m.payment_state IN ('paid', 'in_payment')
                   AND m.dunning_stage != 'written_off'
                   %(partners)s
              GROUP BY m.commercial_partner_id, aml.id
                HAVING MAX(apr.max_date) BETWEEN %(since)s AND %(today)s
            )
            SELECT partner_id,
                   COUNT(*) AS count,
                   AVG(late)::float AS mean,
                   COALESCE(VAR_SAMP(late), 0)::float AS var,
                   COUNT(*) FILTER (WHERE late <= 0) AS on_time,
                   COUNT(*) FILTER (WHERE paid_on >= %(recent)s) AS recent_count,
                   (AVG(late) FILTER (WHERE paid_on >= %(recent)s))::float AS recent_mean,
                   (AVG(late) FILTER (WHERE paid_on < %(recent)s))::float AS before_mean
              FROM paid
          GROUP BY partner_id
                """,
                company=company.id,
                partners=partners,
                since=today - timedelta(days=HISTORY_DAYS),
                recent=today - timedelta(days=RECENT_DAYS),
                today=today,
            )
        )
        return {row["partner_id"]: row for row in rows}

    @api.model
    def _cron_dunning_warm_pdfs(self, days=PDF_WARMUP_DAYS, batch_size=PDF_WARMUP_BATCH):
        """Scheduled: render ahead, in committed batches, the invoice PDFs that the
        reminders of the next ``days`` days will attach."""
        moves = self._dunning_pdfs_to_warm(days)
        self.env["ir.cron"]._commit_progress(remaining=len(moves))
        for ids in split_every(batch_size, moves.ids):
            batch = self.browse(ids)
            batch._dunning_render_pdfs()
            if self.env["ir.cron"]._commit_progress(len(batch)) <= 0:
                return  # out of time: the cron is called again for the rest
