import logging

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL, split_every

from ..tools.ladder import index_of_delay, next_step_date
from ..tools.stages import CHASABLE_STAGES, STAGES

_logger = logging.getLogger(__name__)

# Invoices per chunk when next step dates are recomputed for a whole book.
RECOMPUTE_CHUNK = 2000

# Kept for the modules and data that import it from here.
DUNNING_STAGES = list(STAGES)


class AccountMove(models.Model):
    _inherit = "account.move"

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
    dunning_exclusion_reason = fields.Char(string="Exclusion Reason", copy=False)
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

    @api.depends_context("tz")
    @api.depends(
        "move_type",
        "state",
        "payment_state",
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

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su and any(
            vals.get("dunning_stage", "normal") != "normal" for vals in vals_list
        ):
            raise AccessError(self._dunning_stage_flow_message())
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.su:
            if "dunning_stage" in vals:
                raise AccessError(self._dunning_stage_flow_message())
            if "dunning_event_ids" in vals:
                raise AccessError(
                    self.env._("The collections history of an invoice is written by its events.")
                )
            if "dunning_payment_plan_ids" in vals:
                raise AccessError(
                    self.env._("An invoice joins or leaves a payment plan through the plan.")
                )
        return super().write(vals)

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

    def _dunning_stage_flow_message(self):
        return self.env._(
            "The collections stage of an invoice changes through its flow (promise, "
            "dispute, payment plan, hand-off, recovery, write-off), not by hand. A "
            "collections manager can correct it with 'Correct Collections Stage'."
        )

    def action_dunning_correct_stage(self):
        """A manager's explicit, logged correction of the stage (opens the wizard)."""
        if not self.env.user.has_group("account_dunning.group_dunning_manager"):
            raise AccessError(self._dunning_stage_flow_message())
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account_dunning.action_dunning_stage_wizard"
        )
        action["context"] = {"default_move_ids": self.ids}
        return action

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

    @api.depends("commercial_partner_id", "company_id")
    def _compute_dunning_credit_hold(self):
        for move in self:
            partner = move.commercial_partner_id.with_company(move.company_id)
            move.dunning_credit_hold = bool(partner.dunning_credit_hold)

    @api.depends("dunning_credit_hold")
    def _compute_alerts(self):
        return super()._compute_alerts()

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

    def _get_alerts(self):
        alerts = super()._get_alerts()
        if self.move_type == "out_invoice" and self.state == "draft" and self.dunning_credit_hold:
            alerts["account_dunning_credit_hold"] = {
                "level": "warning",
                "message": self._dunning_credit_hold_message(),
            }
        return alerts

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

    def _compute_dunning_payment_plan_count(self):
        for move in self:
            move.dunning_payment_plan_count = len(move.dunning_payment_plan_ids)

    def action_view_dunning_payment_plans(self):
        self.ensure_one()
        return self.dunning_payment_plan_ids._dunning_open_action()
