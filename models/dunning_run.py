from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.fields import Command


class DunningRun(models.Model):
    """A collections run of one company on one day: a plan, then its execution."""

    _name = "dunning.run"
    _description = "Dunning Run"
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

    _cron_run_unique = models.UniqueIndex(
        "(company_id, date) WHERE trigger = 'cron'",
        "The scheduled run of a company happens once a day.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        runs = super().create(vals_list)
        # On the records, not the values: defaults from the context count too.
        if not self._dunning_is_manager():
            if any(run.force for run in runs):
                raise AccessError(
                    self.env._(
                        'Only a collections manager can force a run: use "Send reminder '
                        'now" on the customer.'
                    )
                )
            runs._dunning_check_restricted()
        return runs

    def write(self, vals):
        if not self._dunning_is_manager() and {"force", "partner_ids"} & set(vals):
            raise AccessError(
                self.env._("Only a collections manager can change the customers of a run.")
            )
        return super().write(vals)

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

    @api.depends("company_id", "date")
    def _compute_name(self):
        for run in self:
            run.name = f"{run.company_id.name} - {run.date}"

    def _compute_counts(self):
        counts = defaultdict(dict)
        for run, state, count in self.env["dunning.run.line"]._read_group(
            [("run_id", "in", self.ids)], ["run_id", "state"], ["__count"]
        ):
            counts[run.id][state] = count
        for run in self:
            by_state = counts.get(run.id, {})
            run.line_count = sum(by_state.values())
            run.todo_count = by_state.get("todo", 0)
            run.done_count = by_state.get("done", 0)
            run.skipped_count = by_state.get("skipped", 0)
            run.failed_count = by_state.get("failed", 0)

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
            run.state = "running"
            run._log_skips()
            run.line_ids.filtered(lambda line: line.state == "todo")._execute()
            run._follow_after_ladder()
            run.state = "done"
        return self._action_open()

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
        self.write({"date": today, "state": "draft"})
        return True

    def action_view_events(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account_dunning.action_dunning_event"
        )
        action["domain"] = [("run_id", "=", self.id)]
        return action

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
            # Whom to call first: the order of the worklist (res_partner_worklist.py).
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
