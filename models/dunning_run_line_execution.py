"""The execution of a run's lines: a batch of customers at a time, in one savepoint."""

import logging
from collections import defaultdict

from psycopg2.errors import TransactionRollbackError

from odoo import models
from odoo.exceptions import UserError
from odoo.fields import Command
from odoo.tools import SQL

_logger = logging.getLogger(__name__)


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
        for move_id in line.move_ids.ids:
            self.notes.pop(move_id, None)


class DunningRunLine(models.Model):
    _inherit = "dunning.run.line"

    def _execute(self):
        """Carry out the lines (one run, one batch): the whole batch in one savepoint,
        replayed customer by customer when anything fails. A customer that another
        transaction changed meanwhile (another run, a payment) is skipped as handled
        by it, never logged as a failed reminder."""
        if not self:
            return
        run = self.run_id.ensure_one()
        lines = self.with_company(run.company_id)._lock_or_skip()
        lines = lines.filtered(lambda line: line._refresh())
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
        batch.prepared.update(self._prepare_emails())
        self._execute_steps(batch)

    def _execute_steps(self, batch):
        """Each kind of step for the lines whose level takes it, batch-wise, in the
        order of dunning.level.step's kinds; then the lines' and invoices' bookkeeping.

        A kind ``k`` is carried out by ``_dunning_step_k(batch)`` on the lines that take
        it; the method logs its events with ``batch.add``.
        """
        kinds_of = {line.id: set(line._dunning_kinds()) for line in self}
        for kind in self.env["dunning.level.step"]._dunning_kinds():
            lines = self.filtered(lambda line, k=kind: k in kinds_of[line.id])
            if not lines:
                continue
            method = getattr(lines, f"_dunning_step_{kind}", None)
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
            self.browse(line_ids).write({"state": state, "note": note})
        for (level_id, day), move_ids in levels.items():
            self.env["account.move"].browse(move_ids)._dunning_set_level(level_id, day)

    def _prepare_emails(self):
        """Log the email events of the batch and render them, one render per template
        for the whole batch. Returns {line id: (event, rendered values)}."""
        lines = self.filtered(
            lambda line: (
                "email" in line._dunning_kinds()
                and line.email_to
                and not line._dunning_email_block_reason()
            )
        )
        if not lines:
            return {}
        events = self.env["dunning.engine"]._log([line._event_values("email") for line in lines])
        rendered = {}
        for template, template_events in events.grouped(
            lambda event: event._dunning_mail_template()
        ).items():
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
        """Drop what changed since planning: paid or cancelled invoices, invoices moved
        up meanwhile by another run. Returns False when nothing is left to do."""
        self.ensure_one()
        still_open = self.move_ids.filtered(lambda move: move._dunning_is_chasable())
        planned = self.step_data or {}
        # An invoice that already took a step today was handled by another run.
        steps = {
            move_id: level_id
            for move_id, level_id in planned.items()
            if int(move_id) in still_open.ids
            and still_open.browse(int(move_id)).dunning_last_date != self.date
        }
        # A credit applied meanwhile is no longer open (nor the invoice it paid).
        credits = self.credit_line_ids.filtered(
            lambda line: not line.reconciled and line.company_currency_id.compare_amounts(
                line.amount_residual, 0) < 0
        )  # fmt: skip
        if still_open != self.move_ids or steps != planned or credits != self.credit_line_ids:
            self.write(
                {
                    "move_ids": [Command.set(still_open.ids)],
                    "credit_line_ids": [Command.set(credits.ids)],
                    "step_data": steps,
                    "amount": sum(
                        total["net_company"]
                        for total in still_open._dunning_net_totals(credits, self.date)
                    ),
                }
            )
        if not still_open or (planned and not steps):
            self.write({"state": "skipped", "skip_reason": "stale"})
            return False
        if self.currency_id.compare_amounts(self.amount, 0) <= 0:
            self.write({"state": "skipped", "skip_reason": "no_debt"})
            return False
        return True

    def _skip_concurrent(self):
        """Skipped: handled by another run (never a failed reminder: it was sent)."""
        self.ensure_one()
        self.write(
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
        self.write({"state": "failed", "note": error})
