from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..tools.contact_hours import check_window

DEFAULT_WINDOW = (8.0, 20.0)

# Policy fields that move the next step of invoices.
LADDER_FIELDS = {"level_ids", "min_days_between_steps", "start_at_matching_level", "active"}


class DunningPolicy(models.Model):
    """A collections ladder: the ordered steps taken when an invoice stays unpaid."""

    _name = "dunning.policy"
    _inherit = ["dunning.authority.mixin"]
    _description = "Dunning Policy"
    _order = "company_id, sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    level_ids = fields.One2many("dunning.level", "policy_id", string="Levels", copy=True)
    level_count = fields.Integer(compute="_compute_level_count")
    minimum_amount = fields.Monetary(
        currency_field="currency_id",
        help="Customers whose overdue balance (company currency) is below this "
        "amount are not chased.",
    )
    execution_mode = fields.Selection(
        [("review", "Review before sending"), ("automatic", "Automatic")],
        required=True,
        default="review",
        help="Review: the daily run plans and asks the collections managers to review "
        "it; nothing is sent until one of them executes it. Automatic: the daily run "
        "sends on its own. A person's 'Send reminder now' always sends.",
    )
    min_days_between_steps = fields.Integer(
        string="Minimum Days Between Steps",
        default=3,
        help="A customer gets at most one step of the ladder in this many days, "
        "whatever the number of invoices.",
    )
    skip_predue_for_good_payers = fields.Boolean(
        string="No Pre-due Reminder for Good Payers",
        default=True,
        help="Customers who paid every invoice of the last 12 months on time get no "
        "reminder before the due date.",
    )
    start_at_matching_level = fields.Boolean(
        string="Start Old Debts at Matching Level",
        help="When an invoice has never been dunned, start at the level matching its "
        "age. Off: start at the first overdue level and climb one step per run.",
    )
    email_from = fields.Char(
        string="Sender",
        help="The finance team's address, e.g. \"Accounts Receivable "
        "<ar@example.com>\". Empty: the company's email. Never the salesperson.",
    )
    reply_to = fields.Char()
    email_cc = fields.Char(
        string="Copy To", help="Addresses copied on every dunning email (comma-separated)."
    )
    attach_invoice_pdf = fields.Boolean(
        string="Attach Invoice PDFs",
        default=True,
        help="Attach the PDF Odoo stored for each invoice listed in the email.",
    )
    default_collector_id = fields.Many2one(
        "res.users",
        domain="[('share', '=', False)]",
        help="Receives the call activities of customers without a collector.",
    )

    # The collector's workspace (issue #10): promises, calls, thank-you
    send_thank_you = fields.Boolean(
        string="Thank Customers Who Pay",
        default=True,
        help="A short thank-you email when an invoice that got a reminder is paid in "
        "full, or when a promise to pay is kept. Never twice for one invoice.",
    )
    confirm_holds = fields.Boolean(
        string="Confirm Promises and Disputes",
        default=True,
        help="An email confirms to the customer a promise to pay or a dispute, recorded "
        "by a collector or on the self-service page: what we noted, and that the "
        "reminders on those invoices pause.",
    )
    promise_grace_days = fields.Integer(
        default=3,
        help="A promise to pay not kept this many days after its date is broken: its "
        "invoices resume the ladder one level higher.",
    )
    reply_pause_days = fields.Integer(
        string="Pause After a Reply (Working Days)",
        default=3,
        help="When a customer answers a reminder by email, its reminders pause and resume "
        "this many working days after the reply; the collector gets a 'Customer "
        "replied' activity. Automatic replies (out of office) do not pause. 0: no pause.",
    )
    call_max_attempts_7d = fields.Integer(
        string="Call Attempts per 7 Days",
        default=7,
        help="At most this many logged call attempts per customer in any 7 days: an "
        "unanswered call is not retried beyond it.",
    )
    call_quiet_days_after_conversation = fields.Integer(
        string="Quiet Days After a Conversation",
        default=7,
        help="No new call attempt is scheduled within this many days after the customer "
        "was reached (reached, promised, disputed or asked for a plan).",
    )

    # Hand-off to an agency or legal action (issue #5)
    handoff_credit_hold = fields.Boolean(
        string="Credit Hold at Hand-off",
        default=True,
        help="Put the customer on credit hold when its invoices go to an agency or legal.",
    )
    handoff_notify_customer = fields.Boolean(
        string="Notify Customer of the Transfer",
        default=True,
        help="Send the customer a neutral notice when its invoices are handed off.",
    )
    handoff_notice_template_id = fields.Many2one(
        "mail.template",
        string="Transfer Notice Template",
        domain="[('model', '=', 'dunning.event')]",
        default=lambda self: self.env.ref(
            "account_dunning.mail_template_dunning_handoff", raise_if_not_found=False
        ),
        ondelete="restrict",
    )
    handoff_followup_days = fields.Integer(
        string="Ask Agency for Status After (days)",
        default=30,
        help="The collector gets an activity to ask the agency or lawyer for the status "
        "of a case this many days after the hand-off.",
    )

    # Late charges (issue #11)
    late_charge_rule = fields.Selection(
        [
            ("none", "None"),
            ("fixed_rate", "Fixed annual rate"),
            ("eu_late_payment", "EU Late Payment Directive (ECB + 8 points, EUR 40)"),
            ("uk_late_payment", "UK Late Payment Act (base rate + 8 %, GBP 40-100)"),
            ("de_bgb", "Germany, BGB 288 (base rate + 9 / + 5 points, EUR 40)"),
            ("fr_commerce", "France, Code de commerce (3x legal rate, EUR 40)"),
        ],
        string="Late Charges",
        default="none",
        required=True,
        help='Interest and fixed compensation that "Charge late fees" invoices on '
        "overdue invoices. Statutory rules use the reference rates of Configuration > "
        "Collections > Reference Rates; compensation is for business customers only.",
    )
    late_charge_rate = fields.Float(
        string="Annual Interest Rate (%)",
        digits=(16, 4),
        help="For a fixed annual rate: simple interest, actual/365, on the open amount.",
    )
    late_charge_product_id = fields.Many2one(
        "product.product",
        check_company=True,
        help="Product of the lines of late-charge invoices. Empty: lines without product, "
        "on the company's late-charge income account.",
    )

    contact_hour_start = fields.Float(
        string="Contact From",
        default=8.0,
        help="Emails and SMS are sent from this hour, in the customer's time zone (the "
        "contact's, else the customer's, else the company's). Created earlier, they wait "
        "in the queue. Regulation F: not before 8:00.",
    )
    contact_hour_end = fields.Float(
        string="Contact Until",
        default=20.0,
        help="No email or SMS from this hour on, in the customer's time zone; they wait "
        "for the next morning. Regulation F: not after 21:00.",
    )
    email_min_days = fields.Integer(
        string="Days Between Reminder Emails",
        default=3,
        help="A customer gets at most one reminder email in this many days: a step whose "
        "email would come sooner is taken on the first allowed day. 'Send reminder now' "
        "is exempt (a person decided). 0: no cap.",
    )

    # Limits of the customer self-service page (issue #14): what a customer may do
    portal_self_service = fields.Boolean(
        string="Customer Self-Service",
        default=True,
        help="Reminders carry a link to a page of the customer's account: open items, "
        "statement, pay now, promise a date, ask for a payment plan, dispute an "
        "invoice, stop reminder emails or propose a new accounts-payable contact.",
    )
    portal_link_days = fields.Integer(
        string="Self-Service Link Valid (Days)",
        default=90,
        help="The self-service link of a reminder works this many days; every new reminder "
        "carries a new one. It stops working at once when the contact's email address, "
        "customer or company changes, or the contact is archived.",
    )
    portal_promise_max_days = fields.Integer(
        string="Promise: Latest Date (Days)",
        default=30,
        help="A customer may promise to pay at most this many days from today.",
    )
    portal_promise_min_share = fields.Float(
        string="Promise: Minimum Share (%)",
        default=50.0,
        digits=(5, 2),
        help="A promise covers at least this share of the balance of the invoices it is for.",
    )
    portal_promise_renewals = fields.Integer(
        string="Promise: Renewals Online",
        default=1,
        help="How many times a customer may promise again online for an invoice it "
        "already promised online; beyond, the page asks them to answer our email and the "
        "collector agrees the date.",
    )
    portal_plan_max_months = fields.Integer(
        string="Plan: Maximum Months",
        default=6,
        help="A payment plan asked for online is approved at once when its monthly "
        "installments end within this many months; longer, a collector decides.",
    )
    portal_plan_min_installment = fields.Monetary(
        string="Plan: Minimum Installment",
        currency_field="currency_id",
        default=50.0,
        help="Approved at once only when every installment is at least this amount (in "
        "the company's currency: the plan's converted at today's rate); smaller, a "
        "collector decides.",
    )
    portal_plan_max_balance = fields.Monetary(
        string="Plan: Maximum Balance",
        currency_field="currency_id",
        default=10000.0,
        help="Approved at once only for a balance up to this amount (in the company's "
        "currency: the plan's converted at today's rate); more, a collector decides. 0: a "
        "collector always decides.",
    )
    portal_plan_first_date_max_days = fields.Integer(
        string="Plan: First Installment Within (Days)",
        default=30,
        help="Approved at once only when the first installment is due within this many "
        "days; later, a collector decides.",
    )
    portal_max_actions_per_hour = fields.Integer(
        string="Self-Service Actions per Hour",
        default=10,
        help="A customer can take at most this many actions per hour on the self-service "
        "page (promises, plan requests, disputes, opt-outs, contact changes).",
    )

    _handoff_followup_days_positive = models.Constraint(
        "CHECK(handoff_followup_days > 0)",
        "The follow-up delay of a hand-off must be at least one day.",
    )

    _promise_grace_days_positive = models.Constraint(
        "CHECK(promise_grace_days >= 0)", "The grace days of a promise cannot be negative."
    )
    _reply_pause_days_positive = models.Constraint(
        "CHECK(reply_pause_days >= 0)", "The pause after a reply cannot be negative."
    )
    _call_caps_positive = models.Constraint(
        "CHECK(call_max_attempts_7d >= 1 AND call_quiet_days_after_conversation >= 0)",
        "At least one call attempt per 7 days; quiet days cannot be negative.",
    )

    _name_company_uniq = models.Constraint(
        "UNIQUE(name, company_id)", "A policy name must be unique per company."
    )
    _min_days_positive = models.Constraint(
        "CHECK(min_days_between_steps >= 0)",
        "The minimum days between steps cannot be negative.",
    )
    _late_charge_rate_positive = models.Constraint(
        "CHECK(late_charge_rate >= 0 AND late_charge_rate <= 100)",
        "The late-charge interest rate is a yearly percentage between 0 and 100.",
    )
    _minimum_amount_positive = models.Constraint(
        "CHECK(minimum_amount >= 0)", "The minimum amount cannot be negative."
    )

    _email_min_days_positive = models.Constraint(
        "CHECK(email_min_days >= 0)", "The days between reminder emails cannot be negative."
    )

    _portal_limits_positive = models.Constraint(
        "CHECK(portal_promise_max_days >= 0 AND portal_plan_max_months >= 0 "
        "AND portal_link_days >= 1 "
        "AND portal_plan_first_date_max_days >= 0 AND portal_max_actions_per_hour >= 1 "
        "AND portal_plan_min_installment >= 0 AND portal_plan_max_balance >= 0 "
        "AND portal_promise_min_share >= 0 AND portal_promise_min_share <= 100)",
        "The self-service limits cannot be negative, the minimum share of a promise is "
        "at most 100 percent and a customer may take at least one action per hour.",
    )

    @api.depends("level_ids")
    def _compute_level_count(self):
        for policy in self:
            policy.level_count = len(policy.level_ids)

    @api.constrains("contact_hour_start", "contact_hour_end")
    def _check_contact_hours(self):
        for policy in self:
            try:
                check_window(policy.contact_hour_start, policy.contact_hour_end)
            except ValueError:
                raise ValidationError(
                    self.env._(
                        "Policy %(policy)s: the contact hours must be a window within one "
                        "day, from 00:00 to 24:00, that starts before it ends.",
                        policy=policy.name,
                    )
                ) from None

    def write(self, vals):
        res = super().write(vals)
        if set(vals) & LADDER_FIELDS:
            self._dunning_recompute_next_dates()
        return res

    def _dunning_ladder_levels(self):
        """The policy's levels in ladder order."""
        self.ensure_one()
        return self.level_ids.sorted(lambda lvl: (lvl.sequence, lvl.id))

    def _dunning_ladder_data(self):
        """(delays, minimum days between steps, start at matching level): the rules the
        run and the next-date computation share."""
        self.ensure_one()
        return (
            tuple(self._dunning_ladder_levels().mapped("delay_days")),
            max(self.min_days_between_steps, 1),
            self.start_at_matching_level,
        )

    def _dunning_recompute_next_dates(self):
        """The next step of the company's open invoices follows the edited ladder."""
        if self:
            self.env["account.move"]._dunning_recompute_next_dates(
                [("company_id", "in", self.company_id.ids)]
            )

    def _get_sender(self):
        """The From of dunning emails: the policy's sender, else the company's."""
        self.ensure_one()
        return self.email_from or self.company_id.email_formatted

    def _get_handoff_level(self):
        """The rung of the ladder that stands for the hand-off (transfer notice), if any."""
        self.ensure_one()
        levels = self.level_ids.filtered(lambda lvl: lvl.tone == "handoff")
        return levels.sorted(lambda lvl: (lvl.delay_days, lvl.id))[-1:]

    def _get_last_internal_level(self):
        """The last rung handled internally, before any hand-off: users may hand off an
        invoice once it reached it; managers may hand off at any time."""
        self.ensure_one()
        levels = self.level_ids.filtered(lambda lvl: lvl.tone != "handoff")
        return levels.sorted(lambda lvl: (lvl.delay_days, lvl.id))[-1:]

    def _dunning_contact_window(self):
        """(start, end) hours; the default window without a policy."""
        if not self:
            return DEFAULT_WINDOW
        self.ensure_one()
        return self.contact_hour_start, self.contact_hour_end
