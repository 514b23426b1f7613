import logging

from markupsafe import Markup

from odoo import api, fields, models

_logger = logging.getLogger(__name__)

# Customers executed per transaction: a crash loses at most one batch of work.
BATCH_SIZE = 50
# A manual company-wide run with more customers than this is sent by the scheduled
# action in committed batches, as Odoo's own batch sending does, not in the request.
MANUAL_EXECUTION_LIMIT_PARAM = "account_dunning.manual_execution_limit"
MANUAL_EXECUTION_LIMIT = 200


class DunningRun(models.Model):
    """The scheduled side of runs: the daily cron, batches with committed progress,
    review before sending, and large manual runs handed to the cron."""

    _name = "dunning.run"
    _inherit = ["dunning.run", "mail.thread", "mail.activity.mixin"]

    error_message = fields.Text(
        string="Error", readonly=True, help="Why the scheduled run stopped for this company."
    )
    config_warnings = fields.Text(
        compute="_compute_config_warnings",
        help="The configuration problems the run would meet, shown on the preview.",
    )

    @api.depends("company_id")
    def _compute_config_warnings(self):
        for run in self:
            run.config_warnings = "\n".join(run._dunning_config_problems()) or False

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
        self.state = "running"
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

    def _dunning_cron_plan(self):
        """Plan and log the skips of the scheduled run; on error, say so on the run and
        to the managers, and let the other companies run (False)."""
        try:
            with self.env.cr.savepoint():
                self._follow_promises()
                self._plan()
                self.state = "running"
                self._log_skips()
        except Exception as error:
            _logger.exception("Collections: the scheduled run of %s failed", self.company_id.name)
            self.env.invalidate_all()
            self.error_message = str(error)
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
            self.state = "planned"
            self._dunning_request_review(waiting)
        else:
            self.state = "done"

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
