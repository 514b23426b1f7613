import logging
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

DUNNING_STAGES = [
    ("normal", "Normal"),
    ("promised", "Promised"),
    ("plan", "Payment Plan"),
    ("dispute", "Disputed"),
    ("agency", "At Agency"),
    ("legal", "Legal Action"),
    ("recovered", "Recovered"),
    ("written_off", "Written Off"),
]


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
        copy=False,
        tracking=True,
        help="Only invoices in the Normal stage climb the dunning ladder.",
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

    @api.depends(
        "move_type",
        "state",
        "payment_state",
        "invoice_date_due",
        "dunning_level_id",
        "dunning_last_date",
        "dunning_stage",
        "dunning_excluded",
        "commercial_partner_id",
    )
    def _compute_dunning_next_date(self):
        to_chase = self.filtered(lambda m: m._dunning_is_chasable())
        (self - to_chase).dunning_next_date = False
        for move in to_chase:
            policy = move.dunning_level_id.policy_id or move._dunning_get_policy()
            levels = policy.level_ids.sorted(lambda lvl: (lvl.sequence, lvl.id))
            current = move.dunning_level_id
            upcoming = levels.filtered(lambda lvl, cur=current: lvl.delay_days > cur.delay_days)
            if current and current not in levels:
                upcoming = levels.browse()
            elif not current:
                upcoming = levels
            if not upcoming:
                move.dunning_next_date = False
                continue
            next_date = move.invoice_date_due + timedelta(days=upcoming[0].delay_days)
            if move.dunning_last_date:
                earliest = move.dunning_last_date + timedelta(days=policy.min_days_between_steps)
                next_date = max(next_date, earliest)
            move.dunning_next_date = next_date

    def _compute_dunning_event_count(self):
        for move in self:
            move.dunning_event_count = len(move.dunning_event_ids)

    @api.depends_context("tz")
    @api.depends("invoice_date_due")
    def _compute_dunning_days_overdue(self):
        today = fields.Date.context_today(self)
        for move in self:
            due = move.invoice_date_due
            move.dunning_days_overdue = (today - due).days if due else 0

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

    def _dunning_set_level(self, level_id, day):
        """Record a step of the ladder on posted invoices.

        Only the module's own bookkeeping columns change, so this bypasses
        account.move.write(), whose journal-line synchronisation and tracking cost a
        run tens of queries per invoice for nothing; dependent stored fields
        (dunning_next_date) are still recomputed through the ORM.
        """
        if not self:
            return
        self.flush_recordset(["dunning_level_id", "dunning_last_date"])
        self.env.execute_query(
            SQL(
                "UPDATE account_move SET dunning_level_id = %s, dunning_last_date = %s "
                "WHERE id IN %s",
                level_id,
                day,
                tuple(self.ids),
            )
        )
        self.invalidate_recordset(["dunning_level_id", "dunning_last_date"])
        self.modified(["dunning_level_id", "dunning_last_date"])

    def _dunning_ensure_access_tokens(self):
        """Give every invoice its portal token in one query (pay-now links)."""
        missing = self.filtered(lambda move: not move.access_token)
        if missing:
            self.env.execute_query(
                SQL(
                    "UPDATE account_move SET access_token = gen_random_uuid()::text "
                    "WHERE id IN %s AND access_token IS NULL",
                    tuple(missing.ids),
                )
            )
            missing.invalidate_recordset(["access_token"])

    def _dunning_invoice_rows(self, on_date):
        """The rows of the invoice table of dunning messages, letters and agreements:
        oldest due first, with the residual in the invoice's currency and the pay-now
        link of its portal page."""
        rows = []
        for move in self.sorted(lambda m: (m.invoice_date_due or m.date, m.id)):
            due = move.invoice_date_due
            rows.append(
                {
                    "move": move,
                    "name": move.name,
                    "invoice_date": move.invoice_date,
                    "date_due": due,
                    "days_overdue": (on_date - due).days if due else 0,
                    "residual": move.amount_residual,
                    "currency": move.currency_id,
                    "url": move.get_base_url() + move.get_portal_url(),
                }
            )
        return rows

    def _dunning_is_chasable(self):
        """True for an open posted customer invoice in the Normal stage, not excluded."""
        self.ensure_one()
        return (
            self.move_type == "out_invoice"
            and self.state == "posted"
            and self.payment_state in ("not_paid", "partial")
            and self.dunning_stage == "normal"
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
            invoice.dunning_stage = case.handoff_type if case else "normal"
            case._update_state()

    def _compute_dunning_payment_plan_count(self):
        for move in self:
            move.dunning_payment_plan_count = len(move.dunning_payment_plan_ids)

    def action_view_dunning_payment_plans(self):
        self.ensure_one()
        return self.dunning_payment_plan_ids._dunning_open_action()
