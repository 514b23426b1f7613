import json
import logging
from collections import defaultdict

from markupsafe import Markup
from psycopg2.errors import TransactionRollbackError

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Command
from odoo.tools import SQL, format_amount, format_date

from ..tools.ab_testing import assign_variant
from ..tools.calendar import next_business_day

_logger = logging.getLogger(__name__)

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


class StepBatch:
    """What the steps of one batch of customers share: the emails prepared for the
    batch, the events each line logged, the documents steps produced for the others
    (a letter attached to the email), and the notes for the invoices."""

    def __init__(self, env, prepared=None):
        self.env = env
        self.prepared = prepared or {}  # line id -> (email event, rendered values)
        self.events = {}  # line id -> dunning.event
        self.attachments = {}  # line id -> ir.attachment
        self.notes = {}  # invoice id -> chatter note
        # Lines whose step failed only because the channel cannot reach the customer
        # (no email address, no phone): the step counts as taken, so the ladder goes on
        # with the channels that can (letter, call...) instead of failing every day.
        self.unreachable = set()
        # Lines whose message waits: the customer got one from us today already.
        self.limited = set()

    def add(self, line, events):
        self.events[line.id] = self.events_of(line) | events

    def mark_unreachable(self, line, events=None):
        """A step that cannot or may not reach the customer by its channel (no email
        address or phone, opted out of emails, a consumer's work address) still counts
        as taken: the invoices climb and the other steps of the level carry the
        message, instead of the same step failing every day. ``events``: the step's
        own (failed or skipped) events, logged here."""
        if events:
            self.add(line, events)
        self.unreachable.add(line.id)

    def events_of(self, line):
        return self.events.get(line.id, self.env["dunning.event"])

    def attach(self, line, attachments):
        self.attachments[line.id] = self.attachments_of(line) | attachments

    def attachments_of(self, line):
        return self.attachments.get(line.id, self.env["ir.attachment"])

    def forget(self, line):
        """A line rolled back: what it logged or produced is gone."""
        self.events.pop(line.id, None)
        self.attachments.pop(line.id, None)
        self.unreachable.discard(line.id)
        self.limited.discard(line.id)
        for move_id in line.move_ids.ids:
            self.notes.pop(move_id, None)


# Missing invoice PDFs a batch of the run may render (about a second each); beyond,
# reminders attach the stored ones and the statement of account.
SYNC_PDF_LIMIT = 5


class DunningRunLine(models.Model):
    """One customer in a run: the planned step (or skip), then what was done."""

    _name = "dunning.run.line"
    _inherit = ["dunning.authority.mixin"]
    _description = "Dunning Run Line"
    _order = "run_id, state, partner_id"
    _check_company_auto = True
    _rec_name = "partner_id"  # a line is read as its customer (the line's dialog title)

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
        help="What the message asks for, in company currency: the invoices listed (the "
        "part due) and the other debits due, net of the customer's credits; what is "
        "compared with the policy's minimum.",
    )
    amount_by_currency = fields.Char(
        string="Asked For",
        compute="_compute_amount_by_currency",
        help="What the message asks for, per currency: the invoices listed (the part due) "
        "and the other debits due, net of the customer's credits in the same currency.",
    )
    balance_by_currency = fields.Char(
        string="Balance",
        compute="_compute_amount_by_currency",
        help="The customer's whole balance per currency (invoices not yet due and on hold "
        "included, credits deducted), as its statement of account shows it.",
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
    message_edit = fields.Json(
        help="The message as a person read and edited it before sending (Send & Print): "
        "subject, body_html and lang of the email, sms of the SMS; the steps send it "
        "instead of rendering the level's templates. Empty: the templates."
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

    @api.depends("move_ids", "date", "partner_id")
    def _compute_amount_by_currency(self):
        Partner = self.env["res.partner"]
        for (company, day), lines in self.grouped(
            lambda line: (line.company_id, line.date)
        ).items():
            customers = lines.partner_id.commercial_partner_id.with_company(company)
            ledgers = customers._dunning_ledger(day) if customers else {}
            for line in lines:
                customer = line.partner_id.commercial_partner_id.with_company(company)
                if not customer or not day:
                    line.amount_by_currency = line.balance_by_currency = False
                    continue
                ledger = ledgers[customer.id]
                message = customer._dunning_message_data(line.move_ids.ids, day, ledger)
                line.amount_by_currency = Partner._dunning_amounts_text(message["totals"])
                line.balance_by_currency = Partner._dunning_balances_text(ledger)

    def action_dunning_open(self):
        """The line in a dialog titled by its customer (a run's list of lines opens
        nothing by itself: Odoo would title it "Open: Customers")."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.display_name,
            "res_model": self._name,
            "res_id": self.id,
            "views": [(self.env.ref("account_dunning.dunning_run_line_view_form").id, "form")],
            "target": "new",
        }

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
        values = {
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
        # Archiving template B ends the test: everyone gets the level's template.
        if channel == "email" and self.level_id.mail_template_variant_id.active:
            values["template_variant"] = assign_variant(
                self.partner_id.commercial_partner_id.id, self.level_id.id
            )
        return values

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

    def _execute(self):
        """Carry out the lines (one run, one batch): the whole batch in one savepoint,
        replayed customer by customer when anything fails. A customer that another
        transaction changed meanwhile (another run, a payment) is skipped as handled
        by it, never logged as a failed reminder."""
        if not self:
            return
        run = self.run_id.ensure_one()
        lines = self.with_company(run.company_id)._lock_or_skip()
        lines = lines._refresh()
        batch = StepBatch(self.env)
        try:
            # Optimistic: a savepoint per customer costs a flush each.
            with self.env.cr.savepoint():
                lines._execute_prepared(batch)
        except Exception:
            self.env.invalidate_all()
            batch = StepBatch(self.env)
            for line in lines:
                try:
                    with self.env.cr.savepoint():
                        line._execute_prepared(batch)
                except TransactionRollbackError:
                    _logger.info("Dunning run %s: %s handled concurrently", run.id, line.id)
                    self.env.invalidate_all()
                    batch.forget(line)
                    line._skip_concurrent()
                except Exception as error:
                    _logger.exception("Dunning run %s failed for %s", run.id, line.partner_id.id)
                    self.env.invalidate_all()
                    batch.forget(line)
                    line._fail(str(error))
        # One batch of internal notes on the invoices, for the whole batch of customers.
        self.env["dunning.engine"]._log_notes(self.env["account.move"], batch.notes)

    def _execute_prepared(self, batch):
        """Pay-now tokens and the batch's emails rendered at once, then the steps."""
        self.move_ids._dunning_ensure_access_tokens()
        # What the gateway reads of each contact and customer (opt-outs, addresses),
        # in one query for the batch rather than one per customer.
        (self.contact_id | self.partner_id.commercial_partner_id).fetch(
            ["email", "phone", "dunning_email_opt_out", "dunning_email_is_workplace",
             "dunning_is_consumer", "street", "zip", "city", "country_id"]
        )  # fmt: skip
        batch.prepared.update(self._prepare_emails())
        self._execute_steps(batch)

    def _execute_steps(self, batch):
        """Each kind of step for the lines whose level takes it, batch-wise, in the
        order of dunning.level.step's kinds; then the lines' and invoices' bookkeeping.

        A kind ``k`` is carried out by ``_dunning_step_k(batch)`` on the lines that take
        it; the method logs its events with ``batch.add``.
        """
        kinds_of = {line.id: set(line._dunning_kinds()) for line in self}
        channels = self.env["dunning.level.step"]._dunning_channels()
        for kind in channels:
            lines = self.filtered(lambda line, k=kind: k in kinds_of[line.id])
            if not lines:
                continue
            method = getattr(lines, f"_dunning_step_{kind}", None)
            if method is None and channels[kind].document:
                lines._dunning_step_document(batch, kind)
                continue
            if method is None:
                raise UserError(
                    self.env._(
                        "No method carries out the steps of kind %(kind)s "
                        "(_dunning_step_%(kind)s on dunning.run.line).",
                        kind=kind,
                    )
                )
            method(batch)
        self._dunning_finish(batch)

    def _dunning_finish(self, batch):
        """Level bookkeeping and line state, whatever the steps were: the invoices of
        the whole batch move up in one UPDATE per level, not one per customer."""
        levels = defaultdict(list)
        outcomes = defaultdict(list)  # {(state, note): line ids}: one write for many
        for line in self:
            events = batch.events_of(line)
            if line.id in batch.limited and not events.filtered("is_customer_message"):
                # The customer got a message from us since the plan: the step waits.
                outcomes["skipped", line.note].append(line.id)
                continue
            taken = events.filtered(
                lambda e, line=line: (
                    e.state == "done"
                    or (e.state in ("skipped", "failed") and line.id in batch.unreachable)
                )
            )
            line._move_invoices_up(taken, batch.notes, levels)
            failed = events.filtered(lambda event: event.state == "failed")
            state = "failed" if failed and failed == events else "done"
            note = "\n".join(filter(None, failed.mapped("reason"))) or line.note
            outcomes[state, note].append(line.id)
        for (state, note), line_ids in outcomes.items():
            values = {"state": state, "note": note}
            if state == "skipped":
                values["skip_reason"] = "too_soon"
            self.browse(line_ids)._dunning_flow_write(values)
        for (level_id, day), move_ids in levels.items():
            self.env["account.move"].browse(move_ids)._dunning_set_level(level_id, day)

    def _prepare_emails(self):
        """Log the email events of the batch and render them, one render per template
        for the whole batch. Returns {line id: (event, rendered values)}."""
        lines = self.filtered(lambda line: line._dunning_email_can_reach())
        if not lines:
            return {}
        events = self.env["dunning.engine"]._log([line._event_values("email") for line in lines])
        # A message a person edited (Send & Print) goes as they wrote it.
        rendered = {
            event.id: {key: line.message_edit[key] for key in ("subject", "body_html", "lang")}
            for line, event in zip(lines, events, strict=True)
            if line.message_edit and line.message_edit.get("body_html")
        }
        for template, template_events in (
            events.filtered(lambda event: event.id not in rendered)
            .grouped(lambda event: event._dunning_mail_template())
            .items()
        ):
            try:
                with self.env.cr.savepoint():
                    rendered.update(
                        template.with_context(dunning_batch_render=True)._generate_template(
                            template_events.ids, ("subject", "body_html", "lang")
                        )
                    )
            except Exception:
                _logger.warning("Batch rendering of %s failed", template.name, exc_info=True)
        return {
            line.id: (event, rendered.get(event.id))
            for line, event in zip(lines, events, strict=True)
        }

    def _lock_or_skip(self):
        """Lock the batch's customers; those another transaction changed meanwhile are
        skipped as handled by another run. Returns the locked lines."""
        try:
            with self.env.cr.savepoint():
                self._lock_customers()
            return self
        except TransactionRollbackError:
            self.env.invalidate_all()
        locked = self.browse()
        for line in self:
            try:
                with self.env.cr.savepoint():
                    line._lock_customers()
                locked |= line
            except TransactionRollbackError:
                self.env.invalidate_all()
                line._skip_concurrent()
        return locked

    def _lock_customers(self):
        """Serialise concurrent runs per customer: the second one waits, then sees the
        invoices already moved up and skips them (see _refresh)."""
        self.env.cr.execute(
            SQL(
                "SELECT id FROM res_partner WHERE id IN %s ORDER BY id FOR NO KEY UPDATE",
                tuple(self.partner_id.ids),
            ),
            log_exceptions=False,  # a concurrent update is expected and handled
        )
        self.move_ids.invalidate_recordset(
            ["dunning_level_id", "dunning_last_date", "payment_state", "state", "dunning_stage"]
        )

    def _refresh(self):
        """Drop what changed since planning: paid or cancelled invoices, invoices now
        covered by a credit, invoices moved up meanwhile by another run; the amount asked
        for follows the customers' ledgers, read once for the batch. Returns the lines
        that still have something to do."""
        for (company, day), lines in self.grouped(
            lambda line: (line.company_id, line.date)
        ).items():
            customers = lines.partner_id.commercial_partner_id.with_company(company)
            ledgers = customers._dunning_ledger(day)
            for line in lines:
                ledger = ledgers[line.partner_id.commercial_partner_id.id]
                line._refresh_from(ledger)
        return self.filtered(lambda line: line.state == "todo")

    def _refresh_from(self, ledger):
        self.ensure_one()
        still_open = self.move_ids.filtered(
            lambda move: move._dunning_is_chasable() and ledger.debits_of(move.id)
        )
        owed = {
            move.id
            for move in still_open
            if any(ledger.uncovered(item.line_id) > 0 for item in ledger.debits_of(move.id))
        }
        planned = self.step_data or {}
        levels = self.env["dunning.level"].browse(set(planned.values()))
        delay_of = {level.id: level.delay_days for level in levels}

        def handled(move, level_id):
            # Another run took this step today (or a higher one); a person's send of a
            # higher level than today's step is not (Send & Print records what it sends).
            current = move.dunning_level_id
            return (
                move.dunning_last_date == self.date
                and current
                and current.delay_days >= delay_of[level_id]
            )

        # One a credit now covers takes no step either (it stays listed, its credit
        # beside it).
        steps = {
            move_id: level_id
            for move_id, level_id in planned.items()
            if int(move_id) in owed and not handled(still_open.browse(int(move_id)), level_id)
        }
        credits = [item.line_id for item in ledger.credits()]
        # Nothing written here (no pay-now token yet): a customer another transaction
        # changes meanwhile must only fail the lock, not this read.
        lines = ledger.asked_lines(still_open.ids, self.date)
        amount = sum(total["amount_company"] for total in ledger.totals(lines))
        if (
            still_open != self.move_ids
            or steps != planned
            or set(credits) != set(self.credit_line_ids.ids)
            or self.currency_id.compare_amounts(amount, self.amount)
        ):
            self._dunning_flow_write(
                {
                    "move_ids": [Command.set(still_open.ids)],
                    "credit_line_ids": [Command.set(credits)],
                    "step_data": steps,
                    "amount": amount,
                }
            )
        if not still_open or (planned and not steps):
            self._dunning_flow_write({"state": "skipped", "skip_reason": "stale"})
        elif self.currency_id.compare_amounts(self.amount, 0) <= 0:
            self._dunning_flow_write({"state": "skipped", "skip_reason": "no_debt"})

    def _skip_concurrent(self):
        """Skipped: handled by another run (never a failed reminder: it was sent)."""
        self.ensure_one()
        self._dunning_flow_write(
            {
                "state": "skipped",
                "skip_reason": "stale",
                "note": self.env._("Handled by another run or a payment at the same time."),
            }
        )

    def _fail(self, error):
        self.ensure_one()
        reason = self.env._("Unexpected error, nothing was sent: %(error)s", error=error)
        self._log_event(self._primary_channel(), state="failed", reason=reason)
        self._dunning_flow_write({"state": "failed", "note": error})

    def _dunning_step_letter(self, batch):
        """The formal letter as a PDF on its event; attached to the email when the level
        sends one that can reach the customer, else left to print and post (through the
        gateway: dunning.engine._deliver)."""
        to_print = []
        for line in self:
            event = line._log_event("letter")
            letter = line._dunning_letter_pdf(event)
            batch.add(line, event)
            line._dunning_attach_or_print(
                batch, event, letter, to_print,
                self.env._("Dunning letter to print and send: %(level)s",
                           level=line.level_id.name),
            )  # fmt: skip
        self.env["dunning.engine"]._deliver(to_print)

    def _dunning_attach_or_print(self, batch, event, document, to_print, note):
        """A document of the line's level goes with its email when that email can reach
        the customer; else it joins ``to_print`` (print requests for the gateway)."""
        self.ensure_one()
        if self._dunning_email_can_reach():
            batch.attach(self, document)
        else:
            to_print.append(self._dunning_print_request(event, document, note))

    def _dunning_letter_pdf(self, event):
        """The level's formal letter for ``event``, as a PDF attached to it, named in
        the reader's language."""
        self.ensure_one()
        report = self.env.ref("account_dunning.action_report_dunning_letter")
        content, _report_type = self.env["ir.actions.report"]._render_qweb_pdf(report, event.ids)
        lang = self.env["dunning.engine"]._customer_lang(self.contact_id, self.company_id)
        # sudo: an attachment on a record needs the right to write it, and the history
        # is written by the engine only; the PDF is the event's own letter.
        letter = (
            self.env["ir.attachment"]
            .sudo()
            .create(
                {
                    "name": event.with_context(lang=lang)._dunning_letter_file_name() + ".pdf",
                    "raw": content,
                    "mimetype": "application/pdf",
                    "res_model": event._name,
                    "res_id": event.id,
                }
            )
            .with_env(self.env)
        )
        self.env["dunning.engine"]._record_outcome(event, {"attachment_id": letter.id})
        return letter

    def _dunning_step_document(self, batch, kind):
        """A channel that carries the level's letter (Channel.document: a postal
        service...): the letter as a PDF on the step's event, delivered through the
        gateway by the channel's transport."""
        requests = []
        for line in self:
            event = line._log_event(kind)
            letter = line._dunning_letter_pdf(event)
            requests.append({**line._dunning_request(event, kind), "attachments": letter})
        self._dunning_deliver_steps(batch, requests)

    def _dunning_deliver_steps(self, batch, requests):
        """Deliver one request per line (in the lines' order) through the gateway and
        book each outcome in the batch; returns the gateway's statuses."""
        statuses = self.env["dunning.engine"]._deliver(requests)
        for line, request, status in zip(self, requests, statuses, strict=True):
            batch.add(line, request["event"])
            if status == "unreachable":
                batch.mark_unreachable(line)
            elif status == "limited":
                batch.limited.add(line.id)
        return statuses

    def _dunning_step_email(self, batch):
        """One message per customer to its contact, through the gateway (opt-out, no
        address, contact hours, one message a day: dunning.engine._deliver)."""
        engine = self.env["dunning.engine"]
        requests, lines = [], []
        budget = SYNC_PDF_LIMIT
        for line in self:
            event, rendered = batch.prepared.get(line.id) or (line._log_event("email"), None)
            attachments = batch.attachments_of(line)
            if line.policy_id.attach_invoice_pdf and line._dunning_email_can_reach():
                pdfs, reason, budget = line._dunning_email_pdfs(budget)
                attachments |= pdfs
                if reason:
                    engine._record_outcome(event, {"reason": reason})
            requests.append(
                {
                    **line._dunning_request(event, "email"),
                    "template": event._dunning_mail_template(),
                    "rendered": rendered,
                    "attachments": attachments,
                }
            )
            lines.append(line)
        for line, request, status in zip(lines, requests, engine._deliver(requests), strict=True):
            batch.add(line, request["event"])
            if status == "unreachable":
                batch.mark_unreachable(line)
                documents = batch.attachments_of(line)
                if documents:  # the letter goes by post instead
                    self.env["dunning.engine"]._post_note(
                        line.partner_id.commercial_partner_id,
                        self.env._(
                            "Dunning letter to print and send (no email): %(level)s",
                            level=line.level_id.name,
                        ),
                        documents,
                    )
            elif status == "limited":
                batch.limited.add(line.id)

    def _dunning_email_can_reach(self):
        """The line's level sends an email that its contact can receive."""
        self.ensure_one()
        channel = self.env["dunning.level.step"]._dunning_channels()["email"]
        return "email" in self._dunning_kinds() and not self.contact_id._dunning_channel_block(
            channel, self.partner_id.commercial_partner_id
        )

    def _dunning_request(self, event, channel):
        """What the gateway needs to deliver a message of this line."""
        self.ensure_one()
        return {
            "channel": channel,
            "event": event,
            "customer": self.partner_id.commercial_partner_id,
            "contact": self.contact_id,
            "thread": self.partner_id.commercial_partner_id,
            "policy": self.policy_id,
            "company": self.company_id,
            # A person's send now (Send & Print, send reminder now) overrides the one
            # message a day rule; the daily run does not.
            "override": bool(self.run_id.force),
        }

    def _dunning_print_request(self, event, documents, note):
        return {
            **self._dunning_request(event, event.channel),
            "attachments": documents,
            "note": note,
        }

    def _dunning_email_pdfs(self, budget):
        """The PDFs a reminder attaches: the stored invoice PDFs (rendered ahead by the
        warm-up, see account.move._cron_dunning_warm_pdfs). Missing ones are rendered now while
        the batch's ``budget`` of renders lasts (a customer's first invoice, a small
        run: a few seconds of wkhtmltopdf); beyond it, the reminder attaches what is
        stored plus the statement of account, which lists every open invoice, instead
        of holding the run. Returns (attachments, reason for the history, budget
        left)."""
        self.ensure_one()
        moves = self.move_ids
        missing = moves.filtered(lambda move: not move.invoice_pdf_report_id)
        if len(missing) <= budget:
            pdfs, errors = moves._dunning_invoice_pdfs()
            reason = errors and self.env._(
                "Sent without the PDF of %(invoices)s: %(error)s",
                invoices=", ".join(move.name for move in errors),
                error=next(iter(errors.values())),
            )
            return pdfs, reason, budget - len(missing)
        statement = self._dunning_statement_pdf()
        return (
            (moves - missing).invoice_pdf_report_id | statement,
            self.env._(
                "The PDF of %(invoices)s was not ready: the statement of account is "
                "attached instead.",
                invoices=", ".join(missing.mapped("name")),
            ),
            budget,
        )

    def _dunning_statement_pdf(self):
        """The customer's statement of account, stored on the customer (empty when it
        cannot be rendered: the reminder then goes with what is stored)."""
        self.ensure_one()
        customer = self.partner_id.commercial_partner_id.with_company(self.company_id)
        statements = customer._dunning_statement_attachments(self.company_id)
        return statements.get(customer.id, self.env["ir.attachment"])

    def _dunning_step_call(self, batch):
        """A call on the collector's agenda with the script; an open collections call of
        the customer is brought up to date rather than doubled."""
        call_type = self.env.ref("account_dunning.mail_activity_type_dunning_call")
        open_calls = {
            activity.res_id: activity
            for activity in self.env["mail.activity"].search(
                [
                    ("res_model", "=", "res.partner"),
                    ("res_id", "in", self.partner_id.commercial_partner_id.ids),
                    ("activity_type_id", "=", call_type.id),
                ],
                order="id",
            )
        }
        for line in self:
            level = line.level_id
            customer = line.partner_id.commercial_partner_id
            event = line._log_event("call")
            values = {
                "summary": self.env._("Collections call: %(level)s", level=level.name),
                # In the collector's language, not the scheduler's.
                "note": event.with_context(
                    lang=line.collector_id.lang or self.env.lang
                )._call_script(),
                "user_id": line.collector_id.id,
                "date_deadline": next_business_day(line.date),
            }
            activity = open_calls.get(customer.id)
            customer.check_access("read")
            # sudo: as in dunning.engine._schedule, a collections user may follow a
            # customer they cannot edit; the call's type, user, script and date come
            # from the ladder.
            if activity:
                activity.sudo().write(values)
            else:
                activity = (
                    self.env["mail.activity"]
                    .sudo()
                    .create(
                        {
                            "res_model_id": self.env["ir.model"]._get_id("res.partner"),
                            "res_id": customer.id,
                            "activity_type_id": (level.call_activity_type_id or call_type).id,
                            **values,
                        }
                    )
                    .with_env(self.env)
                )
            self.env["dunning.engine"]._record_outcome(event, {"activity_id": activity.id})
            batch.add(line, event)

    def _dunning_step_handoff(self, batch):
        """Ask the collector to decide the hand-off: the customer hears nothing yet."""
        for line in self:
            event = line._log_event("handoff")
            activity = line._schedule_task(
                self.env._("Decide hand-off to an agency or legal action"),
                Markup("<p>%s</p>")
                % self.env._(
                    "The invoices of %(customer)s reached the last step of the ladder "
                    "(%(amount)s due). Hand them off to a collection agency or to legal "
                    "action, offer a payment plan, or exclude them from collections.",
                    customer=line.partner_id.display_name,
                    amount=format_amount(self.env, line.amount, line.currency_id),
                ),
            )
            self.env["dunning.engine"]._record_outcome(event, {"activity_id": activity.id})
            batch.add(line, event)

    def _dunning_email_block_reason(self):
        """Why the line's reminder email may not go (opt-out, work address), or False."""
        self.ensure_one()
        return self.contact_id._dunning_email_block_reason(self.partner_id.commercial_partner_id)

    def _dunning_step_sms(self, batch):
        """An SMS to the contact's phone through the gateway (Odoo's _message_sms,
        shown in the customer's chatter); no number: a failed step and the 'Fix
        contact' task; a blacklisted number (opted out): skipped, the level's other
        steps go on."""
        requests = []
        for line in self:
            event = line._log_event("sms")
            edited = (line.message_edit or {}).get("sms")
            body = event._dunning_sms_body(line.level_id.sms_template_id, edited)
            requests.append({**line._dunning_request(event, "sms"), "body": body})
        self._dunning_deliver_steps(batch, requests)

    def _dunning_step_statement(self, batch):
        """The statement of account of each customer: attached to the email of the same
        level, or left to print when no email can go."""
        to_print = []
        for company, lines in self.grouped("company_id").items():
            errors = {}
            customers = lines.partner_id.commercial_partner_id.with_company(company)
            statements = customers._dunning_statement_attachments(company, errors)
            for line in lines:
                customer = line.partner_id.commercial_partner_id
                statement = statements.get(customer.id)
                if not statement:
                    reason = self.env._(
                        "The statement of account could not be rendered: %(error)s",
                        error=errors.get(customer.id, ""),
                    )
                    batch.add(line, line._log_event("statement", state="failed", reason=reason))
                    continue
                event = line._log_event("statement")
                self.env["dunning.engine"]._record_outcome(event, {"attachment_id": statement.id})
                batch.add(line, event)
                line._dunning_attach_or_print(
                    batch, event, statement, to_print,
                    self.env._("Statement of account to print and send: %(level)s",
                               level=line.level_id.name),
                )  # fmt: skip
        self.env["dunning.engine"]._deliver(to_print)
