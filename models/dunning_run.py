import logging
from collections import defaultdict
from dataclasses import replace
from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.fields import Command
from odoo.tools import SQL, format_date

from ..tools.job_batches import (
    batch_buckets,
    batch_identity_key,
    batch_key_prefix,
    finish_identity_key,
)
from ..tools.ledger import INVOICE
from ..tools.planning import (
    CustomerFacts,
    DebitFacts,
    InvoiceFacts,
    Ladder,
    plan_customer,
    plan_reminder,
)

_logger = logging.getLogger(__name__)

GOOD_PAYER_LOOKBACK_DAYS = 365

# The customers' fields a plan reads (see _plan, _dunning_get_contacts, _get_collectors).
PLAN_PARTNER_FIELDS = [
    "commercial_partner_id",
    "dunning_policy_id",
    "dunning_excluded",
    "dunning_reminder_mode",
    "dunning_postpone_until",
    "dunning_contact_id",
    "dunning_collector_id",
    "email",
]


# The batches go first; the job closing the run waits for them (lower runs first).
BATCH_PRIORITY = 10

FINISH_PRIORITY = 20

# Seconds between two looks of the closing job at the batches still running.
FINISH_RETRY_SECONDS = 2

WAITING_JOB_STATES = ("wait_dependencies", "pending", "enqueued", "started")


# Customers executed per transaction: a crash loses at most one batch of work.
BATCH_SIZE = 50

# A manual company-wide run with more customers than this is sent by the scheduled
# action in committed batches, as Odoo's own batch sending does, not in the request.
MANUAL_EXECUTION_LIMIT_PARAM = "account_dunning.manual_execution_limit"

MANUAL_EXECUTION_LIMIT = 200

# Payments reconciled longer ago than this are not thanked for (e.g. installing the
# module, or turning the option on, does not thank for last year's payments).
THANK_YOU_LOOKBACK_DAYS = 30

# Paid there, not here: a recovery or a write-off is not a payment to thank for.
NOT_THANKED_STAGES = ("agency", "legal", "recovered", "written_off")


class DunningRun(models.Model):
    """A collections run of one company on one day: a plan, then its execution."""

    _name = "dunning.run"
    _description = "Dunning Run"
    _inherit = ["mail.thread", "mail.activity.mixin", "dunning.authority.mixin"]
    _order = "date desc, id desc"
    _check_company_auto = True

    name = fields.Char(compute="_compute_name", store=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    date = fields.Date(required=True, default=fields.Date.context_today, index=True)
    state = fields.Selection(
        [("draft", "Draft"), ("planned", "Planned"), ("running", "Running"), ("done", "Done")],
        required=True,
        default="draft",
        index=True,
    )
    trigger = fields.Selection(
        [("cron", "Scheduled"), ("manual", "Manual")], required=True, default="manual"
    )
    partner_ids = fields.Many2many(
        "res.partner",
        string="Only Customers",
        help="Restrict the run to these customers (e.g. 'Send reminder now').",
    )
    force = fields.Boolean(
        help="Sent by hand: ignore the minimum delay between steps and the good payer "
        "rule, and remind the current level when no invoice climbs.",
    )
    line_ids = fields.One2many("dunning.run.line", "run_id", string="Customers")
    event_ids = fields.One2many("dunning.event", "run_id", string="Events")
    line_count = fields.Integer(compute="_compute_counts")
    todo_count = fields.Integer(compute="_compute_counts")
    done_count = fields.Integer(compute="_compute_counts")
    skipped_count = fields.Integer(compute="_compute_counts")
    failed_count = fields.Integer(compute="_compute_counts")
    message_count = fields.Integer(
        string="Messages Sent",
        compute="_compute_counts",
        help="Messages that reached the customers (email, SMS, letter...) in this run.",
    )

    # The scheduled side of runs: the daily cron, batches with committed progress,
    error_message = fields.Text(
        string="Error", readonly=True, help="Why the scheduled run stopped for this company."
    )
    config_warnings = fields.Text(
        compute="_compute_config_warnings",
        help="The configuration problems the run would meet, shown on the preview.",
    )

    _cron_run_unique = models.UniqueIndex(
        "(company_id, date) WHERE trigger = 'cron'",
        "The scheduled run of a company happens once a day.",
    )

    @api.depends("company_id", "date")
    def _compute_name(self):
        for run in self:
            run.name = f"{run.company_id.name} - {run.date}"

    @api.depends("date", "trigger", "partner_ids")
    @api.depends_context("lang")
    def _compute_display_name(self):
        """What tells runs apart in a list: the day, how it started and whom it is for
        ("Dec 7, 2026 - Manual - Acme Retail", "... - Scheduled - 12 customers")."""
        triggers = dict(self._fields["trigger"]._description_selection(self.env))
        for run in self:
            if run.partner_ids:
                whom = ", ".join(run.partner_ids[:3].mapped("display_name"))
                if len(run.partner_ids) > 3:
                    whom = self.env._(
                        "%(names)s and %(count)s more", names=whom, count=len(run.partner_ids) - 3
                    )
            elif run.line_count == 1:
                whom = self.env._("1 customer")
            else:
                whom = self.env._("%(count)s customers", count=run.line_count)
            run.display_name = " - ".join(
                filter(
                    None,
                    (run.date and format_date(self.env, run.date), triggers.get(run.trigger), whom),
                )
            )

    def _compute_counts(self):
        counts = defaultdict(dict)
        for run, state, count in self.env["dunning.run.line"]._read_group(
            [("run_id", "in", self.ids)], ["run_id", "state"], ["__count"]
        ):
            counts[run.id][state] = count
        messages = dict(
            self.env["dunning.event"]._read_group(
                [
                    ("run_id", "in", self.ids),
                    ("is_customer_message", "=", True),
                    ("state", "=", "done"),
                ],
                ["run_id"],
                ["__count"],
            )
        )
        for run in self:
            by_state = counts.get(run.id, {})
            run.message_count = messages.get(run, 0)
            run.line_count = sum(by_state.values())
            run.todo_count = by_state.get("todo", 0)
            run.done_count = by_state.get("done", 0)
            run.skipped_count = by_state.get("skipped", 0)
            run.failed_count = by_state.get("failed", 0)

    @api.depends("company_id")
    def _compute_config_warnings(self):
        for run in self:
            run.config_warnings = "\n".join(run._dunning_config_problems()) or False

    @api.model_create_multi
    def create(self, vals_list):
        runs = super().create(vals_list)
        if not self._dunning_is_manager():
            runs._dunning_check_restricted()
        return runs

    # ------------------------------------------------------------------ actions

    def action_preview(self):
        """Plan the run without sending anything, and show the plan."""
        for run in self:
            if run.state in ("running", "done"):
                raise UserError(self.env._("Run %(run)s has already started.", run=run.name))
            run._dunning_check_today()
            run._plan()
        return self._action_open()

    def action_execute(self):
        """Carry out the plan (planning first if needed). A large company-wide run is
        handed to the scheduled action, which sends it in committed batches."""
        self._dunning_check_restricted()
        for run in self:
            if run.state in ("done", "running"):
                continue
            replanned = run._dunning_check_today()
            # A promise broken today resumes the ladder in today's plan: planned again
            # when the follow-up broke one after a preview.
            broken = run.state in ("draft", "planned") and run._follow_promises()
            if replanned or run.state == "draft" or broken:
                run._plan()
            if run._dunning_hand_to_cron():
                continue
            run._dunning_flow_write({"state": "running"})
            run._log_skips()
            run.line_ids.filtered(lambda line: line.state == "todo")._execute()
            run._follow_after_ladder()
            run._dunning_flow_write({"state": "done"})
        return self._action_open()

    def action_view_events(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account_dunning.action_dunning_event"
        )
        action["domain"] = [("run_id", "=", self.id)]
        return action

    def _dunning_is_manager(self):
        return self.env.su or self.env.user.has_group("account_dunning.group_dunning_manager")

    def _dunning_check_restricted(self):
        """Collections users run collections for chosen customers, never for the whole
        company (that is the scheduled run's, or a collections manager's)."""
        if not self._dunning_is_manager() and any(not run.partner_ids for run in self):
            raise AccessError(
                self.env._(
                    "Only a collections manager can run the collections of the whole "
                    'company: use "Send reminder now" on the customer.'
                )
            )

    @api.model
    def _dunning_create_reminder_run(self, partners):
        """The run of "Send reminder now": these customers only, sent by hand (force),
        in the current company. The one way a collections user gets a forced run."""
        partners.check_access("read")
        customers = partners.commercial_partner_id
        if len(customers) > 1 and not self._dunning_is_manager():
            # Forcing many customers at once is a company run by another name.
            raise AccessError(
                self.env._(
                    "Send reminders now to one customer at a time: the daily run reminds "
                    "the others (a collections manager can send to several)."
                )
            )
        # sudo: create() refuses force to users; here the code sets it, for the customers
        # the user chose (never the whole company), and the run acts as the user again.
        run = self.sudo().create(
            {
                "company_id": self.env.company.id,
                "trigger": "manual",
                "force": True,
                "partner_ids": [Command.set(customers.ids)],
            }
        )
        return run.sudo(False)

    @api.model
    def _action_preview_today(self):
        """'Preview Today's Run': today's company-wide preview, planned again on today's
        data; one per company and day, reused rather than piled up."""
        today = fields.Date.context_today(self)
        run = self.search(
            [
                ("company_id", "=", self.env.company.id),
                ("date", "=", today),
                ("trigger", "=", "manual"),
                ("state", "in", ("draft", "planned")),
                ("partner_ids", "=", False),
                ("force", "=", False),
            ],
            order="id desc",
            limit=1,
        )
        return (run or self.create({"company_id": self.env.company.id})).action_preview()

    def _dunning_check_today(self):
        """A run acts on today only. A run dated later cannot be carried out; a manual
        run planned on an earlier day is dated today (True: plan it again); the
        scheduled run of an earlier day is refused: today's has taken its place."""
        self.ensure_one()
        today = fields.Date.context_today(self)
        if self.date > today:
            raise UserError(
                self.env._(
                    "Run %(run)s is dated %(date)s: a run acts on today only; it can be "
                    "previewed and executed on that day.",
                    run=self.name,
                    date=self.date,
                )
            )
        if self.date == today:
            return False
        if self.trigger == "cron":
            raise UserError(
                self.env._(
                    "Run %(run)s is the scheduled run of %(date)s: what it planned is out "
                    "of date. Preview today's run instead.",
                    run=self.name,
                    date=self.date,
                )
            )
        self._dunning_flow_write({"date": today, "state": "draft"})
        return True

    def _action_open(self):
        if len(self) != 1:
            return True
        action = self.env["ir.actions.act_window"]._for_xml_id("account_dunning.action_dunning_run")
        action.update({"res_id": self.id, "views": [(False, "form")], "view_mode": "form"})
        return action

    def _log_skips(self):
        """Log why customers due for a step were skipped, once per customer, level and
        reason (not every day); 'too soon' is routine and only shown on the run."""
        lines = self.line_ids.filtered(
            lambda line: (
                line.state == "skipped"
                and line.skip_reason not in ("too_soon", "stale", "email_cap")
            )
        )
        if not lines:
            return
        logged = {
            (event.partner_id.id, event.level_id.id, event.reason)
            for event in self.env["dunning.event"].search(
                [
                    ("state", "=", "skipped"),
                    ("company_id", "=", self.company_id.id),
                    ("partner_id", "in", lines.partner_id.ids),
                ]
            )
        }
        vals_list = []
        for line in lines:
            reason = line._describe()
            if (line.partner_id.id, line.level_id.id, reason) not in logged:
                vals_list.append(line._event_values(line._primary_channel(), "skipped", reason))
        self.env["dunning.engine"]._log(vals_list)

    def _follow_promises(self):
        """The day's follow-up of the company's promises to pay: kept, broken, cancelled.
        Before planning, so that the invoices of a promise broken today take their step
        one level higher in today's run. Returns the promises broken."""
        if self.partner_ids:  # 'Send reminder now' for some customers only
            return self.env["dunning.promise"]
        return (
            self.env["dunning.promise"]
            .with_company(self.company_id)
            ._dunning_process_promises(self.date)
        )

    def _follow_after_ladder(self):
        """What the run does after the ladder: payment plans, disputes past their
        expected date, thank-you for invoices paid after a reminder, the collectors'
        priorities."""
        self._follow_payment_plans()
        if not self.partner_ids:
            company = self.with_company(self.company_id)
            company.env["dunning.dispute"]._dunning_process_disputes(self.date)
            company._send_thank_yous()
            # Whom to call first: the order of the worklist (dunning_priority).
            company.env["res.partner"]._dunning_update_priorities()

    def _follow_payment_plans(self):
        """The day's follow-up of the company's payment plans: installment reminders,
        completed and broken plans. After the ladder, so that the invoices of a plan
        broken today get the plan's message today and the ladder's from tomorrow."""
        if self.partner_ids:  # 'Send reminder now' for some customers only
            return
        self.env["dunning.payment.plan"].with_company(self.company_id)._dunning_process_plans(
            self.date
        )

    def _dunning_hand_to_cron(self):
        """Hand a large manual run to the scheduled action (True when handed)."""
        self.ensure_one()
        if self.env.context.get("dunning_in_cron"):
            return False
        limit = int(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param(MANUAL_EXECUTION_LIMIT_PARAM, MANUAL_EXECUTION_LIMIT)
        )
        todo = self.env["dunning.run.line"].search_count(
            [("run_id", "=", self.id), ("state", "=", "todo")]
        )
        if todo <= limit:
            return False
        self._dunning_flow_write({"state": "running"})
        self._log_skips()
        # sudo: triggering the company's scheduled action is what this run asks for;
        # ir.cron is reserved to administrators.
        self.env.ref("account_dunning.ir_cron_dunning_run").sudo()._trigger()
        return True

    def _dunning_todo_lines(self, limit=None, automatic_only=False):
        """The lines left to execute, read with one indexed query (never the whole run:
        the run may have tens of thousands of lines)."""
        domain = [("run_id", "=", self.id), ("state", "=", "todo")]
        if automatic_only:
            domain.append(("policy_id.execution_mode", "=", "automatic"))
        return self.env["dunning.run.line"].search(domain, order="id", limit=limit)

    def _dunning_cron_plan(self):
        """Plan and log the skips of the scheduled run; on error, say so on the run and
        to the managers, and let the other companies run (False)."""
        try:
            with self.env.cr.savepoint():
                self._follow_promises()
                self._plan()
                self._dunning_flow_write({"state": "running"})
                self._log_skips()
        except Exception as error:
            _logger.exception("Collections: the scheduled run of %s failed", self.company_id.name)
            self.env.invalidate_all()
            self._dunning_flow_write({"error_message": str(error)})
            self._dunning_notify_managers(
                self.env._("Collections run failed"),
                self.env._(
                    "Today's collections run of %(company)s stopped: %(error)s",
                    company=self.company_id.name,
                    error=error,
                ),
            )
            self.env["ir.cron"]._commit_progress()
            return False
        self.env["ir.cron"]._commit_progress(remaining=len(self._dunning_todo_lines()))
        return True

    def _execute_in_batches(self, automatic_only=False):
        """Execute the remaining lines batch by batch, committing after each one.

        Returns False when the cron's time is up before the end. With
        ``automatic_only``, the lines of review-mode policies wait for a person: the
        run stays planned and the collections managers are asked to review it.
        """
        self.ensure_one()
        # With OCA's queue_job installed, Odoo's workers execute the batches as jobs.
        if self._dunning_enqueue_batches(automatic_only):
            return True
        while True:
            batch = self._dunning_todo_lines(BATCH_SIZE, automatic_only)
            if not batch:
                break
            batch._execute()
            remaining = self.env["dunning.run.line"].search_count(
                [("run_id", "=", self.id), ("state", "=", "todo")]
            )
            if self.env["ir.cron"]._commit_progress(len(batch), remaining=remaining) <= 0:
                return False
        self._dunning_close()
        self.env["ir.cron"]._commit_progress(remaining=0)
        return True

    def _dunning_close(self):
        """After the batches (cron or queue_job): the day's follow-ups, then the run is
        done, or planned again with a review request for the lines still waiting."""
        try:
            with self.env.cr.savepoint():
                self._follow_after_ladder()
        except Exception:
            _logger.exception("Collections: follow-ups of %s failed", self.company_id.name)
            self.env.invalidate_all()
        waiting = self._dunning_todo_lines()
        if waiting:
            self._dunning_flow_write({"state": "planned"})
            self._dunning_request_review(waiting)
        else:
            self._dunning_flow_write({"state": "done"})

    def _dunning_request_review(self, waiting):
        """Review mode: nothing is sent until a collections manager executes the run."""
        skipped = self.env["dunning.run.line"].search_count(
            [("run_id", "=", self.id), ("state", "=", "skipped")]
        )
        self._dunning_notify_managers(
            self.env._("Review today's collections run"),
            self.env._(
                "%(count)s customers are due for a reminder and %(skipped)s are skipped. "
                "Nothing is sent until you review the run and click Execute.",
                count=len(waiting),
                skipped=skipped,
            ),
        )

    def _dunning_notify_managers(self, summary, note):
        managers = self.env["res.users"].search(
            [
                ("group_ids", "in", self.env.ref("account_dunning.group_dunning_manager").id),
                ("company_ids", "in", self.company_id.id),
                ("share", "=", False),
                ("id", "!=", self.env.ref("base.user_root").id),
            ]
        )
        for manager in managers or self.env["dunning.engine"]._first_manager(self.company_id):
            self.env["dunning.engine"]._schedule(
                self, summary, Markup("<p>%s</p>") % note, manager, self.date
            )

    def _dunning_config_problems(self):
        """What would make the run fail or do less than expected, in plain words."""
        self.ensure_one()
        company = self.company_id
        problems = []
        policies = self.env["dunning.policy"].search([("company_id", "=", company.id)])
        for policy in policies:
            if not policy.level_ids:
                problems.append(
                    self.env._(
                        "Policy %(policy)s has no levels: its customers are not chased.",
                        policy=policy.name,
                    )
                )
            if not policy._get_sender() and any(policy.level_ids.mapped("send_email")):
                problems.append(
                    self.env._(
                        "Neither %(company)s nor policy %(policy)s has an email address: "
                        "the reminders would have no sender. Set the company's email or "
                        "the policy's sender.",
                        company=company.name,
                        policy=policy.name,
                    )
                )
            for level in policy.level_ids:
                template = level.mail_template_id
                if level.send_email and (not template or not template.active):
                    problems.append(
                        self.env._(
                            "Level %(level)s of %(policy)s sends an email but its template "
                            "is missing or archived: its emails would fail.",
                            level=level.name,
                            policy=policy.name,
                        )
                    )
                if "sms" in level._dunning_step_kinds() and not level.sms_template_id:
                    problems.append(
                        self.env._(
                            "Level %(level)s of %(policy)s sends an SMS without a template.",
                            level=level.name,
                            policy=policy.name,
                        )
                    )
        if not company.dunning_default_policy_id:
            problems.append(
                self.env._(
                    "%(company)s has no default dunning policy: customers without a policy "
                    "of their own are not chased.",
                    company=company.name,
                )
            )
        if not company.dunning_bad_debt_account_id:
            problems.append(
                self.env._(
                    "%(company)s has no bad-debt expense account: write-offs need one "
                    "(Invoicing > Configuration > Settings > Collections).",
                    company=company.name,
                )
            )
        return problems

    def _plan(self):
        """Replace the run's lines with the decisions taken on today's data."""
        self.ensure_one()
        self.line_ids.unlink()
        company = self.company_id
        # Next dates that have passed without a step move to the next day the run acts.
        self.env["account.move"]._dunning_recompute_next_dates(
            [("company_id", "=", company.id), ("dunning_next_date", "<", self.date)]
        )
        run = self.with_company(company)
        ledgers, invoices_by_partner, other_debits = run._ledger_facts()
        if not invoices_by_partner:
            self._dunning_flow_write({"state": "planned"})
            return
        partners = self.env["res.partner"].with_company(company).browse(invoices_by_partner)
        good_payers = run._good_payers(partners)
        last_emails = run._dunning_last_reminder_emails(partners)
        messaged_today = self.env["dunning.engine"]._messaged_on(
            partners, self.date, self.company_id
        )
        # Only what the plan reads, one query for all: reading a field of a customer
        # not in cache fetches every prefetched column of res.partner (pricelists...).
        partners.fetch(PLAN_PARTNER_FIELDS)
        policies = {partner.id: partner._dunning_get_policy() for partner in partners}
        ladders = {policy: run._ladder(policy) for policy in set(policies.values()) if policy}
        planner = plan_reminder if self.force else plan_customer
        contacts = partners._dunning_get_contacts()
        resumed = self.env["dunning.promise"]._dunning_resumed_moves(
            [inv.move_id for invoices in invoices_by_partner.values() for inv in invoices]
        )
        decisions = {}
        for partner in partners:
            policy = policies[partner.id]
            if not policy or not policy.level_ids:
                continue
            invoices = [
                replace(inv, resumed=inv.last_date is None or inv.last_date < resumed[inv.move_id])
                if inv.move_id in resumed
                else inv
                for inv in invoices_by_partner[partner.id]
            ]
            facts = CustomerFacts(
                partner_id=partner.id,
                invoices=tuple(invoices),
                net_balance=ledgers[partner.id].net_company(),
                excluded=partner.dunning_excluded,
                good_payer=partner.id in good_payers
                and all(inv.due_date >= self.date for inv in invoices),
                last_email_date=last_emails.get(partner.id),
                # 'Send reminder now' is a person's decision: it overrides both.
                manual=not self.force and partner.dunning_reminder_mode == "manual",
                postponed_until=None if self.force else partner.dunning_postpone_until or None,
                other_debits=tuple(other_debits.get(partner.id, ())),
                messaged_today=not self.force and partner.id in messaged_today,
            )
            decision = planner(facts, ladders[policy][0], self.date)
            if decision is not None:
                decisions[partner] = decision
        levels_of = {
            partner.id: ladders[policies[partner.id]][1][decision.level_index]
            for partner, decision in decisions.items()
        }
        collectors = self.env["dunning.engine"]._get_collectors(
            self.env["res.partner"].browse([partner.id for partner in decisions]),
            company,
            policy_of=lambda p: policies[p.id],
            level_of=lambda p: levels_of[p.id],
            fallback=self.env["dunning.engine"]._default_fallback_collector(),
        )
        line_vals = []
        for partner, decision in decisions.items():
            policy = policies[partner.id]
            vals = self._line_values(partner, policy, ladders[policy][1], decision)
            vals["credit_line_ids"] = [item.line_id for item in ledgers[partner.id].credits()]
            level = levels_of[partner.id]
            contact = contacts[partner.id]
            vals.update(
                contact_id=contact.id,
                email_to=contact.email,
                collector_id=collectors[partner.id].id,
            )
            if decision.skip_reason == "email_cap":
                vals["note"] = self._dunning_email_cap_note(
                    last_emails[partner.id], ladders[policy][0]
                )
            if not decision.skip_reason and level.send_email and not contact.email:
                vals["note"] = self.env._(
                    "No email address for %(contact)s: the email will fail and a 'Fix "
                    "contact' task will be created.",
                    contact=contact.display_name,
                )
            line_vals.append(vals)
        self.env["dunning.run.line"]._insert_plan(line_vals)
        self._dunning_flow_write({"state": "planned"})

    def _ladder(self, policy):
        levels = policy._dunning_ladder_levels()
        delays, min_days, start_at_matching_level = policy._dunning_ladder_data()
        ladder = Ladder(
            delays=delays,
            min_days_between_steps=0 if self.force else min_days,
            minimum_amount=policy.minimum_amount,
            skip_predue_for_good_payers=policy.skip_predue_for_good_payers and not self.force,
            start_at_matching_level=start_at_matching_level,
            # 'Send reminder now' is exempt from the email cap: a person decided.
            email_min_days=0 if self.force else policy.email_min_days,
            email_levels=tuple(levels.mapped("send_email")),
        )
        return ladder, levels

    def _line_values(self, partner, policy, levels, decision):
        level_ids = levels.ids
        steps = {str(move_id): level_ids[index] for move_id, index in decision.steps.items()}
        return {
            "run_id": self.id,
            "partner_id": partner.id,
            "policy_id": policy.id,
            "level_id": level_ids[decision.level_index],
            "move_ids": list(decision.listed),
            "step_data": steps,
            "amount": decision.amount,
            "state": "skipped" if decision.skip_reason else "todo",
            "skip_reason": decision.skip_reason,
        }

    def _ledger_facts(self):
        """What the customers owe, read once (res.partner._dunning_ledger_rows), as the
        plan's facts: ``(ledgers, invoices, other debits)``, the last two per customer
        with a chasable invoice.

        A chasable invoice is an open posted customer invoice in the Normal stage, not
        excluded, that the customer's credits leave owed (tools/ledger.py: an invoice
        covered by a credit note is not chased). Its due date is its first installment
        still owed, so payment terms with several due dates work, and its amount is the
        part asked for, net of the credits: the installments due by the run's date, or
        the first one when none is due yet (a reminder before the due date). The other
        debits are the customer's other askable debits already due (a debit entry)."""
        Partner = self.env["res.partner"]
        customer_ids = self.partner_ids.commercial_partner_id.ids if self.partner_ids else None
        rows = Partner._dunning_ledger_rows(customer_ids)
        ledgers = Partner._dunning_ledgers_from_rows(rows, self.date)
        ladder_of = {
            row["move_id"]: (row["level_delay"], row["last_date"])
            for row in rows
            if row["kind"] == INVOICE
        }
        invoices, others = defaultdict(list), defaultdict(list)
        for partner_id, ledger in ledgers.items():
            owed = defaultdict(list)
            for item in ledger.items:
                if not item.askable:
                    continue
                if item.kind == INVOICE:
                    owed[item.move_id].append(item)
                elif item.date_due <= self.date and ledger.uncovered(item.line_id) > 0:
                    others[partner_id].append(
                        DebitFacts(
                            item.line_id,
                            ledger.uncovered_company(item),
                            item.currency,
                            ledger.uncovered(item.line_id),
                        )
                    )
            for move_id, items in owed.items():
                # The first installment still owed; an invoice its customer's credits
                # cover keeps its first due date and asks for nothing (no step).
                uncovered = [item for item in items if ledger.uncovered(item.line_id) > 0]
                due = (uncovered or items)[0].date_due
                part = [item for item in items if item.date_due <= max(self.date, due)]
                level_delay, last_date = ladder_of[move_id]
                invoices[partner_id].append(
                    InvoiceFacts(
                        move_id,
                        due,
                        sum(ledger.uncovered_company(item) for item in part),
                        level_delay,
                        last_date,
                        currency_id=items[0].currency,
                        residual=sum(ledger.uncovered(item.line_id) for item in part),
                        issued=items[0].date,
                    )
                )
        return ledgers, invoices, others

    def _good_payers(self, partners):
        """Customers who paid every invoice of the last year on or before its due date."""
        rows = self.env.execute_query(
            SQL(
                """
            SELECT m.commercial_partner_id
              FROM account_move m
              JOIN account_move_line aml ON aml.move_id = m.id
              JOIN account_account acc ON acc.id = aml.account_id
              JOIN account_partial_reconcile apr ON apr.debit_move_id = aml.id
             WHERE m.company_id = %(company)s
               AND m.move_type = 'out_invoice'
               AND m.state = 'posted'
               AND m.payment_state IN ('paid', 'in_payment')
               AND m.invoice_date >= %(since)s
               AND acc.account_type = 'asset_receivable'
               AND m.commercial_partner_id IN %(partners)s
          GROUP BY m.commercial_partner_id
            HAVING BOOL_AND(apr.max_date <= aml.date_maturity)
            """,
                company=self.company_id.id,
                since=self.date - timedelta(days=GOOD_PAYER_LOOKBACK_DAYS),
                partners=tuple(partners.ids),
            )
        )
        return {partner_id for (partner_id,) in rows}

    def _dunning_last_reminder_emails(self, partners):
        """{customer id: date of its last reminder email sent by the ladder}, one query."""
        if not partners:
            return {}
        self.env["dunning.event"].flush_model(["partner_id", "channel", "state", "level_id"])
        rows = self.env.execute_query(
            SQL(
                """
            SELECT partner_id, MAX(date)
              FROM dunning_event
             WHERE company_id = %(company)s
               AND partner_id IN %(partners)s
               AND channel = 'email'
               AND state = 'done'
               AND level_id IS NOT NULL
          GROUP BY partner_id
                """,
                company=self.company_id.id,
                partners=tuple(partners.ids),
            )
        )
        return dict(rows)

    def _dunning_email_cap_note(self, last_email, ladder):
        return self.env._(
            "Email cap: last reminder email on %(date)s; the step is taken on %(next)s.",
            date=format_date(self.env, last_email),
            next=format_date(self.env, last_email + timedelta(ladder.email_min_days)),
        )

    def _dunning_queue_available(self):
        return "queue.job" in self.env and not self.env.context.get("dunning_no_queue")

    def _dunning_enqueue_batches(self, automatic_only=False):
        """Queue one job per batch of the lines left to do, and the job that closes the
        run. Returns False (nothing queued) when queue_job is not installed."""
        self.ensure_one()
        if not self._dunning_queue_available():
            return False
        todo = self._dunning_todo_lines(automatic_only=automatic_only)
        if todo:
            # The smallest line id of the whole run, done lines included: the buckets
            # stay the same from one call to the next (see tools/job_batches.py).
            self.env.cr.execute(
                "SELECT min(id) FROM dunning_run_line WHERE run_id = %s", (self.id,)
            )
            base = self.env.cr.fetchone()[0]
            for bucket, line_ids in batch_buckets(todo.ids, BATCH_SIZE, base).items():
                self.with_delay(
                    priority=BATCH_PRIORITY,
                    identity_key=batch_identity_key(self.id, bucket),
                    description=self.env._(
                        "Collections run %(run)s: batch %(batch)s", run=self.name, batch=bucket
                    ),
                )._dunning_job_execute_batch(line_ids)
        self.with_delay(
            priority=FINISH_PRIORITY,
            identity_key=finish_identity_key(self.id),
            description=self.env._("Collections run %(run)s: close", run=self.name),
        )._dunning_job_finish(automatic_only)
        _logger.info(
            "Collections run %s: %s customers queued in batches of %s",
            self.id,
            len(todo),
            BATCH_SIZE,
        )
        return True

    def _dunning_job_execute_batch(self, line_ids):
        """Job: execute the lines of one batch that are still to do (the others were
        done by an earlier attempt or another job)."""
        self.ensure_one()
        lines = self.env["dunning.run.line"].search(
            [("id", "in", line_ids), ("run_id", "=", self.id), ("state", "=", "todo")],
            order="id",
        )
        lines._execute()
        return self.env._("%(count)s customers executed", count=len(lines))

    def _dunning_job_finish(self, automatic_only=False):
        """Job: once no batch of the run waits or runs, execute in place what is still
        to do (lines of failed jobs), follow up and close the run, as the scheduled
        action does without queue_job."""
        from odoo.addons.queue_job.exception import RetryableJobError  # noqa: PLC0415

        self.ensure_one()
        waiting = (
            self.env["queue.job"]
            .sudo()
            .search_count(
                [
                    ("identity_key", "=like", batch_key_prefix(self.id) + "%"),
                    ("state", "in", WAITING_JOB_STATES),
                ]
            )
        )
        if waiting:
            raise RetryableJobError(
                f"{waiting} batches of the run still to execute",
                seconds=FINISH_RETRY_SECONDS,
                ignore_retry=True,
            )
        if self.state != "running":
            return self.env._("Run already closed")
        # Lines of batches whose job failed for good: once more here, where a customer
        # that fails again is marked failed. No commit: queue_job commits the job.
        self._dunning_todo_lines(automatic_only=automatic_only)._execute()
        self._dunning_close()
        return self.env._("Run closed: %(state)s", state=self.state)

    def _send_thank_yous(self):
        """Thank the customers whose reminded invoices were paid in full."""
        self.ensure_one()
        if self.partner_ids:  # 'Send reminder now' for some customers only
            return self.env["dunning.event"]
        rows = self._select_thanked_invoices()
        if not rows:
            return self.env["dunning.event"]
        by_partner = defaultdict(list)
        for partner_id, move_id in rows:
            by_partner[partner_id].append(move_id)
        Move = self.env["account.move"]
        partners = self.env["res.partner"].browse(list(by_partner))
        return self.with_company(self.company_id)._dunning_thank(
            [(partner, Move.browse(by_partner[partner.id]), None) for partner in partners],
            self.date,
        )

    def _select_thanked_invoices(self):
        """(customer, invoice) of the company's invoices paid in full, not thanked yet,
        reminded at least once (a step of the ladder that reaches the customer listing
        them: dunning.level.step._dunning_channels) and settled by
        a reconciliation dated within the lookback."""
        self.env["account.move"].flush_model()
        self.env["account.partial.reconcile"].flush_model()
        self.env["dunning.event"].flush_model()
        return self.env.execute_query(
            SQL(
                """
            SELECT m.commercial_partner_id, m.id
              FROM account_move m
             WHERE m.company_id = %(company)s
               AND m.move_type = 'out_invoice'
               AND m.state = 'posted'
               AND m.payment_state IN ('paid', 'in_payment')
               AND m.dunning_thanked IS NOT TRUE
               AND m.dunning_stage NOT IN %(stages)s
               AND EXISTS (
                   SELECT 1
                     FROM account_move_dunning_event_rel rel
                     JOIN dunning_event e ON e.id = rel.event_id
                    WHERE rel.move_id = m.id
                      AND e.state = 'done'
                      AND e.channel IN %(channels)s)
               AND EXISTS (
                   SELECT 1
                     FROM account_move_line aml
                     JOIN account_partial_reconcile apr ON apr.debit_move_id = aml.id
                    WHERE aml.move_id = m.id
                      AND apr.max_date >= %(since)s)
          ORDER BY m.commercial_partner_id, m.id
            """,
                company=self.company_id.id,
                stages=NOT_THANKED_STAGES,
                # A reminder is a step of the ladder that reaches the customer (the
                # channel registry), not a plan message nor a note.
                channels=tuple(self.env["dunning.level.step"]._dunning_customer_kinds()),
                since=self.date - timedelta(days=THANK_YOU_LOOKBACK_DAYS),
            )
        )

    @api.model
    def _dunning_thank(self, items, day):
        """One thank-you per item ``(customer, invoices, promise or None)`` when the
        customer's policy says so, through the gateway (one message per customer and
        day: a customer who heard from us today is thanked on a later day, its invoices
        staying "not thanked" until then); the invoices paid in full are remembered as
        thanked once it went (turning the option on later thanks no old payment)."""
        engine = self.env["dunning.engine"]
        template = self.env.ref(
            "account_dunning.mail_template_dunning_thank_you", raise_if_not_found=False
        )
        messaged = engine._messaged_on(
            self.env["res.partner"].browse([p.id for p, _m, _pr in items]), day
        )
        items = [item for item in items if item[0].commercial_partner_id.id not in messaged]
        if not items:
            return self.env["dunning.event"]
        vals_list, requests = [], []
        customers = self.env["res.partner"].browse([partner.id for partner, _m, _p in items])
        contacts = customers._dunning_get_contacts()
        for partner, moves, promise in items:
            policy = partner._dunning_get_policy()
            if not template or not policy or not policy.send_thank_you:
                continue
            company = (promise.company_id if promise else moves.company_id[:1]) or self.env.company
            vals_list.append(
                {
                    "date": day,
                    "company_id": company.id,
                    "partner_id": partner.commercial_partner_id.id,
                    "contact_id": contacts[partner.id].id,
                    "move_ids": [Command.set(moves.ids)],
                    "channel": "thank_you",
                    "state": "done",
                    "amount_residual": 0.0,
                    "promise_id": promise.id if promise else False,
                }
            )
            requests.append(
                {
                    "channel": "email",
                    "customer": partner.commercial_partner_id,
                    "contact": contacts[partner.id],
                    "template": template,
                    "thread": partner.commercial_partner_id,
                    "policy": policy,
                    "company": company,
                }
            )
        events = engine._log(vals_list)
        for request, event in zip(requests, events, strict=True):
            request["event"] = event
        engine._deliver(requests)
        paid = (
            self.env["account.move"]
            .browse([move.id for _p, moves, _pr in items for move in moves])
            .filtered(lambda m: m.payment_state in ("paid", "in_payment"))
        )
        paid._dunning_mark_thanked()
        return events

    @api.model
    def _cron_run(self):
        """Daily run of every company: plan, then execute in committed batches what the
        policies let run on their own (review mode waits for a person). One company's
        failure does not stop the others. Then the manual runs handed over today."""
        today = fields.Date.context_today(self)
        runs = self.with_context(dunning_in_cron=True)
        for company in self.env["res.company"].search([]):
            run = runs.search(
                [("company_id", "=", company.id), ("date", "=", today), ("trigger", "=", "cron")],
                limit=1,
            )
            if not run:
                run = runs.create({"company_id": company.id, "date": today, "trigger": "cron"})
            if run.state in ("done", "planned") or run.error_message:
                continue
            if run.state == "draft" and not run._dunning_cron_plan():
                continue
            if not run._execute_in_batches(automatic_only=True):
                return  # out of time: the cron is called again for the rest
        handed = runs.search(
            [("state", "=", "running"), ("trigger", "=", "manual"), ("date", "=", today)]
        )
        for run in handed:
            if not run._execute_in_batches():
                return
