import json
from collections import defaultdict

from markupsafe import Markup

from odoo import api, fields, models
from odoo.fields import Command
from odoo.tools import SQL, format_amount, format_date

from ..tools.calendar import next_business_day

# Customers per INSERT of a plan (one array per column each).
PLAN_CHUNK = 10_000

SKIP_REASONS = [
    ("excluded", "Customer excluded"),
    ("no_debt", "Nothing owed net of credits"),
    ("minimum", "Below the minimum amount"),
    ("too_soon", "Too soon since the last step"),
    ("good_payer", "Good payer: no reminder before the due date"),
    ("email_cap", "Email cap: a reminder email was sent too recently"),
    ("stale", "Already handled"),
    ("postponed", "Postponed"),
    ("manual", "Manual customer: reminders sent by hand only"),
]


def _plan_cell(vals, column):
    """The value of one column of a planned line, as the INSERT of a plan sends it."""
    if column == "step_data":
        return json.dumps(vals["step_data"])
    if column == "move_id_list":
        return json.dumps(vals["move_ids"])
    return vals.get(column) or None


class DunningRunLine(models.Model):
    """One customer in a run: the planned step (or skip), then what was done."""

    _name = "dunning.run.line"
    _description = "Dunning Run Line"
    _order = "run_id, state, partner_id"
    _check_company_auto = True

    run_id = fields.Many2one("dunning.run", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one(related="run_id.company_id", store=True, index=True)
    date = fields.Date(related="run_id.date")
    partner_id = fields.Many2one("res.partner", string="Customer", required=True, index=True)
    contact_id = fields.Many2one("res.partner", string="Recipient")
    email_to = fields.Char()
    policy_id = fields.Many2one("dunning.policy", required=True)
    level_id = fields.Many2one("dunning.level", required=True)
    tone = fields.Selection(related="level_id.tone")
    send_email = fields.Boolean(related="level_id.send_email")
    create_call = fields.Boolean(related="level_id.create_call")
    send_letter = fields.Boolean(related="level_id.send_letter")
    channels = fields.Char(compute="_compute_channels", help="What the level does.")
    move_ids = fields.Many2many(
        "account.move",
        string="Invoices",
        compute="_compute_move_ids",
        inverse="_inverse_move_ids",
        search="_search_move_ids",
    )
    # The invoices as one value, not one row each in a relation table: a plan of 20,000
    # customers lists about 100,000 invoices, and each row of a relation table costs a
    # foreign-key check that locks the invoice (a WAL record each), which was a third of
    # the planning time.
    # Storage behind move_ids, which is what people read and write (the line's access
    # rights, the invoices' record rules): not open to them directly.
    move_id_list = fields.Json(
        string="Invoice Ids", help="Ids of the invoices listed.", groups="base.group_system"
    )
    credit_line_ids = fields.Many2many(
        "account.move.line",
        "dunning_run_line_credit_line_rel",
        "line_id",
        "move_line_id",
        string="Credits",
        help="Open credit notes and unapplied payments of the customer, shown beside the "
        "invoices and deducted from the amount asked for.",
    )
    step_data = fields.Json(help="Invoice id -> id of the level it climbs to.")
    currency_id = fields.Many2one(related="company_id.currency_id")
    amount = fields.Monetary(
        string="Net Amount Due",
        currency_field="currency_id",
        help="The invoices listed (the part due) net of the customer's open credits, in "
        "company currency: what is compared with the policy's minimum.",
    )
    amount_by_currency = fields.Char(
        string="Asked For",
        compute="_compute_amount_by_currency",
        help="What the message asks for, per currency: the invoices net of the credits in "
        "the same currency. A currency whose credits exceed its invoices is not asked for.",
    )
    collector_id = fields.Many2one("res.users")
    state = fields.Selection(
        [("todo", "To Do"), ("skipped", "Skipped"), ("done", "Done"), ("failed", "Failed")],
        required=True,
        default="todo",
        index=True,
    )
    skip_reason = fields.Selection(SKIP_REASONS)
    note = fields.Text(help="Why the step failed, or what needs attention.")
    event_ids = fields.One2many("dunning.event", "run_line_id", string="Events")
    step_kinds = fields.Json(
        help="The kinds of steps a person chose for this customer (Send & Print); "
        "empty: the level's steps."
    )

    @api.depends("level_id.step_ids.kind", "step_kinds")
    def _compute_channels(self):
        labels = self.env["dunning.level.step"]._dunning_kind_labels()
        for line in self:
            line.channels = ", ".join(labels[kind] for kind in line._dunning_kinds())

    @api.depends("move_id_list")
    @api.depends_context("uid", "allowed_company_ids")
    def _compute_move_ids(self):
        # sudo: the list is storage; what is shown is filtered just below.
        lists = {line.id: line.sudo().move_id_list or () for line in self}
        # As a relation table read: the invoices the user may read (record rules of
        # account.move), and none deleted since (a draft cancelled, reset and deleted),
        # in one query for the batch.
        visible = set(
            self.env["account.move"]
            .with_context(active_test=False)
            ._search([("id", "in", list({i for ids in lists.values() for i in ids}))])
        )
        for line in self:
            line.move_ids = self.env["account.move"].browse(
                [move_id for move_id in lists[line.id] if move_id in visible]
            )

    def _inverse_move_ids(self):
        for line in self:
            # sudo: the storage of a field the user was allowed to write (move_ids).
            line.sudo().move_id_list = line.move_ids.ids

    def _search_move_ids(self, operator, value):
        if operator == "any":
            value = self.env["account.move"].with_context(active_test=False).search(value).ids
        elif operator != "in":
            return NotImplemented
        move_ids = [move_id for move_id in value if isinstance(move_id, int)]
        return [
            (
                "id",
                "in",
                SQL(
                    """SELECT line.id FROM dunning_run_line line
                        WHERE EXISTS (SELECT FROM jsonb_array_elements_text(line.move_id_list)
                                          AS listed(id)
                                       WHERE listed.id::int = ANY(%s))""",
                    move_ids,
                ),
            )
        ]

    @api.depends("move_ids", "credit_line_ids", "date")
    def _compute_amount_by_currency(self):
        for line in self:
            line.amount_by_currency = line.move_ids._dunning_net_totals_text(
                line.credit_line_ids, line.date
            )

    # ----------------------------------------------------------------- planning

    @api.model
    def _insert_plan(self, vals_list):
        """Store a run's plan: one INSERT per ten thousand customers, not one per line.

        A plan of 20,000 customers through create() costs more than the planning
        itself; these rows are plain values computed by the run (no defaults, no
        computed fields but the company, which is the run's). Values travel as one
        array per column (``unnest``): no SQL text per row to build or to parse.
        """
        if not vals_list:
            return self
        run = self.env["dunning.run"].browse(vals_list[0]["run_id"])
        columns = (
            ("run_id", "int"), ("partner_id", "int"), ("policy_id", "int"),
            ("level_id", "int"), ("step_data", "jsonb"), ("amount", "numeric"),
            ("state", "varchar"), ("skip_reason", "varchar"), ("contact_id", "int"),
            ("email_to", "varchar"), ("collector_id", "int"), ("note", "text"),
            ("move_id_list", "jsonb"),
        )  # fmt: skip
        names = SQL(", ").join(SQL.identifier(name) for name, _type in columns)
        line_ids = []
        for start in range(0, len(vals_list), PLAN_CHUNK):
            chunk = vals_list[start : start + PLAN_CHUNK]
            arrays = SQL(", ").join(
                SQL(
                    "%s::%s[]",
                    [_plan_cell(vals, name) for vals in chunk],
                    SQL(sql_type),
                )
                for name, sql_type in columns
            )
            # One line per customer in a plan: ids matched to values by customer, not
            # by an order RETURNING does not promise.
            id_of = dict(
                self.env.execute_query(
                    SQL(
                        """INSERT INTO dunning_run_line (company_id, create_uid, write_uid,
                                                          create_date, write_date, %(names)s)
                           SELECT %(company)s, %(uid)s, %(uid)s, NOW() AT TIME ZONE 'UTC',
                                  NOW() AT TIME ZONE 'UTC', %(names)s
                             FROM unnest(%(arrays)s) AS line(%(names)s)
                        RETURNING partner_id, id""",
                        names=names,
                        company=run.company_id.id,
                        uid=self.env.uid,
                        arrays=arrays,
                    )
                )
            )
            line_ids += [id_of[vals["partner_id"]] for vals in chunk]
            pairs = [
                (line_id, credit_id)
                for line_id, vals in zip(line_ids[start:], chunk, strict=True)
                for credit_id in vals.get("credit_line_ids", ())
            ]
            if pairs:
                self.env.execute_query(
                    SQL(
                        "INSERT INTO dunning_run_line_credit_line_rel (line_id, move_line_id) "
                        "SELECT * FROM unnest(%s::int[], %s::int[])",
                        [pair[0] for pair in pairs],
                        [pair[1] for pair in pairs],
                    )
                )
        self.invalidate_model()
        run.invalidate_recordset(["line_ids"])
        return self.browse(line_ids)

    def _primary_channel(self):
        """The channel that stands for the level in the history: its email if it sends
        one, else its first step."""
        kinds = self._dunning_kinds()
        if "email" in kinds:
            return "email"
        return kinds[0] if kinds else "note"

    def _dunning_kinds(self):
        """The kinds of steps this line takes, in the run's order: the level's, or the
        ones a person chose (Send & Print)."""
        self.ensure_one()
        if not self.step_kinds:
            return self.level_id._dunning_step_kinds()
        chosen = set(self.step_kinds)
        return [kind for kind in self.env["dunning.level.step"]._dunning_kinds() if kind in chosen]

    def _event_values(self, channel, state="done", reason=False):
        return {
            "run_id": self.run_id.id,
            "run_line_id": self.id,
            "date": self.date,
            "company_id": self.company_id.id,
            "partner_id": self.partner_id.commercial_partner_id.id,
            "contact_id": self.contact_id.id,
            "move_ids": [Command.set(self.move_ids.ids)],
            "credit_line_ids": [Command.set(self.credit_line_ids.ids)],
            "level_id": self.level_id.id,
            "channel": channel,
            "state": state,
            "reason": reason,
            "amount_residual": self.amount,
            "collector_id": self.collector_id.id,
        }

    def _log_event(self, channel, state="done", reason=False):
        return self.env["dunning.engine"]._log(self._event_values(channel, state, reason))

    def _schedule_task(self, summary, note):
        """A follow-up task on the customer for the collector, due this business day."""
        return self.env["dunning.engine"]._schedule(
            self.partner_id.commercial_partner_id,
            summary,
            note,
            self.collector_id,
            next_business_day(self.date),
        )

    def _schedule_fix_contact(self, reason=None):
        """One open 'Fix contact' task per customer (see dunning.engine)."""
        return self.env["dunning.engine"]._schedule_fix_contact(
            self.partner_id,
            self.collector_id,
            next_business_day(self.date),
            reason
            or self.env._(
                "The dunning email of level %(level)s could not be sent to %(contact)s: "
                "no email address. Add one (or an accounts-payable contact) on the "
                "customer: the next steps of the ladder will use it (the ladder goes "
                "on meanwhile with letters and calls).",
                level=self.level_id.name,
                contact=self.contact_id.display_name,
            ),
        )

    def _move_invoices_up(self, done_events, notes, levels=None):
        """Record the step on the invoices: level, date, and a note in their chatter
        (when something reached the customer). ``levels``: {(level id, date): invoice
        ids} that the caller moves up for a whole batch; without it, now."""
        moves_by_level = defaultdict(list) if levels is None else levels
        for move_id, level_id in (self.step_data or {}).items():
            moves_by_level[level_id, self.date].append(int(move_id))
        if levels is None:
            for (level_id, day), move_ids in moves_by_level.items():
                self.env["account.move"].browse(move_ids)._dunning_set_level(level_id, day)
        sent = done_events.filtered(lambda event: event.state == "done")
        channels = ", ".join(
            dict(done_events._fields["channel"]._description_selection(self.env))[channel]
            for channel in dict.fromkeys(sent.mapped("channel"))
        )
        if sent:
            body = Markup("<p>%s</p>") % self.env._(
                "Collections: %(level)s (%(channels)s) sent to %(contact)s, covering "
                "%(count)s open invoice(s), %(amount)s due.",
                level=self.level_id.name,
                channels=channels,
                contact=self.contact_id.display_name,
                count=len(self.move_ids),
                amount=format_amount(self.env, self.amount, self.currency_id),
            )
        else:
            body = Markup("<p>%s</p>") % self.env._(
                "Collections: %(level)s taken without contacting %(contact)s (%(reason)s), "
                "covering %(count)s open invoice(s), %(amount)s due.",
                level=self.level_id.name,
                contact=self.contact_id.display_name,
                reason=" ".join(filter(None, done_events.mapped("reason"))),
                count=len(self.move_ids),
                amount=format_amount(self.env, self.amount, self.currency_id),
            )
        notes.update(dict.fromkeys(self.move_ids.ids, body))

    def _describe(self):
        """One line for notifications (e.g. 'Send reminder now')."""
        self.ensure_one()
        if self.state == "skipped":
            if self.skip_reason == "postponed":
                partner = self.partner_id.commercial_partner_id.with_company(self.company_id)
                return self.env._(
                    "Postponed until %(date)s: %(reason)s",
                    date=format_date(self.env, partner.dunning_postpone_until),
                    reason=partner.dunning_postpone_reason or "",
                )
            return dict(self._fields["skip_reason"]._description_selection(self.env)).get(
                self.skip_reason, ""
            )
        if self.state == "failed":
            return self.env._("Failed: %(reason)s", reason=self.note or "")
        return self.env._(
            "%(level)s on %(date)s",
            level=self.level_id.name,
            date=format_date(self.env, self.date),
        )
