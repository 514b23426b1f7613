import json
import logging
import math
import re
from collections import Counter, defaultdict
from datetime import datetime, timedelta

from dateutil.relativedelta import relativedelta
from markupsafe import Markup
from psycopg2.errors import LockNotAvailable

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.fields import Command
from odoo.tools import SQL, consteq, email_normalize, format_amount, format_date
from odoo.tools.mimetypes import guess_mimetype
from odoo.tools.misc import hmac

from ..tools.aging import BUCKETS, OpenItem, age_items
from ..tools.flows import is_sane_amount
from ..tools.ledger import CREDIT_NOTE, ENTRY, INVOICE, PAYMENT, Item, Ledger
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
from ..tools.priority import dunning_priority
from ..tools.stages import (
    CHASABLE_STAGES,
    DISPUTABLE_STAGES,
    PLANNABLE_STAGES,
    PROMISABLE_STAGES,
)
from ..tools.statement_xlsx import statement_xlsx
from .account_move import HISTORY_DAYS, PREDICTION_GROUPS

_logger = logging.getLogger(__name__)

# The links a customer receives: their signature scopes and their routes.
LINK_SCOPES = {
    "self_service": "account_dunning.self_service",
    "email_opt_out": "account_dunning.email_opt_out",
    "sms_stop": "account_dunning.sms_opt_out",
}
LINK_PATHS = {
    "self_service": "/dunning/account",
    "email_opt_out": "/dunning/email_opt_out",
    # The one link of a reminder SMS: the customer's open invoices to pay, and the
    # button that stops the SMS (short: an SMS has 160 characters; the former
    # /dunning/sms_stop path of SMS already sent still opens it).
    "sms_stop": "/dunning/sms",
}
# Days a self-service link stays valid without a policy saying otherwise.
DEFAULT_LINK_DAYS = 90

# 16 hex digits (64 bits) of the HMAC: an SMS has 160 characters, and a link that can
# only be guessed online, one request at a time, needs no more.
SMS_TOKEN_LENGTH = 16


# Who reads a customer's collections figures: those who read its receivable (the groups
# of Odoo's own res.partner.credit) and the collections users.
DUNNING_FIGURES_GROUPS = (
    "account.group_account_invoice,account.group_account_readonly,"
    "account_dunning.group_dunning_user"
)

# What a customer may attach to a dispute: documents and photos, checked on the content.
DISPUTE_FILE_MAX_BYTES = 5 * 1024 * 1024

DISPUTE_FILE_MIMETYPES = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}

MAX_TEXT = 2000  # characters kept of a customer's message


class DunningSelfServiceRefused(UserError):
    """A self-service action refused: the message is shown to the customer."""


class DunningSelfServiceRateLimited(DunningSelfServiceRefused):
    """Too many self-service actions in the last hour."""


# Payments received over this many days before the statement date are listed.
PAYMENTS_LOOKBACK_DAYS = 90

# Customers per committed batch of the monthly statements (each renders a PDF).
STATEMENT_BATCH_SIZE = 20

# Customers whose priority is written by one UPDATE.
PRIORITY_BATCH_SIZE = 1000


class ResPartner(models.Model):
    _name = "res.partner"
    _inherit = ["res.partner", "dunning.authority.mixin"]

    dunning_policy_id = fields.Many2one(
        "dunning.policy",
        company_dependent=True,
        domain=lambda self: [("company_id", "=", self.env.company.id)],
        help="Empty: the company's default policy.",
    )
    dunning_collector_id = fields.Many2one(
        "res.users",
        string="Collector",
        company_dependent=True,
        domain="[('share', '=', False)]",
        help="Who follows this customer's collections and gets its calls. Empty: the "
        "policy's default collector.",
    )
    dunning_contact_id = fields.Many2one(
        "res.partner",
        string="Accounts Payable Contact",
        domain="[('commercial_partner_id', '=', commercial_partner_id)]",
        help="Who receives dunning messages. Empty: the invoice address, else the customer itself.",
    )
    dunning_excluded = fields.Boolean(string="Excluded from Collections", company_dependent=True)
    # The collectors' own notes: not for the customer (a portal user reads its partner).
    dunning_exclusion_reason = fields.Char(
        string="Exclusion Reason",
        company_dependent=True,
        groups="account_dunning.group_dunning_user",
    )
    dunning_currency_id = fields.Many2one(
        "res.currency",
        compute="_compute_dunning_figures",
    )
    dunning_balance = fields.Monetary(
        groups=DUNNING_FIGURES_GROUPS,
        string="Receivable Balance",
        compute="_compute_dunning_figures",
        currency_field="dunning_currency_id",
        help="Open receivable net of credit notes and unallocated payments (company currency).",
    )
    dunning_overdue_amount = fields.Monetary(
        groups=DUNNING_FIGURES_GROUPS,
        string="Overdue Amount",
        compute="_compute_dunning_figures",
        currency_field="dunning_currency_id",
        search="_search_dunning_overdue_amount",
        help="Open receivable past its due date, net of credit notes and unallocated "
        "payments (company currency).",
    )
    dunning_oldest_overdue_days = fields.Integer(
        groups=DUNNING_FIGURES_GROUPS,
        string="Days Overdue",
        compute="_compute_dunning_figures",
        help="Age past due of the oldest unpaid customer invoice. Other open receivable "
        "items (miscellaneous entries, credit notes, payments) count in the amounts only.",
    )
    dunning_max_level_id = fields.Many2one(
        "dunning.level", string="Current Level", compute="_compute_dunning_figures"
    )
    dunning_next_date = fields.Date(string="Next Step", compute="_compute_dunning_figures")
    dunning_event_count = fields.Integer(compute="_compute_dunning_event_count")

    # Hand-off (issue #5): collection agencies and credit hold
    dunning_is_agency = fields.Boolean(
        string="Collection Agency",
        help="This contact collects debts for us: it can receive hand-offs.",
    )
    dunning_agency_commission = fields.Float(
        string="Agency Commission (%)",
        digits=(5, 2),
        help="Share of every amount it recovers that the agency invoices us.",
    )
    dunning_agency_email = fields.Char(
        string="Case Files Email",
        help="Where hand-offs and case files are sent. Empty: the contact's email.",
    )
    dunning_credit_hold = fields.Boolean(
        string="Credit Hold",
        company_dependent=True,
        help="No new sale on credit to this customer: a warning shows on its new invoices.",
    )
    dunning_case_count = fields.Integer(compute="_compute_dunning_case_count")

    # Payment plans (issue #4)
    dunning_payment_plan_count = fields.Integer(compute="_compute_dunning_payment_plan_count")

    dunning_email_opt_out = fields.Boolean(
        string="No Reminder Emails",
        help="This customer or contact asked for no collections reminder by email (for "
        "every company): the ladder's other steps (letter, call, SMS) go on. Consumers "
        "can set it themselves with the link at the bottom of every reminder.",
    )
    dunning_email_is_workplace = fields.Boolean(
        string="Work Email Address",
        help="The email address is at the person's workplace: a consumer gets no "
        "collections reminder there (Regulation F 1006.22(f)).",
    )

    # Late charges (issue #11): consumer or business, and the "Charge late fees" button.
    dunning_is_consumer = fields.Boolean(
        string="Consumer (Collections)",
        compute="_compute_dunning_is_consumer",
        store=True,
        readonly=False,
        help="Consumers get no fixed compensation and, under EU, UK and French rules, "
        "no statutory interest. Defaults to individuals (not a company); can be changed, "
        "e.g. for a sole trader who buys for his business.",
    )

    # Manual control of a customer's reminders: automatic or by hand only, and a
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
    dunning_postpone_reason = fields.Char(
        string="Postpone Reason",
        company_dependent=True,
        groups="account_dunning.group_dunning_user",
    )

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

    # Promises and disputes of a customer: counts and the collector's buttons.
    dunning_promise_kept_count = fields.Integer(
        string="Promises Kept", compute="_compute_dunning_promise_counts"
    )
    dunning_promise_broken_count = fields.Integer(
        string="Promises Broken", compute="_compute_dunning_promise_counts"
    )
    dunning_promise_open_count = fields.Integer(
        string="Open Promises", compute="_compute_dunning_promise_counts"
    )
    dunning_dispute_open_count = fields.Integer(
        string="Open Disputes", compute="_compute_dunning_promise_counts"
    )

    dunning_statement_monthly = fields.Boolean(
        string="Send a monthly statement",
        company_dependent=True,
        help="On the 1st of every month, email this customer's statement of account to "
        "its accounts-payable contact, when it has open items.",
    )
    dunning_statement_last_date = fields.Date(
        string="Last Monthly Statement",
        company_dependent=True,
        copy=False,
        readonly=True,
        help="When the monthly statement was last queued: one per month at most.",
    )

    # The collector's worklist "My collections": whom to call first, and the figures
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

    dunning_replied = fields.Boolean(
        string="Replied",
        compute="_compute_dunning_replied",
        search="_search_dunning_replied",
        help="The customer answered a reminder by email and the collector's 'Customer "
        "replied' activity is still open.",
    )

    _dunning_agency_commission_range = models.Constraint(
        "CHECK(dunning_agency_commission >= 0 AND dunning_agency_commission <= 100)",
        "An agency's commission is a percentage between 0 and 100.",
    )

    def _compute_dunning_figures(self):
        company = self.env.company
        commercial = self.commercial_partner_id
        ledgers = commercial._dunning_ledger() if commercial else {}
        levels, next_dates = self._dunning_invoice_levels(commercial)
        for partner in self:
            key = partner.commercial_partner_id.id
            ledger = ledgers.get(key)
            partner.dunning_currency_id = company.currency_id
            partner.dunning_balance = ledger.net_company() if ledger else 0.0
            partner.dunning_overdue_amount = ledger.overdue_company() if ledger else 0.0
            partner.dunning_oldest_overdue_days = ledger.oldest_overdue_days() if ledger else 0
            partner.dunning_max_level_id = levels.get(key, False)
            partner.dunning_next_date = next_dates.get(key, False)

    def _search_dunning_overdue_amount(self, operator, value):
        if operator not in ("<", "<=", ">", ">=", "=", "!="):
            return NotImplemented
        # Filtering by the overdue amount is reading it, for the same groups.
        self._check_field_access(self._fields["dunning_overdue_amount"], "read")
        compare = {
            "<": lambda a, b: a < b,
            "<=": lambda a, b: a <= b,
            ">": lambda a, b: a > b,
            ">=": lambda a, b: a >= b,
            "=": lambda a, b: a == b,
            "!=": lambda a, b: a != b,
        }[operator]
        currency = self.env.company.currency_id
        ledgers = self._dunning_ledgers_from_rows(self._dunning_ledger_rows())
        value = currency.round(value or 0.0)
        matching = [
            partner_id
            for partner_id, ledger in ledgers.items()
            if compare(currency.round(ledger.overdue_company()), value)
        ]
        if compare(0.0, value):  # customers without open items have 0 overdue
            return [("commercial_partner_id", "not in", list(set(ledgers) - set(matching)))]
        return [("commercial_partner_id", "in", matching)]

    def _compute_dunning_event_count(self):
        counts = dict(
            self.env["dunning.event"]._read_group(
                [("partner_id", "in", self.commercial_partner_id.ids)],
                ["partner_id"],
                ["__count"],
            )
        )
        for partner in self:
            partner.dunning_event_count = counts.get(partner.commercial_partner_id, 0)

    def _compute_dunning_case_count(self):
        counts = dict(
            self.env["dunning.case"]._read_group(
                [("partner_id", "in", self.commercial_partner_id.ids)],
                ["partner_id"],
                ["__count"],
            )
        )
        for partner in self:
            partner.dunning_case_count = counts.get(partner.commercial_partner_id, 0)

    def _compute_dunning_payment_plan_count(self):
        counts = dict(
            self.env["dunning.payment.plan"]._read_group(
                [("partner_id", "in", self.commercial_partner_id.ids)], ["partner_id"], ["__count"]
            )
        )
        for partner in self:
            partner.dunning_payment_plan_count = counts.get(partner.commercial_partner_id, 0)

    @api.depends("is_company")
    def _compute_dunning_is_consumer(self):
        for partner in self:
            partner.dunning_is_consumer = not partner.is_company

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

    def _compute_dunning_promise_counts(self):
        commercial = self.commercial_partner_id
        promises = defaultdict(int)
        for partner, state, count in self.env["dunning.promise"]._read_group(
            [("partner_id", "in", commercial.ids)], ["partner_id", "state"], ["__count"]
        ):
            promises[partner.id, state] = count
        disputes = dict(
            self.env["dunning.dispute"]._read_group(
                [("partner_id", "in", commercial.ids), ("state", "=", "open")],
                ["partner_id"],
                ["__count"],
            )
        )
        for partner in self:
            key = partner.commercial_partner_id
            partner.dunning_promise_kept_count = promises[key.id, "kept"]
            partner.dunning_promise_broken_count = promises[key.id, "broken"]
            partner.dunning_promise_open_count = promises[key.id, "open"]
            partner.dunning_dispute_open_count = disputes.get(key, 0)

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

    def _compute_dunning_replied(self):
        replied = self._dunning_replied_ids()
        for partner in self:
            partner.dunning_replied = partner.commercial_partner_id.id in replied

    def _search_dunning_replied(self, operator, value):
        if operator != "in":
            return NotImplemented
        ids = list(self._dunning_replied_ids())
        return [("id", "in" if True in value else "not in", ids)]

    def _dunning_replied_ids(self):
        """The customers with an open 'Customer replied' activity (one per customer:
        dunning.engine._dunning_customer_replied)."""
        reply_type = self.env.ref(
            "account_dunning.mail_activity_type_dunning_reply", raise_if_not_found=False
        )
        if not reply_type:
            return set()
        # sudo: whether such an activity is open, not what it says.
        groups = (
            self.env["mail.activity"]
            .sudo()
            ._read_group(
                [("res_model", "=", "res.partner"), ("activity_type_id", "=", reply_type.id)],
                ["res_id"],
            )
        )
        return {res_id for (res_id,) in groups}

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
        bounced = {}
        if "email" in vals:
            bounced = {partner.id: partner.email_normalized for partner in self
                       if partner.message_bounce}  # fmt: skip
        res = super().write(vals)
        if bounced:
            # A corrected address starts with no bounce: Odoo's own reset, as when mail
            # arrives from an address (the counter holds back reminder emails).
            for partner in self.filtered(lambda p: p.id in bounced):
                if partner.email_normalized != bounced[partner.id]:
                    partner._message_reset_bounce(partner.email_normalized)
        if before:
            changed = self.filtered(
                lambda p: tuple(p[name] for name in sorted(watched)) != before[p.id]
            )
            changed._dunning_log_manual_control()
        if {"dunning_excluded", "dunning_policy_id"} & set(vals):
            # The next step of their invoices follows (company of the write).
            self.env["account.move"]._dunning_recompute_next_dates(
                [
                    ("commercial_partner_id", "in", self.commercial_partner_id.ids),
                    ("company_id", "=", self.env.company.id),
                ]
            )
        return res

    def action_view_dunning_events(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account_dunning.action_dunning_event"
        )
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {"search_default_group_by_date": 0}
        return action

    def action_dunning_send_now(self):
        """Send the customers their reminder now, through the daily run's engine."""
        run = self.env["dunning.run"]._dunning_create_reminder_run(self)
        run.action_execute()
        done = run.line_ids.filtered(lambda line: line.state == "done")
        if not run.line_ids:
            message = self.env._("Nothing to remind: no open invoice is due.")
        else:
            message = "\n".join(
                f"{line.partner_id.display_name}: {line._describe()}" for line in run.line_ids
            )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Collections"),
                "message": message,
                "type": "success" if done else "warning",
                "sticky": not done,
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    def action_view_dunning_cases(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account_dunning.action_dunning_case"
        )
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {"default_partner_id": self.commercial_partner_id.id}
        return action

    def action_view_dunning_payment_plans(self):
        self.ensure_one()
        plans = self.env["dunning.payment.plan"].search(
            [("partner_id", "=", self.commercial_partner_id.id)]
        )
        return plans._dunning_open_action()

    def action_dunning_late_charges(self):
        """Open the late-charge wizard on this customer's open overdue invoices."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account_dunning.action_dunning_late_charge_wizard"
        )
        action["context"] = {"default_partner_id": self.commercial_partner_id.id}
        return action

    def action_view_dunning_promises(self):
        self.ensure_one()
        promises = self.env["dunning.promise"].search(
            [("partner_id", "=", self.commercial_partner_id.id)]
        )
        action = promises._dunning_open_action()
        if len(promises) != 1:
            action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {"default_partner_id": self.commercial_partner_id.id}
        return action

    def action_view_dunning_disputes(self):
        self.ensure_one()
        disputes = self.env["dunning.dispute"].search(
            [("partner_id", "=", self.commercial_partner_id.id)]
        )
        action = disputes._dunning_open_action()
        if len(disputes) != 1:
            action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {"default_partner_id": self.commercial_partner_id.id}
        return action

    def action_dunning_new_promise(self):
        """A promise for the customer's open invoices that can be promised."""
        self.ensure_one()
        moves = self.commercial_partner_id._dunning_open_moves(PROMISABLE_STAGES)
        moves = moves.filtered(lambda m: m.currency_id == moves[:1].currency_id)
        return moves.action_dunning_promise() if moves else self._dunning_nothing_open()

    def action_dunning_new_dispute(self):
        self.ensure_one()
        moves = self.commercial_partner_id._dunning_open_moves(DISPUTABLE_STAGES)
        return moves.action_dunning_dispute() if moves else self._dunning_nothing_open()

    def action_dunning_log_call(self):
        """Log a collections call with the customer (its open call activity, if any)."""
        self.ensure_one()
        customer = self.commercial_partner_id
        call_type = self.env.ref("account_dunning.mail_activity_type_dunning_call")
        activity = self.env["mail.activity"].search(
            [
                ("res_model", "=", "res.partner"),
                ("res_id", "=", customer.id),
                ("activity_type_id", "=", call_type.id),
            ],
            order="date_deadline, id",
            limit=1,
        )
        return self.env["dunning.call.wizard"]._dunning_open(customer, activity)

    def action_dunning_send_print(self):
        """Send & Print: the wizard to send this customer its reminder now, with the
        channels the person chooses and the message as they edit it. On several
        customers ("Send reminders" on a selection), the same wizard for all of them."""
        if not self.env.user.has_group("account_dunning.group_dunning_user"):
            raise AccessError(self.env._("Only collections users can send reminders."))
        self.check_access("read")
        customers = self.commercial_partner_id
        if len(customers) > 1:
            name = self.env._("Send reminders")
            context = {"default_partner_ids": customers.ids}
        else:
            self.ensure_one()
            name = self.env._("Send & Print")
            context = {"default_partner_id": customers.id}
        return {
            "type": "ir.actions.act_window",
            "name": name,
            "res_model": "dunning.send.wizard",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {**context, "default_company_id": self.env.company.id},
        }

    # --------------------------------------------------------------- actions

    def action_dunning_print_statement(self):
        """The statement of account of the customers, as a PDF."""
        return self.env.ref("account_dunning.action_report_dunning_statement").report_action(
            self.commercial_partner_id
        )

    def action_dunning_statement_xlsx(self):
        """The statement of account of the customer, as a spreadsheet (XLSX)."""
        self.ensure_one()
        self._dunning_check_ledger_access()
        self.check_access("read")
        return {
            "type": "ir.actions.act_url",
            "url": f"/dunning/statement/{self.commercial_partner_id.id}/xlsx",
            "target": "download",
        }

    def action_dunning_send_statement(self):
        """Send the customer its statement of account now, through the gateway (a
        person's send: the one message a day rule gives way, logged)."""
        self.ensure_one()
        customer = self.commercial_partner_id
        [status] = customer._dunning_send_statements(
            self.env._("Statement of account sent by %(user)s.", user=self.env.user.name),
            override=True,
        )
        event = self.env["dunning.event"].search(
            [("partner_id", "=", customer.id), ("channel", "=", "statement")],
            order="id desc",
            limit=1,
        )
        message = (
            self.env._(
                "Statement of account sent to %(contact)s.", contact=event.contact_id.display_name
            )
            if status == "sent"
            else event.reason
        )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Collections"),
                "message": message,
                "type": "success" if status == "sent" else "warning",
                "sticky": status != "sent",
            },
        }

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

    def _dunning_invoice_levels(self, commercial):
        """Highest level reached and next step date per customer, over open invoices."""
        if not commercial:
            return {}, {}
        groups = self.env["account.move"]._read_group(
            [
                ("commercial_partner_id", "in", commercial.ids),
                ("company_id", "=", self.env.company.id),
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
                ("payment_state", "in", ("not_paid", "partial")),
            ],
            ["commercial_partner_id"],
            ["dunning_level_id:array_agg", "dunning_next_date:min"],
        )
        levels, next_dates = {}, {}
        for partner, level_ids, next_date in groups:
            reached = self.env["dunning.level"].browse(filter(None, level_ids))
            if reached:
                levels[partner.id] = max(reached, key=lambda lvl: (lvl.delay_days, lvl.id))
            next_dates[partner.id] = next_date
        return levels, next_dates

    def _dunning_open_invoices_domain(self):
        """Domain of this customer's open, posted invoices in the current company."""
        return [
            ("commercial_partner_id", "=", self.commercial_partner_id.id),
            ("company_id", "=", self.env.company.id),
            ("move_type", "=", "out_invoice"),
            ("state", "=", "posted"),
            ("payment_state", "in", ("not_paid", "partial")),
        ]

    def _dunning_get_policy(self):
        """The policy that applies to this customer in the current company."""
        self.ensure_one()
        partner = self.commercial_partner_id
        return partner.dunning_policy_id or self.env.company.dunning_default_policy_id

    def _dunning_get_contact(self):
        self.ensure_one()
        return self._dunning_get_contacts()[self.id]

    def _dunning_get_contacts(self):
        """Who receives each customer's dunning messages: the accounts-payable contact,
        else the invoice address, else the customer itself; the first of them with an
        email address. Returns {partner id: contact}, in four queries for any number."""
        self.fetch(["commercial_partner_id"])
        commercial = self.commercial_partner_id
        commercial.fetch(["dunning_contact_id"])
        invoice_addresses = {}
        for child in self.search_fetch(
            [("parent_id", "in", commercial.ids), ("type", "=", "invoice")],
            ["parent_id"],
            order="id desc",
        ):
            invoice_addresses[child.parent_id.id] = child.id
        # By ids: recordset unions per customer cost more than the rest of a plan.
        candidates_of = {}
        for customer in commercial:
            ids = (customer.dunning_contact_id.id, invoice_addresses.get(customer.id), customer.id)
            candidates_of[customer.id] = list(dict.fromkeys(i for i in ids if i))
        candidates = self.browse({i for ids in candidates_of.values() for i in ids})
        candidates.fetch(["email"])
        has_email = {contact.id: bool(contact.email) for contact in candidates}
        contacts = {}
        for partner in self:
            ids = candidates_of[partner.commercial_partner_id.id]
            contacts[partner.id] = self.browse(next((i for i in ids if has_email[i]), ids[0]))
        return contacts

    def _dunning_get_agency_email(self):
        """Where case files go: the agency's case email, else its email."""
        self.ensure_one()
        return self.dunning_agency_email or self.email

    def _dunning_contact_tz(self, company):
        """The time zone to contact this person in: theirs, else their company's, else
        the creditor company's, else UTC."""
        self.ensure_one()
        return self.tz or self.commercial_partner_id.tz or company.partner_id.tz or "UTC"

    def _dunning_phone_holder(self, customer):
        """Whose number reaches ``customer`` through this contact (an SMS, a call): the
        contact's when it has one, else the customer's."""
        return self if self.phone else customer

    def _dunning_channel_block(self, channel, customer):
        """Why a message by ``channel`` (a Channel of the registry) cannot reach this
        contact of ``customer``: (event state, reason, whether the contact must be
        fixed), or False. Opted out: skipped; missing what it needs: failed."""
        contact = self[:1] or customer
        if channel.opt_out == "email" and contact:
            blocked = contact._dunning_email_block_reason(customer)
            if blocked:
                return ("skipped", blocked, False)
        if channel.needs == "email" and (not contact.email or contact.message_bounce):
            # Odoo's own bounce counter (mail's bounce handling on the gateway): no
            # reminder to an address that bounces until it is corrected (a new address,
            # or mail received from it: Odoo resets the counter then).
            reason = (
                self.env._(
                    "Email not sent: %(email)s bounced (%(count)s bounce(s)); correct the "
                    "address of %(contact)s.",
                    email=contact.email,
                    count=contact.message_bounce,
                    contact=contact.display_name,
                )
                if contact.email
                else self.env._("No email address for %(contact)s.", contact=contact.display_name)
            )
            return ("failed", reason, True)
        if channel.needs == "phone":
            holder = contact._dunning_phone_holder(customer)
            number = holder._dunning_sms_number()
            if not number:
                return (
                    "failed",
                    self.env._(
                        "No phone number for %(contact)s: the SMS was not sent.",
                        contact=contact.display_name,
                    ),
                    True,
                )
            if channel.opt_out == "sms" and self._dunning_sms_blacklisted([number]):
                return (
                    "skipped",
                    self.env._(
                        "SMS not sent: %(number)s asked for no more SMS (phone blacklist).",
                        number=number,
                    ),
                    False,
                )
        if channel.needs == "address" and not contact._dunning_postal_recipient(customer):
            return (
                "failed",
                self.env._(
                    "No complete postal address for %(contact)s (street, zip, city and country).",
                    contact=contact.display_name,
                ),
                True,
            )
        return False

    def _dunning_check_contact_of(self, customer):
        """Refuse this contact as a recipient for ``customer`` unless it is one of the
        customer's own (a hold's or a plan's confirmation goes to it)."""
        if self and self.commercial_partner_id != customer.commercial_partner_id:
            raise UserError(
                self.env._(
                    "%(contact)s is not a contact of %(customer)s.",
                    contact=self.display_name,
                    customer=customer.commercial_partner_id.display_name,
                )
            )

    def _dunning_postal_recipient(self, customer):
        """Who a letter to this contact of ``customer`` is addressed to: the contact
        with its own complete address, else the customer with its; empty without one.
        Complete as Snailmail judges it (the one check of what a letter needs)."""
        letters = self.env["snailmail.letter"]
        for holder in (self[:1], customer):
            if holder and letters._is_valid_address(holder):
                return holder
        return self.browse()

    def _dunning_email_block_reason(self, customer=None):
        """Why no reminder email may go to this contact of ``customer``, or False."""
        self.ensure_one()
        customer = customer or self.commercial_partner_id
        if self.dunning_email_opt_out or customer.dunning_email_opt_out:
            return self.env._("Email not sent: opted out of reminder emails.")
        if customer.dunning_is_consumer and self.dunning_email_is_workplace:
            return self.env._(
                "Email not sent: %(email)s is a work address, and the customer is a consumer.",
                email=self.email or "",
            )
        return False

    def _dunning_opt_out_url(self, company):
        """The link that stops reminder emails to this contact (a page, then a POST)."""
        return self._dunning_link_url("email_opt_out", company)

    def _dunning_email_opt_out(self, company):
        """Opt out by the customer's own link: set the flag, log it. False when it was
        set already (a second click changes nothing)."""
        self.ensure_one()
        if self.dunning_email_opt_out:
            return False
        self.dunning_email_opt_out = True
        self.env["dunning.engine"]._log(
            {
                "company_id": company.id,
                "partner_id": self.commercial_partner_id.id,
                "contact_id": self.id,
                "channel": "note",
                "reason": self.env._(
                    "%(contact)s asked for no more reminder emails (opt-out link).",
                    contact=self.display_name,
                ),
            }
        )
        return True

    # SMS opt-out ("STOP"): Odoo Community receives no SMS, so every reminder SMS ends
    # with a short signed link (controllers/dunning_opt_out.py) that puts the number on
    # Odoo's own phone blacklist (phone.blacklist); no SMS goes to a blacklisted number.
    def _dunning_sms_number(self):
        """The number an SMS to this person goes to: E.164 where Odoo can format it
        (python phonenumbers), the digits anyway; '' without a phone."""
        self.ensure_one()
        if not self.phone:
            return ""
        return re.sub(r"[^\d+]", "", self._phone_format(fname="phone") or self.phone)

    def _dunning_sms_blacklisted(self, numbers):
        """The numbers among ``numbers`` on Odoo's phone blacklist, one query."""
        numbers = [number for number in numbers if number]
        if not numbers:
            return set()
        # sudo: the blacklist is reserved to administrators; only whether a number is
        # on it is read, to respect the person's choice.
        entries = self.env["phone.blacklist"].sudo().search([("number", "in", numbers)])
        blacklisted = {re.sub(r"[^\d+]", "", entry.number) for entry in entries}
        return {number for number in numbers if number in blacklisted}

    def _dunning_sms_opt_out_url(self, company):
        """The short link of this contact's reminder SMS (its open invoices to pay, and
        the button that stops the SMS to its number); '' without a number."""
        self.ensure_one()
        return self._dunning_link_url("sms_stop", company) if self._dunning_sms_number() else ""

    def _dunning_sms_page_invoices(self, company):
        """What the SMS link's page lists: the customer's open invoices in ``company``,
        oldest due first, with their portal page (where they are paid online)."""
        self.ensure_one()
        customer = self.commercial_partner_id.with_company(company)
        moves = (
            self.env["account.move"]
            .with_company(company)
            .search(customer._dunning_open_invoices_domain(), order="invoice_date_due, id")
        )
        return [
            {
                "name": move.name,
                "date_due": move.invoice_date_due,
                "amount": format_amount(self.env, move.amount_residual, move.currency_id),
                "url": move.get_portal_url(),
            }
            for move in moves
        ]

    def _dunning_sms_opt_out(self, company):
        """Opt out by the SMS's own link: the number goes on Odoo's phone blacklist,
        logged in the collections history. False when it was there already."""
        self.ensure_one()
        number = self._dunning_sms_number()
        if not number or self._dunning_sms_blacklisted([number]):
            return False
        reason = self.env._(
            "%(contact)s asked for no more SMS reminders at %(number)s (opt-out link).",
            contact=self.display_name,
            number=number,
        )
        # sudo: the blacklist is reserved to administrators; the caller checked the
        # signed link of this very number.
        self.env["phone.blacklist"].sudo()._add([number], message=reason)
        self.env["dunning.engine"]._log(
            {
                "company_id": company.id,
                "partner_id": self.commercial_partner_id.id,
                "contact_id": self.id,
                "channel": "note",
                "reason": reason,
            }
        )
        return True

    def _dunning_statement_file_name(self):
        """The statement's file name, without extension, in the context's language (the
        customer's when it is sent, the user's when printed)."""
        self.ensure_one()
        return self.env._(
            "Statement of account %(customer)s %(date)s",
            customer=self.commercial_partner_id.name,
            date=fields.Date.context_today(self),
        ).replace("/", "-")

    def _dunning_statement_attachments(self, company, errors=None):
        """The statement of account of each customer in ``company``, rendered now and
        stored on the customer: ``{commercial partner id: ir.attachment}``.

        One render per customer (wkhtmltopdf builds without patched Qt cannot split a
        multi-customer PDF), each in a savepoint: a statement that cannot be rendered
        is left out (and its error put in ``errors`` when given) and the others go on.
        """
        report = self.env.ref("account_dunning.action_report_dunning_statement")
        Report = self.env["ir.actions.report"].with_company(company)
        engine = self.env["dunning.engine"]
        contacts = self.commercial_partner_id._dunning_get_contacts()
        attachments = {}
        for customer in self.commercial_partner_id:
            try:
                with self.env.cr.savepoint():
                    content, report_type = Report._render_qweb_pdf(report, customer.ids)
                    is_pdf = report_type == "pdf"
                    # sudo: an attachment on a customer needs the right to edit it; the
                    # file is the customer's own statement, rendered with the user's
                    # read rights, and the history keeps it.
                    attachment = (
                        self.env["ir.attachment"]
                        .sudo()
                        .create(
                            {
                                # In the language of the customer who receives it.
                                "name": "{}.{}".format(
                                    customer.with_context(
                                        lang=engine._customer_lang(contacts[customer.id], company)
                                    )._dunning_statement_file_name(),
                                    "pdf" if is_pdf else "html",
                                ),
                                "raw": content,
                                "mimetype": "application/pdf" if is_pdf else "text/html",
                                "res_model": "res.partner",
                                "res_id": customer.id,
                            }
                        )
                    )
                attachments[customer.id] = attachment.with_env(self.env)
            except Exception as error:
                _logger.warning(
                    "Cannot render the statement of account of %s", customer.id, exc_info=True
                )
                if errors is not None:
                    errors[customer.id] = str(error)
        return attachments

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

    def _dunning_open_moves(self, stages):
        self.ensure_one()
        return self.env["account.move"].search(
            [*self._dunning_open_invoices_domain(), ("dunning_stage", "in", stages)],
            order="invoice_date_due, id",
        )

    def _dunning_nothing_open(self):
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Collections"),
                "message": self.env._("No open invoice of this customer can take it."),
                "type": "warning",
            },
        }

    # --------------------------------------------------------------- the link

    # Customer self-service from the link in a reminder: the link signs (contact,
    # company); no login, no state in the database, one scope per use, invalidated for
    # every customer at once by changing the database secret. The page shows the contact's
    # customer (commercial partner) in that company, nothing else. The actions below are
    # called by controllers/portal_self_service.py with a sudo environment after the
    # signature check.
    def _dunning_self_service_url(self, company):
        """The customer's self-service page, for this contact, in ``company``: valid for
        the policy's days (each reminder carries a new one)."""
        self.ensure_one()
        policy = self.commercial_partner_id.with_company(company)._dunning_get_policy()
        days = policy.portal_link_days if policy else DEFAULT_LINK_DAYS
        expires = fields.Date.context_today(self) + timedelta(days=days)
        return self._dunning_link_url("self_service", company, expires)

    # The links a customer receives: one signer for all of them (self-service page,
    # email opt-out, SMS stop), each kind in its own scope. A link is bound to what it
    # acts on: the contact, its customer, its email address or number, the company; it
    # stops working when one changes, when the contact is archived, or at its expiry.
    def _dunning_link_facts(self, kind, company):
        self.ensure_one()
        if kind == "self_service":
            return (self.id, self.commercial_partner_id.id, email_normalize(self.email) or "",
                    company.id)  # fmt: skip
        if kind == "sms_stop":
            return (self.id, company.id, self._dunning_sms_number())
        return (self.id, company.id)

    def _dunning_link_token(self, kind, company, expires=None):
        """The signature of a link of ``kind`` ("self_service", "email_opt_out",
        "sms_stop") for this contact, with its expiry date in front when it has one."""
        self.ensure_one()
        facts = self._dunning_link_facts(kind, company)
        if expires:
            facts = (*facts, expires.isoformat())
        # sudo: hmac reads the database secret (an admin-only parameter); only the
        # signature leaves this method, never the secret.
        signature = hmac(self.env(su=True), LINK_SCOPES[kind], facts)
        if kind == "sms_stop":  # an SMS has 160 characters: 64 bits are enough online
            signature = signature[:SMS_TOKEN_LENGTH]
        return f"{expires:%Y%m%d}.{signature}" if expires else signature

    def _dunning_check_link_token(self, kind, company, token):
        """True when ``token`` signs a link of ``kind`` for this contact as it is now
        and has not expired."""
        self.ensure_one()
        if not token or not self.active:
            return False
        expires = None
        if "." in str(token):
            stamp = str(token).split(".", 1)[0]
            try:
                expires = datetime.strptime(stamp, "%Y%m%d").date()
            except ValueError:
                return False
            if expires < fields.Date.context_today(self):
                return False
        elif kind == "self_service":
            return False  # a self-service link always has an expiry
        return consteq(self._dunning_link_token(kind, company, expires), str(token))

    def _dunning_link_url(self, kind, company, expires=None):
        self.ensure_one()
        token = self._dunning_link_token(kind, company, expires)
        return f"{self.get_base_url()}{LINK_PATHS[kind]}/{self.id}/{company.id}/{token}"

    def _dunning_self_service_policy(self):
        """The policy whose limits apply (current company); may be empty."""
        self.ensure_one()
        return self.commercial_partner_id._dunning_get_policy()

    def _dunning_self_service_enabled(self):
        policy = self._dunning_self_service_policy()
        return bool(policy) and policy.portal_self_service

    # --------------------------------------------------------------- the page

    def _dunning_self_service_values(self):
        """What the page shows: the statement (open items and net balance per currency,
        recent payments), each invoice's stage and portal page, and what can be done."""
        self.ensure_one()
        customer = self.commercial_partner_id
        statement = customer._dunning_statement()
        invoice_ids = [
            row["move_id"]
            for block in statement["currencies"]
            for row in block["items"]
            if row["kind"] == "invoice"
        ]
        invoices = self.env["account.move"].browse(invoice_ids)
        invoices._dunning_ensure_access_tokens()
        stages = dict(self.env["account.move"]._fields["dunning_stage"]._description_selection(
            self.env))  # fmt: skip
        invoice_info = {
            move.id: {
                "stage": move.dunning_stage,
                "stage_label": stages.get(move.dunning_stage, ""),
                "portal_url": move.get_portal_url(),
            }
            for move in invoices
        }
        promisable = customer._dunning_open_moves(PROMISABLE_STAGES)
        policy = self._dunning_self_service_policy()
        Plan = self.env["dunning.payment.plan"]
        # One plan at a time online (see _dunning_self_service_plan): while one is in
        # force or asked for, the page says so instead of offering another.
        open_plan = Plan.search(
            [
                ("partner_id", "=", customer.id),
                ("company_id", "=", self.env.company.id),
                ("state", "in", list(Plan._dunning_hold_open_states)),
            ],
            limit=1,
        )
        plan_moves = (
            self.env["account.move"]
            if open_plan
            else self.env["dunning.payment.plan.wizard"]._get_partner_moves(customer)
        )
        plan_balance = customer._dunning_owed_on(plan_moves) if plan_moves else 0.0
        promise_max_date = fields.Date.context_today(self) + timedelta(
            days=policy.portal_promise_max_days if policy else 0
        )
        texts = self._dunning_self_service_texts(
            statement, policy, plan_moves, plan_balance, promise_max_date
        )
        return {
            "partner": self,
            "customer": customer,
            "company": self.env.company,
            "policy": policy,
            "statement": statement,
            "invoice_info": invoice_info,
            "promisable": promisable,
            "disputable": customer._dunning_open_moves(DISPUTABLE_STAGES),
            "plan_moves": plan_moves,
            "plan_balance": plan_balance,
            "open_plan": open_plan,
            "reasons": self.env["dunning.dispute.reason"].search([]),
            "is_consumer": customer.dunning_is_consumer,
            "opted_out": bool(self.dunning_email_opt_out or customer.dunning_email_opt_out),
            "today": fields.Date.context_today(self),
            "promise_max_date": promise_max_date,
            "texts": texts,
        }

    def _dunning_self_service_texts(self, statement, policy, plan_moves, balance, latest):
        """The page's sentences with figures in them, whole, in the contact's language
        (a QWeb text cut by a value is translated in pieces)."""
        _ = self.env._
        env = self.env
        company = env.company
        texts = {
            "title": _("Your account with %(company)s", company=company.name),
            "sections": {},
            "due": {},
            "file_help": _(
                "%(types)s, at most %(size)s MB.",
                types=", ".join(("PDF", "PNG", "JPEG")),
                size=DISPUTE_FILE_MAX_BYTES // (1024 * 1024),
            ),
            "opt_out": _(
                "You will no longer receive payment reminders by email at %(address)s. We "
                "may still contact you about open invoices by letter or by phone.",
                address=self.email or self.name,
            ),
        }
        for section in statement["currencies"]:
            currency = section["currency"]
            texts["sections"][currency.id] = _("Open items in %(currency)s", currency=currency.name)
            for item in section["items"]:
                if not item.get("date_due"):
                    continue
                days = item["days_overdue"] if item["residual"] > 0 else 0
                due = format_date(env, item["date_due"])
                texts["due"][(item["kind"], item["name"])] = (
                    _("Due on %(date)s (%(days)s days overdue)", date=due, days=days)
                    if days > 0
                    else _("Due on %(date)s", date=due)
                )
        if policy:
            texts["promise"] = _(
                "Pay at least %(share)s%% of the invoices you select, by %(date)s at the "
                "latest. We send no reminder for them meanwhile.",
                share=f"{policy.portal_promise_min_share:g}",
                date=format_date(env, latest),
            )
        if policy and plan_moves:
            texts["plan"] = _(
                "Pay %(balance)s (invoices %(invoices)s) in monthly installments. A plan "
                "of up to %(months)s months, with installments of at least %(minimum)s "
                "starting within %(days)s days, is agreed at once; otherwise we review your "
                "request and answer you shortly.",
                balance=format_amount(env, balance, plan_moves[:1].currency_id),
                invoices=", ".join(plan_moves.mapped("name")),
                months=policy.portal_plan_max_months,
                minimum=format_amount(env, policy.portal_plan_min_installment, company.currency_id),
                days=policy.portal_plan_first_date_max_days,
            )
        return texts

    # ------------------------------------------------------------ the checks

    def _dunning_self_service_check_rate(self):
        """Refuse when the customer took the policy's maximum of actions in the last
        hour: counted from the history (one 'portal' event per action)."""
        self.ensure_one()
        policy = self._dunning_self_service_policy()
        limit = policy.portal_max_actions_per_hour if policy else 10
        self._dunning_self_service_lock()
        since = fields.Datetime.now() - timedelta(hours=1)
        # sudo: counting the customer's own history rows, nothing is read of them.
        count = (
            self.env["dunning.event"]
            .sudo()
            .search_count(
                [
                    ("partner_id", "=", self.commercial_partner_id.id),
                    ("company_id", "=", self.env.company.id),
                    ("channel", "=", "portal"),
                    ("create_date", ">=", since),
                ]
            )
        )
        if count >= limit:
            raise DunningSelfServiceRateLimited(
                self.env._(
                    "You have made %(count)s requests in the last hour, the most we accept. "
                    "Please try again later, or reply to our email.",
                    count=count,
                )
            )

    def _dunning_self_service_lock(self):
        """One action of a customer at a time. A request that finds another of the
        same customer in progress is refused at once rather than queued: a burst would
        otherwise exhaust Odoo's retries and end in errors. A request that began before
        another committed fails to serialise on the customer's row and is retried by
        Odoo, then sees what that one did (its event, its plan)."""
        try:
            with self.env.cr.savepoint(flush=False):
                self.env.execute_query(
                    SQL(
                        "UPDATE res_partner SET write_date = write_date WHERE id = "
                        "(SELECT id FROM res_partner WHERE id = %s FOR UPDATE NOWAIT)",
                        self.commercial_partner_id.id,
                    )
                )
        except LockNotAvailable:
            raise DunningSelfServiceRateLimited(
                self.env._(
                    "We are still processing another request of yours: please try again "
                    "in a moment."
                )
            ) from None

    def _dunning_as_staff(self):
        """This contact in the language staff read (dunning.engine._staff_lang): what a
        customer does on its page is recorded for the collector in their language."""
        return self.with_context(lang=self.env["dunning.engine"]._staff_lang(self.env.company))

    def _dunning_self_service_collector(self):
        engine = self.env["dunning.engine"]
        return engine._get_collector(self.commercial_partner_id, self.env.company)

    def _dunning_self_service_log(self, reason, moves=None, activity=None, **links):
        """One 'portal' event per action: the history and the rate limit."""
        self.ensure_one()
        moves = moves or self.env["account.move"]
        return self.env["dunning.engine"]._log(
            {
                "company_id": self.env.company.id,
                "partner_id": self.commercial_partner_id.id,
                "contact_id": self.id,
                "move_ids": [Command.set(moves.ids)],
                "channel": "portal",
                "state": "done",
                "reason": reason,
                "amount_residual": moves._dunning_owed(),
                "collector_id": activity.user_id.id if activity else False,
                "activity_id": activity.id if activity else False,
                **{key: record.id for key, record in links.items()},
            }
        )

    def _dunning_self_service_refused(self, action, message):
        """A refused action on the page: a skipped 'portal' event, so that refusals
        count toward the hourly limit and the collector sees what was tried."""
        self.ensure_one()
        staff = self._dunning_as_staff()
        event = staff._dunning_self_service_log(
            staff.env._("Refused online (%(action)s): %(why)s", action=action, why=message)
        )
        self.env["dunning.engine"]._record_outcome(event, {"state": "skipped"})
        return event

    def _dunning_self_service_statement(self):
        """The customer's statement of account as its page offers it: rendered once a
        day (a render costs seconds of wkhtmltopdf), then the day's file again."""
        self.ensure_one()
        customer = self.commercial_partner_id
        company = self.env.company
        today = fields.Datetime.to_datetime(fields.Date.context_today(self))
        # Named as _dunning_statement_attachments names it: in its reader's language.
        lang = self.env["dunning.engine"]._customer_lang(customer._dunning_get_contact(), company)
        name = customer.with_context(lang=lang)._dunning_statement_file_name()
        # sudo: the signed link's customer's own statements, stored on it.
        # Matched on the name in Python: a customer's name may hold LIKE's % and _.
        stored = (
            self.env["ir.attachment"]
            .sudo()
            .search(
                [
                    ("res_model", "=", "res.partner"),
                    ("res_id", "=", customer.id),
                    ("create_date", ">=", today),
                    ("company_id", "in", (company.id, False)),
                ],
                order="id desc",
            )
            .filtered(lambda attachment: attachment.name.startswith(name))[:1]
        )
        if not stored:
            # sudo: reports are rendered for the signed link's customer only.
            statements = (
                customer.sudo().with_company(company)._dunning_statement_attachments(company)
            )
            stored = statements.get(customer.id, self.env["ir.attachment"]).sudo()
        return stored.raw or b""

    def _dunning_self_service_moves(self, stages, move_ids):
        """The customer's open invoices among ``move_ids`` in ``stages``: ids from the
        form are only ever a filter on the customer's own invoices."""
        wanted = {int(move_id) for move_id in move_ids or () if str(move_id).isdigit()}
        moves = self.commercial_partner_id._dunning_open_moves(stages)
        return moves.filtered(lambda move: move.id in wanted)

    @api.model
    def _dunning_self_service_text(self, value):
        return (value or "").strip()[:MAX_TEXT]

    def _refuse(self, message):
        raise DunningSelfServiceRefused(message)

    # ------------------------------------------------------------ the actions

    def _dunning_self_service_promise(self, move_ids, amount, date_promised):
        """Promise to pay ``amount`` by ``date_promised`` for some open invoices: a
        dunning.promise as a collector records it (the invoices go to Promised, the
        ladder pauses), and an activity tells the collector."""
        self.ensure_one()
        _ = self.env._
        policy = self._dunning_self_service_policy()
        today = fields.Date.context_today(self)
        moves = self._dunning_self_service_moves(PROMISABLE_STAGES, move_ids)
        if not moves:
            self._refuse(_("Select the invoices you promise to pay."))
        if len(moves.currency_id) > 1:
            self._refuse(_("A promise is for invoices in one currency: select them per currency."))
        if not is_sane_amount(amount):  # inf, nan, 1e308: before any rounding
            self._refuse(_("Enter the amount you will pay."))
        # sudo: counting the customer's own earlier promises made online, nothing else.
        promised_online = Counter(
            move_id
            for event in self.env["dunning.event"]
            .sudo()
            .search(
                [
                    ("channel", "=", "portal"),
                    ("promise_id", "!=", False),
                    ("state", "=", "done"),
                    ("move_ids", "in", moves.ids),
                ]
            )
            for move_id in event.move_ids.ids
            if move_id in moves.ids
        )
        if max(promised_online.values(), default=0) > policy.portal_promise_renewals:
            self._refuse(
                _(
                    "You already promised to pay these invoices online: please reply to our "
                    "email and we will agree on a date with you."
                )
            )
        currency = moves.currency_id
        latest = today + timedelta(days=policy.portal_promise_max_days)
        if not date_promised or date_promised < today or date_promised > latest:
            self._refuse(
                _(
                    "Choose a payment date from today to %(latest)s.",
                    latest=format_date(self.env, latest),
                )
            )
        balance = self.commercial_partner_id._dunning_owed_on(moves)
        minimum = currency.round(balance * policy.portal_promise_min_share / 100.0)
        if (
            not amount
            or currency.compare_amounts(amount, minimum) < 0
            or currency.compare_amounts(amount, balance) > 0
            or currency.compare_amounts(amount, 0.0) <= 0
        ):
            self._refuse(
                _(
                    "Promise an amount from %(minimum)s to %(balance)s for these invoices.",
                    minimum=format_amount(self.env, max(minimum, currency.rounding), currency),
                    balance=format_amount(self.env, balance, currency),
                )
            )
        # From here on, what staff read (the records, the history, the collector's
        # task) in their language, whoever opened the page.
        staff = self._dunning_as_staff()
        _ = staff.env._
        collector = staff._dunning_self_service_collector()
        promise = staff.env["dunning.promise"].create(
            {
                "company_id": staff.env.company.id,
                "partner_id": staff.commercial_partner_id.id,
                "move_ids": [Command.set(moves.ids)],
                "amount": amount,
                "date_promised": date_promised,
                "user_id": collector.id,
                "contact_id": staff.id,
                "note": _("Promised online by %(contact)s.", contact=staff.display_name),
            }
        )
        paid_by = {
            "amount": format_amount(staff.env, amount, currency),
            "date": format_date(staff.env, date_promised),
        }
        summary = _("Promised online: %(amount)s by %(date)s", **paid_by)
        activity = staff.env["dunning.engine"]._schedule(
            promise,
            _("Promise to pay made online"),
            Markup("<p>%s</p>")
            % _(
                "On the self-service page, %(contact)s promised to pay %(amount)s by "
                "%(date)s for invoices %(invoices)s. Nothing to do unless it is not kept.",
                contact=staff.display_name,
                invoices=", ".join(moves.mapped("name")),
                **paid_by,
            ),
            collector,
            today,
        )
        staff._dunning_self_service_log(summary, moves, activity, promise_id=promise)
        return promise

    def _dunning_self_service_plan(self, installment_count, first_date):
        """Ask for a plan of monthly installments over the open invoices of one currency.

        One plan at a time per customer online: refused while the customer has an
        active plan or a request under review, checked under a lock on the customer (two
        requests at once, even in two currencies, cannot both pass). Inside the policy's
        limits (amounts in the company's currency: the request converted at today's
        rate) it is agreed at once through the payment plan wizard and the agreement
        goes out; outside, the plan waits for a collector's approval (dunning.payment.plan
        action_approve / action_reject) and holds the invoices meanwhile."""
        self.ensure_one()
        _ = self.env._
        policy = self._dunning_self_service_policy()
        today = fields.Date.context_today(self)
        customer = self.commercial_partner_id
        company = self.env.company
        Plan = self.env["dunning.payment.plan"]
        self._dunning_self_service_lock()
        # sudo: whether the signed link's customer has a plan in force or asked for.
        if Plan.sudo().search_count(
            [
                ("partner_id", "=", customer.id),
                ("company_id", "=", company.id),
                ("state", "in", list(Plan._dunning_hold_open_states)),
            ],
            limit=1,
        ):
            self._refuse(
                _(
                    "You already have a payment plan with us, or a request for one that we "
                    "are reviewing: please reply to our email to change it."
                )
            )
        Wizard = self.env["dunning.payment.plan.wizard"]
        moves = Wizard._get_partner_moves(customer)
        if not moves:
            self._refuse(_("No open invoice can go in a payment plan."))
        if not installment_count or installment_count < 1 or installment_count > 60:
            self._refuse(_("Choose between 1 and 60 monthly installments."))
        if not first_date or first_date < today or first_date > today + timedelta(days=365):
            self._refuse(_("Choose a first due date within the coming year."))
        wizard = Wizard.with_context(active_model="account.move", active_ids=moves.ids).create(
            {
                "installment_count": installment_count,
                "interval": "monthly",
                "first_date": first_date,
                # The agreement goes to the contact who asked for it.
                "contact_id": self.id,
            }
        )
        try:
            schedule = wizard._get_schedule()
        except UserError as error:
            raise DunningSelfServiceRefused(error.args[0]) from error
        # From here on, what staff read (the plan's history, the collector's task) in
        # their language, whoever opened the page; the agreement is the customer's.
        staff = self._dunning_as_staff()
        _ = staff.env._
        currency = wizard.currency_id
        outside = staff._dunning_self_service_plan_outside(policy, schedule, currency, first_date)
        asked = _(
            "%(count)s monthly installments of about %(amount)s from %(date)s, %(balance)s "
            "in total",
            count=len(schedule),
            amount=format_amount(staff.env, schedule[0].amount, currency),
            date=format_date(staff.env, first_date),
            balance=format_amount(staff.env, wizard.amount_total, currency),
        )
        # The plan is followed by the customer's collector, not by the public user who
        # opened the page.
        responsible = {"user_id": staff._dunning_self_service_collector().id}
        if not outside:
            action = (
                wizard.with_env(staff.env)
                # Its history says it was agreed online; no "assigned to you" email.
                .with_context(
                    default_user_id=responsible["user_id"], mail_auto_subscribe_no_notify=True
                )
                .action_confirm()
            )
            plan = staff.env["dunning.payment.plan"].browse(action["res_id"])
            staff._dunning_self_service_log(
                _("Payment plan asked for online and agreed: %(request)s.", request=asked),
                moves,
                payment_plan_id=plan,
            )
            return plan
        # The collector's task below says it; no "assigned to you" email besides.
        plan = (
            staff.env["dunning.payment.plan"]
            .with_context(mail_auto_subscribe_no_notify=True)
            .create({**wizard.with_env(staff.env)._get_plan_values(schedule), **responsible})
        )
        plan._dunning_request()
        activity = staff.env["dunning.engine"]._schedule(
            plan,
            _("Payment plan asked for online: approve?"),
            Markup("<p>%s</p><p>%s</p>")
            % (
                _(
                    "%(contact)s asks for a payment plan: %(request)s (invoices %(invoices)s).",
                    contact=staff.display_name,
                    request=asked,
                    invoices=", ".join(moves.mapped("name")),
                ),
                _(
                    "Outside the policy's limits (%(why)s). Approve the plan to agree to it "
                    "(the agreement goes to the customer) or reject it (the customer is told "
                    "and the reminders resume). Its invoices are not chased meanwhile.",
                    why="; ".join(outside),
                ),
            ),
            staff._dunning_self_service_collector(),
            today,
        )
        staff._dunning_self_service_log(
            _(
                "Payment plan asked for online, for the collector to approve (%(why)s): "
                "%(request)s.",
                why="; ".join(outside),
                request=asked,
            ),
            moves,
            activity,
            payment_plan_id=plan,
        )
        return plan

    def _dunning_self_service_plan_outside(self, policy, schedule, currency, first_date):
        """Why a plan asked for online is beyond what the policy agrees to at once (a
        list of reasons, empty inside the limits). The policy's amounts are in the
        company's currency: the plan's are converted at today's rate to compare."""
        _ = self.env._
        today = fields.Date.context_today(self)
        company = self.env.company
        company_currency = company.currency_id

        def in_company(amount):
            return currency._convert(amount, company_currency, company, today)

        balance = sum(row.amount for row in schedule)
        last_date = max(row.date_due for row in schedule)
        smallest = min(row.amount for row in schedule)
        outside = []
        if last_date > today + relativedelta(months=policy.portal_plan_max_months):
            outside.append(
                _(
                    "the last installment is due after %(months)s months",
                    months=policy.portal_plan_max_months,
                )
            )
        if first_date > today + timedelta(days=policy.portal_plan_first_date_max_days):
            outside.append(
                _(
                    "the first installment is due after %(days)s days",
                    days=policy.portal_plan_first_date_max_days,
                )
            )
        minimum = policy.portal_plan_min_installment
        if company_currency.compare_amounts(in_company(smallest), minimum) < 0:
            outside.append(
                _(
                    "an installment of %(amount)s (%(converted)s) is below %(minimum)s",
                    amount=format_amount(self.env, smallest, currency),
                    converted=format_amount(self.env, in_company(smallest), company_currency),
                    minimum=format_amount(self.env, minimum, company_currency),
                )
            )
        maximum = policy.portal_plan_max_balance
        if company_currency.compare_amounts(in_company(balance), maximum) > 0:
            outside.append(
                _(
                    "the balance of %(amount)s (%(converted)s) is above %(maximum)s",
                    amount=format_amount(self.env, balance, currency),
                    converted=format_amount(self.env, in_company(balance), company_currency),
                    maximum=format_amount(self.env, maximum, company_currency),
                )
            )
        return outside

    def _dunning_self_service_dispute(self, move_id, reason_id, message, filename, data):
        """Dispute an invoice with a reason, a message and an optional file (PDF or
        image, checked on its content and size): the invoice leaves the ladder."""
        self.ensure_one()
        _ = self.env._
        moves = self._dunning_self_service_moves(DISPUTABLE_STAGES, [move_id])
        if not moves:
            self._refuse(_("Select the invoice you dispute."))
        reason = (
            self.env["dunning.dispute.reason"]
            .browse(int(reason_id) if str(reason_id or "").isdigit() else 0)
            .exists()
        )
        if not reason or not reason.active:
            self._refuse(_("Select the reason of the dispute."))
        message = self._dunning_self_service_text(message)
        if not message:
            self._refuse(_("Tell us what is wrong with the invoice."))
        if data:
            if len(data) > DISPUTE_FILE_MAX_BYTES:
                self._refuse(
                    _(
                        "The file is too large: at most %(size)s MB.",
                        size=DISPUTE_FILE_MAX_BYTES // (1024 * 1024),
                    )
                )
            if guess_mimetype(data) not in DISPUTE_FILE_MIMETYPES:
                self._refuse(_("Attach a PDF, PNG or JPEG file."))
        # From here on, what staff read (the records, the history, the collector's
        # task) in their language, whoever opened the page.
        staff = self._dunning_as_staff()
        _ = staff.env._
        collector = staff._dunning_self_service_collector()
        dispute = staff.env["dunning.dispute"].create(
            {
                "company_id": staff.env.company.id,
                "partner_id": staff.commercial_partner_id.id,
                "move_ids": [Command.set(moves.ids)],
                "reason_id": reason.id,
                "contact_id": staff.id,
                "note": _(
                    "From %(contact)s, online: %(message)s",
                    contact=staff.display_name,
                    message=message,
                ),
                "user_id": collector.id,
            }
        )
        if data:
            # Named and typed by what the content is, not by what the upload claims:
            # "invoice.hta" starting with %PDF- is stored and served as dispute-7.pdf.
            mimetype = guess_mimetype(data)
            staff.env["ir.attachment"].create(
                {
                    "name": f"dispute-{dispute.id}.{DISPUTE_FILE_MIMETYPES[mimetype]}",
                    "raw": data,
                    "mimetype": mimetype,
                    "res_model": dispute._name,
                    "res_id": dispute.id,
                    "description": (filename or "")[:128],
                }
            )
        activity = staff.env["dunning.engine"]._schedule(
            dispute,
            _("Dispute opened online"),
            Markup("<p>%s</p>")
            % _(
                "%(contact)s disputes %(invoice)s (%(reason)s): %(message)s",
                contact=staff.display_name,
                invoice=moves.name,
                reason=reason.with_env(staff.env).name,
                message=message,
            ),
            collector,
            fields.Date.context_today(self) + timedelta(days=2),
        )
        staff._dunning_self_service_log(
            _("Dispute opened online: %(reason)s.", reason=reason.with_env(staff.env).name),
            moves,
            activity,
            dispute_id=dispute,
        )
        return dispute

    def _dunning_self_service_opt_out(self):
        """A consumer stops the reminder emails to this contact (the opt-out link's
        own logic); the letters, calls and SMS of the ladder go on."""
        self.ensure_one()
        if not self.commercial_partner_id.dunning_is_consumer:
            self._refuse(
                self.env._("Reminder emails to a business go to its accounts-payable contact.")
            )
        # From here on, what staff read (the records, the history, the collector's
        # task) in their language, whoever opened the page.
        staff = self._dunning_as_staff()
        _ = staff.env._
        changed = staff._dunning_email_opt_out(staff.env.company)
        staff._dunning_self_service_log(
            staff.env._("Reminder emails stopped online.")
            if changed
            else staff.env._("Reminder emails stopped online (already stopped).")
        )
        return changed

    def _dunning_self_service_contact(self, name, email, phone):
        """A business proposes a new accounts-payable contact: only an activity for the
        collector, who checks it and changes the customer; nothing changes here."""
        self.ensure_one()
        _ = self.env._
        customer = self.commercial_partner_id
        if customer.dunning_is_consumer:
            self._refuse(_("Only a business can name an accounts-payable contact."))
        name = self._dunning_self_service_text(name)[:128]
        normalized = email_normalize(self._dunning_self_service_text(email))
        phone = self._dunning_self_service_text(phone)[:64]
        if not name or not normalized:
            self._refuse(_("Give the contact's name and a valid email address."))
        # From here on, what staff read (the records, the history, the collector's
        # task) in their language, whoever opened the page.
        staff = self._dunning_as_staff()
        _ = staff.env._
        proposal = _(
            "%(name)s, %(email)s%(phone)s",
            name=name,
            email=normalized,
            phone=f", {phone}" if phone else "",
        )
        activity = staff.env["dunning.engine"]._schedule(
            customer,
            _("New accounts-payable contact proposed online"),
            Markup("<p>%s</p><p>%s</p>")
            % (
                _(
                    "%(contact)s proposes as accounts-payable contact: %(proposal)s.",
                    contact=staff.display_name,
                    proposal=proposal,
                ),
                _(
                    "Check it with the customer (the request came from a reminder link), "
                    "then set the contact as 'Accounts-Payable Contact' on the customer."
                ),
            ),
            staff._dunning_self_service_collector(),
            fields.Date.context_today(self) + timedelta(days=2),
        )
        staff._dunning_self_service_log(
            _("Accounts-payable contact proposed online: %(proposal)s.", proposal=proposal),
            activity=activity,
        )
        return activity

    # ------------------------------------------------------------------ data

    def _dunning_ledger(self, date=None):
        """What each of these customers owes in the current company on ``date``
        (default today): ``{commercial partner id: Ledger}`` (tools/ledger.py), one
        query for any number of customers. The one place that answers "what does this
        customer owe": the run, the messages, the statement, Send & Print, the
        self-service page, the plans, the worklist and the case file read it."""
        customers = self.commercial_partner_id
        rows = self._dunning_ledger_rows(customers.ids) if customers else []
        ledgers = self._dunning_ledgers_from_rows(rows, date)
        for customer in customers:
            ledgers.setdefault(
                customer.id, Ledger(customer.id, date or fields.Date.context_today(self))
            )
        return ledgers

    @api.model
    def _dunning_ledger_rows(self, customer_ids=None):
        """The open receivable items of ``customer_ids`` (commercial partners; None:
        every customer) in the current company, as dicts, the first to fall due first:
        what ``_dunning_ledger`` and the run read, in one query."""
        self._dunning_check_ledger_access()
        self.env["account.move.line"].flush_model(
            ["account_id", "amount_residual", "amount_residual_currency", "company_id",
             "currency_id", "date", "date_maturity", "move_id", "parent_state",
             "partner_id", "reconciled"]
        )  # fmt: skip
        self.env["account.move"].flush_model(
            ["dunning_excluded", "dunning_last_date", "dunning_level_id", "dunning_stage",
             "invoice_date", "move_type", "name", "origin_payment_id", "payment_state", "ref",
             "reversed_entry_id", "statement_line_id"]
        )  # fmt: skip
        self.env["res.partner"].flush_model(["commercial_partner_id"])
        rows = self.env.execute_query_dict(self._dunning_ledger_sql(customer_ids))
        for row in rows:
            if row["is_payment"]:
                row["kind"] = PAYMENT
            else:
                row["kind"] = {"out_invoice": INVOICE, "out_refund": CREDIT_NOTE}.get(
                    row["move_type"], ENTRY
                )
        return rows

    @api.model
    def _dunning_ledger_sql(self, customer_ids=None):
        """The query of the open receivable items: every open line on a receivable
        account of a posted entry of the current company, in its own currency. A line
        whose foreign residual is settled but that still carries an exchange difference
        is no debt; an invoice Odoo shows as paid or in payment (a payment without
        journal entry) is paid. An inheriting module narrows or widens it here."""
        conditions = self._dunning_ledger_conditions()
        if customer_ids is not None:
            conditions.append(SQL("p.commercial_partner_id = ANY(%s)", list(customer_ids)))
        return SQL(
            """
            SELECT p.commercial_partner_id AS partner_id, aml.id AS line_id,
                   m.id AS move_id, m.name, m.ref, m.move_type,
                   (m.origin_payment_id IS NOT NULL OR m.statement_line_id IS NOT NULL)
                       AS is_payment,
                   COALESCE(m.invoice_date, aml.date) AS date,
                   COALESCE(aml.date_maturity, aml.date) AS date_due,
                   aml.amount_residual_currency AS residual,
                   aml.amount_residual AS residual_company, aml.currency_id,
                   m.dunning_stage AS stage, m.dunning_excluded AS excluded,
                   m.reversed_entry_id AS reverses, m.dunning_last_date AS last_date,
                   lvl.delay_days AS level_delay, cur.rounding
              FROM account_move_line aml
              JOIN account_move m ON m.id = aml.move_id
              JOIN account_account acc ON acc.id = aml.account_id
              JOIN res_partner p ON p.id = aml.partner_id
              JOIN res_currency cur ON cur.id = aml.currency_id
         LEFT JOIN dunning_level lvl ON lvl.id = m.dunning_level_id
             WHERE %s
          ORDER BY p.commercial_partner_id, COALESCE(aml.date_maturity, aml.date), aml.id
            """,
            SQL(" AND ").join(conditions),
        )

    @api.model
    def _dunning_ledger_conditions(self):
        """The WHERE conditions of the ledger's query (``aml`` the line, ``m`` its entry,
        ``acc`` its account, ``p`` its partner): the one extension point of what the
        module counts as owed (as OCA's credit control has one); add or replace
        conditions with super()."""
        return [
            SQL("aml.company_id = %s", self.env.company.id),
            SQL("aml.parent_state = 'posted'"),
            SQL("acc.account_type = 'asset_receivable'"),
            SQL("aml.reconciled IS NOT TRUE"),
            SQL("aml.amount_residual_currency <> 0"),
            SQL("COALESCE(m.payment_state, 'not_paid') NOT IN ('paid', 'in_payment')"),
        ]

    @api.model
    def _dunning_ledgers_from_rows(self, rows, date=None):
        """{commercial partner id: Ledger} of the rows of ``_dunning_ledger_rows``."""
        as_of = date or fields.Date.context_today(self)
        roundings = {row["currency_id"]: row["rounding"] for row in rows}
        items = defaultdict(list)
        for row in rows:
            items[row["partner_id"]].append(
                Item(
                    line_id=row["line_id"],
                    move_id=row["move_id"],
                    currency=row["currency_id"],
                    date=row["date"],
                    date_due=row["date_due"],
                    residual=row["residual"],
                    residual_company=row["residual_company"],
                    kind=row["kind"],
                    held=row["kind"] == INVOICE
                    and (row["stage"] not in CHASABLE_STAGES or bool(row["excluded"])),
                    reverses=row["reverses"],
                    name=row["name"] or "",
                    ref=row["ref"] or "",
                )
            )
        return {
            partner_id: Ledger(partner_id, as_of, tuple(partner_items), roundings)
            for partner_id, partner_items in items.items()
        }

    def _dunning_owed_on(self, moves, date=None):
        """What this customer's credits leave owed on its invoices ``moves`` (all in one
        currency), counted as the ladder would see them (their hold set aside): what a
        payment plan or a promise on them is for."""
        self.ensure_one()
        customer = self.commercial_partner_id
        ledger = customer._dunning_ledger(date)[customer.id].as_askable(moves.ids)
        return sum(ledger.owed_on(moves.ids).values())

    def _dunning_check_ledger_access(self):
        """The ledger is read with SQL: by those who may read a customer's collections
        figures only (not a portal user, nor every employee)."""
        if not self.env.su and not self.env.user.has_groups(DUNNING_FIGURES_GROUPS):
            raise AccessError(
                self.env._("Only accounting and collections users can see what a customer owes.")
            )
        self.env["account.move.line"].check_access("read")

    def _dunning_message_values(
        self, move_ids, on_date, ledger=None, with_entries=True, whole=False
    ):
        """What a collections message of this customer about invoices ``move_ids`` shows
        on ``on_date``, from its ledger (read now unless given), as plain values (ids,
        ISO dates, amounts) that an event can keep (``dunning.event.message_data``):

        - ``rows``: the invoices (the part due and when the rest falls due) and the other
          open debits asked for (a debit entry), oldest due first;
        - ``credits``: the open credit notes and unapplied payments;
        - ``totals``: per currency, the listed amount (``invoices``), the credits applied
          to it (``credits``), what is asked for (``amount``, and ``net_company`` in
          company currency), the customer's balance (``balance``), what is in its favour
          (``credit_balance``), not yet due (``not_due``) and on hold (``held``);
        - ``due_state``: 'overdue', 'today' or 'upcoming', what the wording follows.
        """
        self.ensure_one()
        customer = self.commercial_partner_id
        ledger = ledger or customer._dunning_ledger(on_date)[customer.id]
        if whole:  # every open installment of the invoices (a payment plan's)
            lines = [item for move_id in move_ids for item in ledger.debits_of(move_id)]
        else:
            lines = ledger.asked_lines(move_ids, on_date, with_entries=with_entries)
        moves = self.env["account.move"].browse(move_ids)
        moves._dunning_ensure_access_tokens()
        base_url = self.env.company.get_base_url()
        listed = defaultdict(list)
        for item in lines:
            listed[item.move_id].append(item)
        rows = []
        for move in moves:
            debits = ledger.debits_of(move.id)
            if not debits:
                continue
            parts = listed.get(move.id, [])
            first = (parts or debits)[0]
            rows.append(
                {
                    "move_id": move.id,
                    "kind": INVOICE,
                    "name": first.name,
                    "invoice_date": first.date.isoformat(),
                    "date_due": first.date_due.isoformat(),
                    "days_overdue": (on_date - first.date_due).days,
                    "residual": sum(item.residual for item in debits),
                    "amount_due": sum(item.residual for item in parts),
                    "amount_due_company": sum(item.residual_company for item in parts),
                    "upcoming": [
                        [item.date_due.isoformat(), item.residual]
                        for item in debits
                        if item not in parts
                    ],
                    "currency_id": first.currency,
                    "url": base_url + move.get_portal_url(),
                }
            )
        for item in lines:
            if item.move_id in moves.ids:
                continue
            rows.append(
                {
                    "move_id": item.move_id,
                    "kind": item.kind,
                    "name": item.name,
                    "invoice_date": item.date.isoformat(),
                    "date_due": item.date_due.isoformat(),
                    "days_overdue": (on_date - item.date_due).days,
                    "residual": item.residual,
                    "amount_due": item.residual,
                    "amount_due_company": item.residual_company,
                    "upcoming": [],
                    "currency_id": item.currency,
                    "url": False,
                }
            )
        rows.sort(key=lambda row: (row["date_due"], row["move_id"]))
        credits = [
            {
                "line_id": item.line_id,
                "name": item.name,
                "ref": item.ref if item.ref != item.name else "",
                "date": item.date.isoformat(),
                "kind": CREDIT_NOTE if item.kind == CREDIT_NOTE else PAYMENT,
                "amount": -item.residual,
                "amount_company": -item.residual_company,
                "currency_id": item.currency,
            }
            for item in sorted(ledger.credits(), key=lambda item: (item.date, item.line_id))
        ]
        totals = [
            {
                "currency_id": total["currency"],
                "invoices": total["listed"],
                "credits": total["applied"],
                "amount": total["amount"],
                "net_company": total["amount_company"],
                "balance": total["net"],
                "credit_balance": total["credit_balance"],
                "not_due": total["not_due"],
                "held": total["held"],
            }
            for total in ledger.totals(lines)
        ]
        return {
            "rows": rows,
            "credits": credits,
            "totals": totals,
            "due_state": ledger.due_state(lines),
        }

    def _dunning_message_data(self, move_ids, on_date, ledger=None, with_entries=True, whole=False):
        """``_dunning_message_values`` with records and dates, as templates read it."""
        return self._dunning_hydrate_message(
            self._dunning_message_values(move_ids, on_date, ledger, with_entries, whole)
        )

    @api.model
    def _dunning_hydrate_message(self, values):
        """The records and dates of message values (see _dunning_message_values)."""
        Move, Line = self.env["account.move"], self.env["account.move.line"]
        currency_ids = {row["currency_id"] for row in values["rows"]}
        currency_ids |= {row["currency_id"] for row in values["credits"]}
        currency_ids |= {row["currency_id"] for row in values["totals"]}
        currencies = self.env["res.currency"].browse(sorted(currency_ids))
        day = fields.Date.to_date
        rows = [
            {
                **row,
                "move": Move.browse(row["move_id"]),
                "invoice_date": day(row["invoice_date"]),
                "date_due": day(row["date_due"]),
                "upcoming": [
                    {"date": day(due), "amount": amount} for due, amount in row["upcoming"]
                ],
                "currency": currencies.browse(row["currency_id"]),
            }
            for row in values["rows"]
        ]
        credits = [
            {
                **row,
                "line": Line.browse(row["line_id"]),
                "date": day(row["date"]),
                "currency": currencies.browse(row["currency_id"]),
            }
            for row in values["credits"]
        ]
        totals = sorted(
            (
                {**row, "currency": currencies.browse(row["currency_id"])}
                for row in values["totals"]
            ),
            key=lambda total: total["currency"].name,
        )
        return {
            "rows": rows,
            "credits": credits,
            "totals": totals,
            "due_state": values["due_state"],
        }

    @api.model
    def _dunning_amounts_text(self, totals):
        """What a message asks for, per currency, as one line for a list or a form (a
        currency in the customer's favour shows its credit)."""
        return "; ".join(
            format_amount(self.env, total["amount"], total["currency"])
            if total["amount"] > 0
            else self.env._(
                "%(currency)s: credit of %(amount)s",
                currency=total["currency"].name,
                amount=format_amount(self.env, total["credit_balance"], total["currency"]),
            )
            for total in totals
            if total["amount"] > 0 or total["credit_balance"] > 0
        )

    @api.model
    def _dunning_balances_text(self, ledger, figure="net"):
        """The customer's balance per currency, as one line; ``figure``: another amount
        of tools/ledger.py's CurrencyBalance (e.g. 'overdue')."""
        currencies = self.env["res.currency"].browse(sorted(ledger.currencies))
        return "; ".join(
            format_amount(self.env, getattr(balance, figure), currencies.browse(currency))
            for currency, balance in sorted(
                ledger.currencies.items(), key=lambda pair: currencies.browse(pair[0]).name
            )
        )

    def _dunning_statement_data(self, date=None):
        """Statement of account of each customer (commercial partner) in the current
        company on ``date`` (default today): ``{commercial partner id: statement}``.

        A statement holds, per currency (company currency first), every open receivable
        item with its residual in its own currency, the aging buckets and the balance,
        plus the payments received in the last 90 days. A fixed number of queries for
        any number of customers and items.
        """
        as_of = date or fields.Date.context_today(self)
        company = self.env.company
        customers = self.commercial_partner_id
        # Only the customers the user may read (the ledger checks who may read it).
        self._dunning_check_ledger_access()
        self.check_access("read")
        contacts = customers._dunning_get_contacts()
        statements = {
            customer.id: {
                "partner": customer,
                "contact": contacts[customer.id],
                "company": company,
                "date": as_of,
                "currencies": [],
                "payments": [],
            }
            for customer in customers
        }
        if not customers:
            return statements
        items = self._dunning_ledger_rows(customers.ids)
        payments = self._dunning_statement_payments(company, customers, as_of)
        currency_ids = {row["currency_id"] for row in items} | {
            row["currency_id"] for row in payments
        }
        currencies = self.env["res.currency"].browse(sorted(currency_ids))
        currencies.fetch(["name", "rounding", "decimal_places", "symbol", "position"])
        pay_urls = self._dunning_statement_pay_urls(items)

        by_customer = defaultdict(lambda: defaultdict(list))
        for row in items:
            row["currency"] = currencies.browse(row["currency_id"])
            row["days_overdue"] = (as_of - row["date_due"]).days
            by_customer[row["partner_id"]][row["currency_id"]].append(row)
        for row in payments:
            row["currency"] = currencies.browse(row["currency_id"])
            statements[row["partner_id"]]["payments"].append(row)

        company_currency = company.currency_id
        for customer_id, per_currency in by_customer.items():
            open_items = [
                OpenItem(row["date"], row["date_due"], row["residual"], row["currency_id"])
                for rows in per_currency.values()
                for row in rows
            ]
            roundings = {cid: currencies.browse(cid).rounding for cid in per_currency}
            aging = age_items(open_items, as_of, roundings)
            ordered = sorted(
                per_currency,
                key=lambda cid: (cid != company_currency.id, currencies.browse(cid).name),
            )
            statements[customer_id]["currencies"] = [
                {
                    "currency": currencies.browse(cid),
                    "items": per_currency[cid],
                    "aging": [(name, aging[cid].buckets[name]) for name in BUCKETS],
                    "balance": aging[cid].balance,
                    "pay_url": pay_urls.get((customer_id, cid), False),
                }
                for cid in ordered
            ]
        return statements

    def _dunning_statement(self, date=None):
        """The statement of this customer (see _dunning_statement_data)."""
        self.ensure_one()
        return self._dunning_statement_data(date)[self.commercial_partner_id.id]

    def _dunning_statement_xlsx(self):
        """The statement of this customer as a spreadsheet: (file name, bytes), from the
        statement the PDF shows (_dunning_statement), in the reader's language."""
        self.ensure_one()
        statement = self._dunning_statement()
        _ = self.env._
        kinds = {"invoice": _("Invoice"), "credit_note": _("Credit note"),
                 "payment": _("Payment")}  # fmt: skip
        buckets = {"not_due": _("Not due"), "1_30": "1-30", "31_60": "31-60", "61_90": "61-90",
                   "over_90": _("Over 90")}  # fmt: skip
        labels = {
            "sheet": _("Statement"), "number": _("Number"), "reference": _("Reference"),
            "type": _("Type"), "date": _("Date"), "due_date": _("Due date"),
            "days_overdue": _("Days overdue"), "amount_open": _("Amount open"),
            "balance": _("Balance"), "open_items": _("Open items in"), "aging": _("Aging"),
            "currency": _("Currency"), "payments": _("Payments received"),
            "amount": _("Amount"),
        }  # fmt: skip
        plain = {
            "title": _("Statement of account"),
            "company": statement["company"].name,
            "customer": statement["partner"].name,
            "date": statement["date"],
            "currencies": [
                {
                    "currency": section["currency"].name,
                    "decimal_places": section["currency"].decimal_places,
                    "items": [
                        {
                            "name": item["name"],
                            "ref": item["ref"],
                            "kind": kinds.get(item["kind"], _("Other")),
                            "date": item["date"],
                            "date_due": item["date_due"],
                            "days_overdue": item["days_overdue"]
                            if item["residual"] > 0 and item["days_overdue"] > 0
                            else 0,
                            "residual": item["residual"],
                        }
                        for item in section["items"]
                    ],
                    "aging": [(buckets[name], amount) for name, amount in section["aging"]],
                    "balance": section["balance"],
                }
                for section in statement["currencies"]
            ],
            "payments": [
                {
                    "date": payment["date"],
                    "name": payment["name"],
                    "ref": payment["ref"],
                    "amount": payment["amount"],
                    "currency": payment["currency"].name,
                    "decimal_places": payment["currency"].decimal_places,
                }
                for payment in statement["payments"]
            ],
        }
        return f"{self._dunning_statement_file_name()}.xlsx", statement_xlsx(plain, labels)

    def _dunning_statement_payments(self, company, customers, as_of):
        """Payments received from ``customers`` in the last 90 days, newest first: the
        customer payments (with or without journal entry) and the bank statement lines
        matched directly with their receivables, each in its own currency."""
        self.env["account.payment"].flush_model(
            ["amount", "company_id", "currency_id", "date", "memo", "name", "partner_id",
             "partner_type", "payment_type", "state"]
        )  # fmt: skip
        self.env["account.bank.statement.line"].flush_model(["payment_ref"])
        since = as_of - timedelta(days=PAYMENTS_LOOKBACK_DAYS)
        return self.env.execute_query_dict(
            SQL(
                """
            SELECT * FROM (
                SELECT p.commercial_partner_id AS partner_id, pay.date, pay.name,
                       pay.memo AS ref, pay.amount, pay.currency_id
                  FROM account_payment pay
                  JOIN res_partner p ON p.id = pay.partner_id
                 WHERE pay.company_id = %(company)s
                   AND pay.payment_type = 'inbound'
                   AND pay.partner_type = 'customer'
                   AND pay.state IN ('in_process', 'paid')
                   AND p.commercial_partner_id IN %(customers)s
                   AND pay.date > %(since)s AND pay.date <= %(as_of)s
             UNION ALL
                SELECT p.commercial_partner_id, m.date, m.name, st.payment_ref,
                       -SUM(aml.amount_currency), aml.currency_id
                  FROM account_move_line aml
                  JOIN account_move m ON m.id = aml.move_id
                  JOIN account_bank_statement_line st ON st.id = m.statement_line_id
                  JOIN account_account acc ON acc.id = aml.account_id
                  JOIN res_partner p ON p.id = aml.partner_id
                 WHERE aml.company_id = %(company)s
                   AND aml.parent_state = 'posted'
                   AND m.origin_payment_id IS NULL
                   AND acc.account_type = 'asset_receivable'
                   AND p.commercial_partner_id IN %(customers)s
                   AND m.date > %(since)s AND m.date <= %(as_of)s
              GROUP BY p.commercial_partner_id, m.id, st.payment_ref, aml.currency_id
                HAVING SUM(aml.amount_currency) < 0
            ) AS payments
          ORDER BY date DESC, name
                """,
                company=company.id,
                customers=tuple(customers.ids),
                since=since,
                as_of=as_of,
            )
        )

    def _dunning_statement_pay_urls(self, items):
        """The pay link of each customer and currency: the portal page of its oldest
        open invoice in that currency. That page needs no portal account (its access
        token is in the link), shows the invoice and lets the customer pay it online;
        /my/invoices would need a login most B2B customers do not have."""
        oldest = {}
        for row in items:  # oldest due first
            if row["kind"] == "invoice" and row["residual"] > 0:
                oldest.setdefault((row["partner_id"], row["currency_id"]), row["move_id"])
        if not oldest:
            return {}
        moves = self.env["account.move"].browse(sorted(set(oldest.values())))
        moves._dunning_ensure_access_tokens()
        base_url = self.env.company.get_base_url()
        return {
            key: base_url + moves.browse(move_id).get_portal_url()
            for key, move_id in oldest.items()
        }

    def _dunning_statement_company(self):
        """The company whose statement is sent (mail templates have no env)."""
        return self.env.company

    def _dunning_statement_sender(self):
        """The From of statements: the sender of the customer's policy, else the company."""
        self.ensure_one()
        policy = self.commercial_partner_id._dunning_get_policy()
        return policy._get_sender() if policy else self.env.company.email_formatted

    @api.model
    def _dunning_monthly_statement_customers(self, month_start):
        """Opted-in customers of the current company not yet sent this month's statement,
        that have open items."""
        customers = self.search(
            [
                ("dunning_statement_monthly", "=", True),
                "|",
                ("dunning_statement_last_date", "=", False),
                ("dunning_statement_last_date", "<", month_start),
            ],
            order="id",
        ).filtered(lambda partner: partner == partner.commercial_partner_id)
        if not customers:
            return customers
        with_items = {row["partner_id"] for row in self._dunning_ledger_rows(customers.ids)}
        return customers.filtered(lambda partner: partner.id in with_items)

    def _dunning_send_monthly_statements(self, month_start):
        """The month's statement of each customer, through the gateway; the month is
        marked sent once it went (a customer messaged today gets it tomorrow)."""
        statuses = self._dunning_send_statements(self.env._("Monthly statement of account."))
        sent = self.browse(
            [c.id for c, status in zip(self, statuses, strict=True) if status == "sent"]
        )
        # sudo: a field of the scheduled action only (see res.partner _has_field_access).
        sent.sudo().dunning_statement_last_date = month_start

    def _dunning_send_statements(self, reason, override=False):
        """Email each customer its statement of account (PDF attached) through the
        gateway, to its accounts-payable contact: one 'statement' event each, whose
        state follows the delivery. ``override``: a person's send. Returns the
        gateway's statuses."""
        template = self.env.ref("account_dunning.mail_template_dunning_statement")
        customers = self.commercial_partner_id
        contacts = customers._dunning_get_contacts()
        company = self.env.company
        engine = self.env["dunning.engine"]
        events = engine._log(
            [
                {
                    "company_id": company.id,
                    "partner_id": customer.id,
                    "contact_id": contacts[customer.id].id,
                    "channel": "statement",
                    "reason": reason,
                }
                for customer in customers
            ]
        )
        return engine._deliver(
            [
                {
                    "channel": "email",
                    "event": event,
                    "customer": customer,
                    "contact": contacts[customer.id],
                    "template": template,
                    "record": customer,
                    "thread": customer,
                    "policy": customer._dunning_get_policy(),
                    "company": company,
                    "override": override,
                }
                for customer, event in zip(customers, events, strict=True)
            ]
        )

    def _dunning_priority_facts(self, customer_ids=None):
        """The facts of the priority of every customer of the current company that has
        overdue money or a priority stored for it (or of the customers ``customer_ids``
        only), in two queries (the ledger, then the broken promises and the stored
        priorities).

        Returns ``[(partner id, overdue amount, oldest days overdue, broken promises,
        stored priority)]``. The amount and the days are those of the customer's
        "Overdue Amount" and "Days Overdue" (``_compute_dunning_figures``)."""
        company = self.env.company
        ledgers = self._dunning_ledgers_from_rows(self._dunning_ledger_rows(customer_ids))
        figures = {
            partner_id: (ledger.overdue_company(), ledger.oldest_overdue_days())
            for partner_id, ledger in ledgers.items()
        }
        figures = {key: value for key, value in figures.items() if value[0] > 0}
        self.env["dunning.promise"].flush_model(["partner_id", "company_id", "state"])
        self.env["res.partner"].flush_model(["dunning_priority"])
        rows = self.env.execute_query(
            SQL(
                """
            SELECT partner.id,
                   (SELECT COUNT(*) FROM dunning_promise promise
                     WHERE promise.partner_id = partner.id AND promise.company_id = %(company)s
                       AND promise.state = 'broken'),
                   (partner.dunning_priority ->> %(key)s)::float
              FROM res_partner partner
             WHERE partner.id = ANY(%(ids)s)
                OR (%(everyone)s AND partner.dunning_priority ? %(key)s)
            """,
                ids=list(figures) if customer_ids is None else list(customer_ids),
                everyone=customer_ids is None,
                company=company.id,
                key=str(company.id),
            )
        )
        return [
            (partner_id, *figures.get(partner_id, (0.0, 0)), broken, stored)
            for partner_id, broken, stored in rows
        ]

    def _dunning_update_priorities(self, customer_ids=None):
        """Recompute ``dunning_priority`` of every customer of the current company (or
        of the commercial partners ``customer_ids`` only: those a payment just reached),
        set-based: one query reads the facts of all customers, one UPDATE per batch of
        PRIORITY_BATCH_SIZE changed customers writes them; nothing is read or written per
        customer. Returns how many customers have a priority (overdue money)."""
        company_key = str(self.env.company.id)
        changed, ranked = [], 0
        facts = self._dunning_priority_facts(customer_ids)
        for partner_id, amount, days, broken, stored in facts:
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

    # ------------------------------------------------------------- scheduled

    @api.model
    def _cron_send_monthly_statements(self):
        """Queue the monthly statement of every opted-in customer with open items, once
        a month per customer and company, in committed batches."""
        month_start = fields.Date.context_today(self).replace(day=1)
        for company in self.env["res.company"].search([]):
            Partner = self.with_company(company)
            customers = Partner._dunning_monthly_statement_customers(month_start)
            self.env["ir.cron"]._commit_progress(remaining=len(customers))
            for start in range(0, len(customers), STATEMENT_BATCH_SIZE):
                batch = customers[start : start + STATEMENT_BATCH_SIZE]
                batch._dunning_send_monthly_statements(month_start)
                time_left = self.env["ir.cron"]._commit_progress(
                    len(batch), remaining=len(customers) - start - len(batch)
                )
                if time_left <= 0:
                    return  # out of time: the cron is called again for the rest
