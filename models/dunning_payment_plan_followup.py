from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Command

from ..tools.payment_schedule import is_broken
from ..tools.stages import EXTERNAL_STAGES
from .dunning_payment_plan import _TEMPLATES


class DunningPaymentPlan(models.Model):
    """The daily follow-up of payment plans, part of the daily run: installments
    matched with payments, reminders, completed and broken plans."""

    _inherit = "dunning.payment.plan"

    def _dunning_process_plans(self, run_date=None):
        """Daily follow-up of active plans; idempotent for a given day. Returns the events.

        On an empty recordset, the active plans of the current company. Installments
        are matched with payments, paid plans completed, plans with an installment late
        beyond the tolerance broken, then due and late installments reminded (once each).
        """
        run_date = run_date or fields.Date.context_today(self)
        plans = self.filtered(lambda p: p.state == "active") if self else self.search(
            [("state", "=", "active"), ("company_id", "=", self.env.company.id)]
        )  # fmt: skip
        if not plans:
            return self.env["dunning.event"]
        plans._dunning_update_installments(run_date)
        # Invoices that left the plan's hands (written off, at an agency or a lawyer)
        # by whatever path: the plan ends, it is neither completed nor reminded.
        ended = plans._dunning_end_for_moves(plans.move_ids, run_date=run_date)
        plans = plans.filtered(lambda p: p.state == "active")
        done = plans.filtered(
            lambda p: all(m.currency_id.is_zero(m.amount_residual) for m in p.move_ids)
        )
        broken = (plans - done).filtered(
            lambda p: is_broken(
                ((i.date_due, i.state) for i in p.installment_ids), run_date, p.tolerance_days
            )
        )
        events = ended | done._dunning_complete(run_date)
        events |= broken._dunning_break(run_date)
        events |= (plans - done - broken)._dunning_send_reminders(run_date)
        return events

    @api.model
    def _dunning_end_for_moves(self, moves, run_date=None, case=None):
        """End the active plans of ``moves`` whose invoices were written off or handed
        off: the agreement no longer holds (what it covered is not collected by us any
        more, or not at all). The plan is cancelled, not completed: no "thank you"; its
        invoices still in the plan go back to the normal follow-up, and the collector
        gets a task to agree on what follows. On a recordset, only those plans.

        ``case``: the hand-off that caused it (named in the history). Returns the events.
        """
        run_date = run_date or fields.Date.context_today(self)
        plans = self.filtered(lambda p: p.state == "active") if self else self.search(
            [("state", "=", "active"), ("move_ids", "in", moves.ids)]
        )  # fmt: skip
        if not plans:
            return self.env["dunning.event"]
        moves &= plans.move_ids
        external = moves.filtered(lambda m: m.dunning_stage in EXTERNAL_STAGES)
        entries = plans._dunning_writeoff_entries(moves)
        reasons = {}
        _ = self.env._
        for plan in plans:
            names = []
            # Written off during the plan (a write-off before it only lowered what the
            # plan covers).
            off = moves.filtered(lambda m: m.dunning_stage == "written_off")
            off |= entries.get(plan, self.env["account.move"]).dunning_writeoff_invoice_id
            off &= plan.move_ids
            if off:
                names.append(_("%(invoices)s written off", invoices=", ".join(off.mapped("name"))))
            away = external & plan.move_ids
            if away and case:
                names.append(
                    _("%(invoices)s handed off to %(agency)s (case %(case)s)",
                      invoices=", ".join(away.mapped("name")),
                      agency=case.agency_id.display_name, case=case.name)
                )  # fmt: skip
            elif away:
                names.append(
                    _("%(invoices)s at an agency or a lawyer",
                      invoices=", ".join(away.mapped("name")))
                )  # fmt: skip
            if names:
                reasons[plan] = _(
                    "Payment plan %(plan)s ended: %(what)s. The plan is not completed; its "
                    "other invoices are followed up normally again.",
                    plan=plan.name,
                    what="; ".join(names),
                )
        ending = self.browse([plan.id for plan in reasons])
        if not ending:
            return self.env["dunning.event"]
        # What the customer really paid stays on the installments (not the write-off).
        ending._dunning_update_installments(run_date)
        # sudo: writing "cancelled" is a manager's decision by hand (see write()); here
        # the hand-off or write-off the user was allowed to make ends the plan.
        ending.sudo().write({"state": "cancelled", "date_end": run_date})
        ending._dunning_release_moves()
        activities = {
            plan: self.env["dunning.engine"]._schedule(
                plan,
                _("Payment plan %(plan)s ended", plan=plan.name),
                _(
                    "%(reason)s Tell the customer, and agree on a new plan for what is "
                    "still open if need be.",
                    reason=reasons[plan],
                ),
                plan._get_collector(),
                run_date,
            )
            for plan in ending
        }
        return ending._dunning_log(run_date, reasons, activities=activities)

    def _dunning_writeoff_entries(self, moves=None):
        """Bad-debt write-offs (dunning.writeoff.wizard) of these plans' invoices booked
        since each plan was agreed: {plan: entries}. One written off before the plan
        only lowered what the plan covers."""
        moves = self.move_ids if moves is None else moves
        entries = self.env["account.move"].search(
            [("dunning_writeoff_invoice_id", "in", moves.ids), ("state", "=", "posted")]
        )
        result = {}
        for plan in self:
            found = entries.filtered(
                lambda e, p=plan: (
                    e.dunning_writeoff_invoice_id in p.move_ids and e.create_date >= p.create_date
                )
            )
            if found:
                result[plan] = found
        return result

    def _dunning_written_off_amounts(self):
        """What was written off on each plan's invoices during the plan, in the plan's
        currency (the invoices'): {plan: amount}. It lowers the balance, but is no
        payment of an installment."""
        amounts = {}
        for plan, entries in self._dunning_writeoff_entries().items():
            lines = entries.line_ids.filtered(
                lambda line: line.account_id.account_type == "asset_receivable"
            )
            amounts[plan] = -sum(lines.mapped("amount_currency"))
        return amounts

    def _dunning_renegotiate(self, schedule, send=False, terms=None):
        """Replace the remaining installments of an active plan by ``schedule`` (rows
        with ``date_due``, ``amount``, ``is_down_payment``, as tools.payment_schedule
        computes them), which must add up to the open balance of its invoices. What was
        received stays: a partly paid installment is reduced to what it received.
        Logged with the old and the new schedule; the new agreement is emailed if
        ``send``. Returns the event."""
        self.ensure_one()
        self._check_renegotiable()
        today = fields.Date.context_today(self)
        self._dunning_update_installments(today)
        currency = self.currency_id
        balance = currency.round(sum(self.move_ids.mapped("amount_residual")))
        if not schedule or currency.compare_amounts(sum(r.amount for r in schedule), balance):
            raise UserError(
                self.env._(
                    "The new installments of %(plan)s must add up to the open balance of "
                    "its invoices, %(balance)s.",
                    plan=self.name,
                    balance=currency.format(balance),
                )
            )
        remaining = self.installment_ids.filtered(lambda i: i.state != "paid")
        old = self._dunning_schedule_text(remaining, residual=True)
        partial = remaining.filtered(lambda i: not currency.is_zero(i.amount_paid))
        last_sequence = max(self.installment_ids.mapped("sequence"), default=0)
        # sudo: installments of an agreed plan are refused to people (see the
        # installment's write); this is the explicit renegotiation, checked above
        # (write access on the plan, active, the new schedule matches the balance).
        for installment in partial.sudo():
            installment.write({"amount": installment.amount_paid, "state": "paid"})
        (remaining - partial).sudo().unlink()
        new = (
            self.env["dunning.payment.plan.installment"]
            .sudo()
            .create(
                [
                    {
                        "plan_id": self.id,
                        "sequence": last_sequence + index,
                        "date_due": row.date_due,
                        "amount": row.amount,
                        "is_down_payment": row.is_down_payment,
                    }
                    for index, row in enumerate(schedule, start=1)
                ]
            )
        )
        if terms:
            self.write(terms)
        messages = self._dunning_post("agreement", today) if send else {}
        reason = self.env._(
            "Payment plan %(plan)s renegotiated by %(user)s: the remaining installments "
            "%(old)s are replaced by %(new)s (%(balance)s open).",
            plan=self.name,
            user=self.env.user.name,
            old=old or "-",
            new=self._dunning_schedule_text(new.with_env(self.env)),
            balance=currency.format(balance),
        )
        return self._dunning_log(today, {self: reason}, messages)

    def _dunning_schedule_text(self, installments, residual=False):
        self.ensure_one()
        return ", ".join(
            self.env._(
                "%(amount)s due on %(date)s",
                amount=self.currency_id.format(i.amount_residual if residual else i.amount),
                date=fields.Date.to_string(i.date_due),
            )
            for i in installments.sorted(lambda i: (i.date_due, i.sequence, i.id))
        )

    def _dunning_update_installments(self, today):
        """Allocate what was paid on the invoices to the installments, oldest first."""
        changes = defaultdict(list)
        written_off = self._dunning_written_off_amounts()
        for plan in self:
            residual = sum(plan.move_ids.mapped("amount_residual")) + written_off.get(plan, 0.0)
            paid = max(plan.currency_id.round(plan.amount_total - residual), 0.0)
            for key, ids in plan.installment_ids._dunning_allocate(paid, today).items():
                changes[key].extend(ids)
        # sudo: what was paid on installments is refused to people; it follows the books.
        Installment = self.env["dunning.payment.plan.installment"].sudo()
        for (amount_paid, state), ids in changes.items():
            Installment.browse(ids).write({"amount_paid": amount_paid, "state": state})

    def _dunning_complete(self, run_date):
        if not self:
            return self.env["dunning.event"]
        self.write({"state": "completed", "date_end": run_date})
        self._dunning_release_moves()
        messages = self._dunning_post("completed", run_date)
        reasons = {
            plan: self.env._("Payment plan %(plan)s completed: every invoice is paid.",
                             plan=plan.name)
            for plan in self
        }  # fmt: skip
        return self._dunning_log(run_date, reasons, messages)

    def _dunning_break(self, run_date):
        """End plans with a missed installment: the ladder resumes one level higher."""
        if not self:
            return self.env["dunning.event"]
        self.write({"state": "broken", "date_end": run_date})
        by_level, plan_level, policies = defaultdict(list), {}, {}
        for plan in self:
            open_moves = plan.move_ids.filtered(
                lambda m: m.dunning_stage == "plan" and not m.currency_id.is_zero(m.amount_residual)
            )
            for move in open_moves:
                policy = move.dunning_level_id.policy_id or move._dunning_get_policy()
                if policy not in policies:
                    policies[policy] = policy.level_ids.sorted(lambda lvl: (lvl.sequence, lvl.id))
                level = self._dunning_level_after(move.dunning_level_id, policies[policy])
                by_level[level].append(move.id)
                highest = plan_level.get(plan)
                if level and (not highest or level.delay_days > highest.delay_days):
                    plan_level[plan] = level
        Move = self.env["account.move"]
        for level, move_ids in by_level.items():
            Move.browse(move_ids)._dunning_set_level(level, run_date)
        self._dunning_release_moves()
        messages = self._dunning_post("broken", run_date)
        activities = {}
        for plan in self:
            activities[plan] = self.env["dunning.engine"]._schedule(
                plan,
                self.env._("Payment plan %(plan)s broken", plan=plan.name),
                self.env._(
                    "An installment of %(plan)s is more than %(days)s days late: the plan is "
                    "broken and its invoices are back on the collections ladder. Call the "
                    "customer to agree on the next step.",
                    plan=plan.name,
                    days=plan.tolerance_days,
                ),
                plan._get_collector(),
                run_date,
            )
        reasons = {
            plan: self.env._(
                "Payment plan %(plan)s broken: an installment is more than %(days)s days late. "
                "Its invoices resume the ladder one level higher.",
                plan=plan.name,
                days=plan.tolerance_days,
            )
            for plan in self
        }
        return self._dunning_log(run_date, reasons, messages, activities, plan_level)

    def _dunning_send_reminders(self, run_date):
        """One message per plan: a late notice, else a reminder of what falls due soon."""
        Installment = self.env["dunning.payment.plan.installment"]
        late, soon, kinds = Installment, Installment, {}
        # One message per customer and day: a customer the ladder wrote to today hears
        # of its plan tomorrow (the reminder stays due).
        messaged = self.env["dunning.engine"]._messaged_on(self.partner_id, run_date)
        for plan in self:
            if plan.partner_id.commercial_partner_id.id in messaged:
                continue
            found = plan.installment_ids._dunning_reminders_due(run_date)
            if found["late"] or found["before"]:
                kinds[plan] = "late" if found["late"] else "before"
                # A late notice also lists what falls due soon: no second message for it.
                late |= found["late"]
                soon |= found["before"]
        # sudo: the follow-up's own bookkeeping, refused to people (see the installment).
        late.sudo().write({"reminder_late_date": run_date})
        soon.sudo().write({"reminder_before_date": run_date})
        events = self.env["dunning.event"]
        for kind in ("late", "before"):
            plans = self.browse([plan.id for plan, k in kinds.items() if k == kind])
            if plans:
                messages = plans._dunning_post(kind, run_date)
                reasons = {plan: plan._dunning_reminder_reason(kind, run_date) for plan in plans}
                events |= plans._dunning_log(run_date, reasons, messages)
        return events

    def _dunning_reminder_reason(self, kind, run_date):
        self.ensure_one()
        if kind == "late":
            rows = self.installment_ids.filtered(lambda i: i.state == "late")
        else:
            rows = self._get_upcoming_installments(run_date)
        details = ", ".join(
            self.env._(
                "%(amount)s due on %(date)s",
                amount=self.currency_id.format(row.amount_residual),
                date=fields.Date.to_string(row.date_due),
            )
            for row in rows
        )
        if kind == "late":
            return self.env._(
                "Late installment notice for %(plan)s: %(rows)s.", plan=self.name, rows=details
            )
        return self.env._(
            "Installment reminder for %(plan)s: %(rows)s.", plan=self.name, rows=details
        )

    def _dunning_release_moves(self):
        """Invoices still in the plan stage go back to the normal follow-up."""
        self.move_ids.filtered(lambda m: m.dunning_stage == "plan")._dunning_set_stage("normal")

    @api.model
    def _dunning_level_after(self, level, levels):
        """The rung above ``level`` in ``levels`` (sorted), the top one staying there.

        Without a level yet, the first rung after the due date: the message announcing
        the broken plan stands for it.
        """
        if level and level in levels:
            return levels.filtered(lambda lvl: lvl.delay_days > level.delay_days)[:1] or level
        return levels.filtered(lambda lvl: lvl.delay_days > 0)[:1] or levels[-1:]

    def _dunning_post(self, kind, run_date):
        """Email each plan's contact; returns {plan: (message, failure reason)}."""
        template = self.env.ref(_TEMPLATES[kind]).with_context(dunning_date=run_date)
        results, messages, sending = {}, [], []
        for plan in self.with_context(dunning_date=run_date):
            if not plan.contact_id.email:
                failure = self.env._("%(contact)s has no email address.",
                                     contact=plan.contact_id.display_name)  # fmt: skip
                results[plan] = (self.env["mail.message"], failure)
                continue
            messages.append(
                {
                    "template": template,
                    "record": plan,
                    "thread": plan,
                    "recipients": plan.contact_id,
                    "policy": plan._get_policy(),
                    "company": plan.company_id,
                }
            )
            sending.append(plan)
        engine = self.env["dunning.engine"].with_context(dunning_date=run_date)
        for plan, message in zip(sending, engine._send(messages), strict=True):
            results[self.browse(plan.id)] = (message, False)
        return results

    def _dunning_log(self, run_date, reasons, messages=None, activities=None, levels=None):
        vals_list = []
        for plan in self:
            message, failure = (messages or {}).get(plan, (False, False))
            moves = plan.move_ids
            activity = (activities or {}).get(plan)
            vals_list.append(
                {
                    "date": run_date,
                    "company_id": plan.company_id.id,
                    "partner_id": plan.partner_id.id,
                    "contact_id": plan.contact_id.id,
                    "move_ids": [Command.set(moves.ids)],
                    "channel": "plan",
                    "state": "failed" if failure else "done",
                    "reason": "\n".join(filter(None, (reasons[plan], failure))),
                    "amount_residual": sum(moves.mapped("amount_residual_signed")),
                    "collector_id": activity.user_id.id if activity else False,
                    "message_id": message.id if message else False,
                    "activity_id": activity.id if activity else False,
                    "level_id": (levels or {}).get(plan, self.env["dunning.level"]).id,
                    "payment_plan_id": plan.id,
                }
            )
        return self.env["dunning.engine"]._log(vals_list)
