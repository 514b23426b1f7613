"""A simulated year of collections: N daily scheduled runs over a growing book.

Every simulated day (under freezegun's ``freeze_time``): new customers and invoices
(random amounts, due 0-45 days later, some on a three-installment payment term), full
and partial payments, credit notes (full and partial reversals), payment plans through
``dunning.payment.plan.wizard`` (and promises when ``dunning.promise`` exists), then the
scheduled run through the real cron record, then a few payments registered after it.
All driven by one seeded random generator: the same --seed gives the same year.

After each day, SQL checks over mail.mail / mail.message / dunning.event / account.move:

1. no customer gets more than one dunning message a day (mail.mail on res.partner,
   message type comment, created by that day's runs; a second cron call on some days
   must repeat nothing);
2. no email event lists an invoice that was paid, in payment or reversed before that
   day's run;
3. no invoice's level skips a rung: a new level is the next sendable rung of its
   policy's ladder (courtesy rungs, delay <= 0, are never sent after the due date), a
   never-dunned invoice starts at the first overdue rung (or the matching one with
   ``start_at_matching_level``), a broken payment plan resumes one rung higher; no level
   goes down or changes outside a run.

Prints messages per customer per month, the run time per day (and per block of days,
to show whether the cost per day stays flat as the book grows) and the violations;
exits 1 on any violation. ``--inject`` breaks one thing on purpose to show that the
checks can fail. Run through scripts/simulate_year.sh (it creates and drops the
database); the database is committed day by day, so it must be a throw-away one.
"""

import argparse
import math
import random
import statistics
import sys
from collections import Counter, defaultdict
from datetime import date, datetime, time, timedelta

import freezegun.api
from freezegun import freeze_time

import odoo
from odoo.fields import Command
from odoo.modules.registry import Registry

START = date(2027, 1, 1)
PAID_STATES = ("paid", "in_payment", "reversed")
# Payer profiles: share of customers, and days after the due date they pay
# (None: never pays by themselves).
PROFILES = {"punctual": 0.45, "late": 0.40, "bad": 0.15}


def clock():
    """Wall-clock seconds, not frozen: freezegun replaces every module's reference to
    time.perf_counter while a day is frozen, but not its own saved original."""
    return freezegun.api.real_perf_counter()


INJECTIONS = ("duplicate", "paid", "skip", "after-run-payment")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", required=True)
    parser.add_argument("--addons-path", required=True)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--keep-db", action="store_true", help="(handled by simulate_year.sh: keep the database)"
    )
    parser.add_argument(
        "--inject",
        choices=INJECTIONS,
        action="append",
        default=[],
        help="self-test of the checks: inject a duplicate mail, a mail about a paid "
        "invoice or a skipped rung on the 4th day (the run must then fail), or flag as paid "
        "an invoice paid after the run (must NOT be reported)",
    )
    parser.add_argument("--quiet", action="store_true", help="no line per day")
    return parser.parse_args()


class Simulation:
    def __init__(self, env, args):
        self.env = env
        self.args = args
        self.rng = random.Random(args.seed)
        self.company = env.company
        self.customers = []  # res.partner ids (commercial partners), in creation order
        self.profile = {}  # customer id -> payer profile
        self.pending = defaultdict(list)  # date -> [(move_id, amount or None, after_run)]
        self.plans = []  # (plan id, keeps its installments)
        self.day_messages = {}  # date -> Counter(customer id -> dunning mails)
        self.customers_on = {}  # date -> number of customers that day
        self.run_times = {}  # date -> seconds (the day's cron call)
        self.book = {}  # date -> (open invoices, customers in the run)
        self.violations = defaultdict(list)  # check -> [text]
        self.level_history = defaultdict(list)  # move id -> [(date, level id)]
        self.counts = Counter()
        self.phase_times = Counter()  # seconds per phase of the days
        self.last_levels = {}
        self.ladders = {}
        self.pay_after_run = set()  # moves paid after the run, by --inject after-run-payment

    # ------------------------------------------------------------------ setup

    def setup(self):
        env = self.env
        policies = env["dunning.policy"].search([("company_id", "=", self.company.id)])
        values = {"attach_invoice_pdf": False}  # the PDF path is the benchmark's business
        if "execution_mode" in policies._fields:
            values["execution_mode"] = "automatic"
        policies.write(values)
        self.company.write({"email": "finance@sim.example.com"})
        self.journal = env["account.journal"].search(
            [("type", "=", "bank"), ("company_id", "=", self.company.id)], limit=1
        )
        self.term = env["account.payment.term"].create(
            {
                "name": "Simulation: 40/30/30 over 15/30/45 days",
                "line_ids": [
                    Command.create({"value": "percent", "value_amount": 40, "nb_days": 15}),
                    Command.create({"value": "percent", "value_amount": 30, "nb_days": 30}),
                    Command.create({"value": "percent", "value_amount": 30, "nb_days": 45}),
                ],
            }
        )
        self._load_ladders()
        self.add_customers(self.args.customers)
        # An opening book: one invoice for about half the customers, some long overdue
        # and never dunned (they must start at the first overdue rung).
        opening = [c for c in self.customers if self.rng.random() < 0.5]
        self.add_invoices(opening, back_days=(0, 90))
        env.cr.commit()

    def _load_ladders(self):
        rows = self.env.execute_query(
            odoo.tools.SQL(
                """SELECT l.id, l.policy_id, l.delay_days, p.start_at_matching_level
                     FROM dunning_level l JOIN dunning_policy p ON p.id = l.policy_id
                 ORDER BY l.policy_id, l.sequence, l.id"""
            )
        )
        self.ladders = {}  # policy id -> (level ids, delays, start at matching level)
        self.level_policy = {}
        for level_id, policy_id, delay, matching in rows:
            ids, delays, _matching = self.ladders.setdefault(policy_id, ([], [], matching))
            ids.append(level_id)
            delays.append(delay)
            self.level_policy[level_id] = policy_id

    def add_customers(self, count):
        rng = self.rng
        start = len(self.customers)
        values = []
        for index in range(start, start + count):
            has_email = rng.random() >= 0.15  # some customers have no email at all
            values.append(
                {
                    "name": f"Sim customer {index}",
                    "is_company": True,
                    "email": f"info{index}@sim.example.com" if has_email else False,
                }
            )
        partners = self.env["res.partner"].create(values)
        contacts = []
        for partner in partners:
            if partner.email and rng.random() < 0.3:  # an accounts-payable contact
                contacts.append(partner)
        if contacts:
            aps = self.env["res.partner"].create(
                [
                    {
                        "name": f"Accounts payable of {p.name}",
                        "parent_id": p.id,
                        "type": "invoice",
                        "email": f"ap.{p.id}@sim.example.com",
                    }
                    for p in contacts
                ]
            )
            for partner, contact in zip(contacts, aps, strict=True):
                partner.dunning_contact_id = contact
        for partner in partners:
            self.profile[partner.id] = rng.choices(list(PROFILES), list(PROFILES.values()))[0]
            self.customers.append(partner.id)

    # --------------------------------------------------------------- business

    def add_invoices(self, customer_ids, back_days=(0, 0)):
        """One invoice per customer in ``customer_ids``, dated today (or up to
        ``back_days`` ago), due 0-45 days after its date; some on installments."""
        if not customer_ids:
            return
        rng, today = self.rng, self.today
        values, dues = [], []
        for customer_id in customer_ids:
            invoice_date = today - timedelta(days=rng.randint(*back_days))
            installments = rng.random() < 0.15
            values.append(
                {
                    "move_type": "out_invoice",
                    "partner_id": customer_id,
                    "invoice_date": invoice_date,
                    "invoice_payment_term_id": self.term.id if installments else False,
                    "invoice_line_ids": [
                        Command.create(
                            {
                                "name": "Services",
                                "quantity": 1,
                                "price_unit": rng.choice((1, 5, 10)) * rng.randint(20, 500),
                                "tax_ids": [],
                            }
                        )
                    ],
                }
            )
            dues.append(None if installments else invoice_date + timedelta(rng.randint(0, 45)))
        moves = self.env["account.move"].create(values)
        by_due = defaultdict(list)
        for move, due in zip(moves, dues, strict=True):
            if due:
                by_due[due].append(move.id)
        for due, ids in by_due.items():  # the empty payment term recomputed it on create
            self.env["account.move"].browse(ids).invoice_date_due = due
        moves.action_post()
        self.counts["invoices"] += len(moves)
        for move in moves:
            self._schedule_payments(move)

    def _schedule_payments(self, move):
        rng, profile = self.rng, self.profile[move.commercial_partner_id.id]
        lines = move.line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
        ).sorted("date_maturity")
        if profile == "bad" and rng.random() < 0.7:
            return  # never pays by itself: it climbs the whole ladder
        if profile == "punctual":
            offset = rng.randint(-7, 1)
        elif profile == "late":
            offset = rng.randint(3, 50)
        else:
            offset = rng.randint(60, 120)
        if len(lines) > 1:  # installments: one payment per installment, the last in full
            for position, line in enumerate(lines, start=1):
                when = line.date_maturity + timedelta(offset + rng.randint(0, 2))
                amount = None if position == len(lines) else line.balance
                self._plan_payment(move.id, max(when, self.today), amount)
            return
        when = max(move.invoice_date_due + timedelta(offset), self.today)
        if rng.random() < 0.15:  # a partial payment first, the rest later
            part = round(move.amount_total * rng.uniform(0.3, 0.7), 2)
            self._plan_payment(move.id, when, part)
            when += timedelta(rng.randint(7, 30))
        self._plan_payment(move.id, when, None)

    def _plan_payment(self, move_id, when, amount):
        after_run = self.rng.random() < 0.1  # some payments arrive after the run
        self.pending[when].append((move_id, amount, after_run))

    def pay(self, items):
        """Register payments: [(move id, amount or None for the whole residual)]."""
        Move = self.env["account.move"]
        wanted = {}  # move id -> amount (None: the whole residual); one payment per move
        for move_id, amount in items:
            previous = wanted.get(move_id, 0.0)
            wanted[move_id] = None if None in (previous, amount) else previous + amount
        full, partial = [], []
        for move_id, amount in wanted.items():
            move = Move.browse(move_id)
            if move.state != "posted" or move.payment_state not in ("not_paid", "partial"):
                continue
            if amount is None or move.currency_id.compare_amounts(
                amount, move.amount_residual
            ) >= 0:  # fmt: skip
                full.append(move_id)
            elif amount > 0:
                partial.append((move, amount))
        if full:
            self.env["account.payment.register"].with_context(
                active_model="account.move", active_ids=full
            ).create(
                {"payment_date": self.today, "journal_id": self.journal.id, "group_payment": False}
            )._create_payments()
            self.counts["full payments"] += len(full)
        for move, amount in partial:
            self.env["account.payment.register"].with_context(
                active_model="account.move", active_ids=move.ids
            ).create(
                {
                    "payment_date": self.today,
                    "journal_id": self.journal.id,
                    "amount": amount,
                    "payment_difference_handling": "open",
                }
            )._create_payments()
            self.counts["partial payments"] += 1
        return full + [move.id for move, _amount in partial]

    def open_invoices(self, stages=("normal",)):
        return self.env["account.move"].search(
            [
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
                ("payment_state", "in", ("not_paid", "partial")),
                ("dunning_stage", "in", stages),
            ]
        )

    def credit_notes(self):
        rng = self.rng
        candidates = self.open_invoices(("normal", "promised")).filtered(
            lambda m: m.invoice_payment_term_id != self.term
        )
        count = min(len(candidates), self._poisson(len(candidates) * 0.004))
        for move in rng.sample(list(candidates), count):
            values = {"date": self.today, "invoice_date": self.today, "ref": "Simulation"}
            if rng.random() < 0.4:  # full reversal: the invoice is 'reversed'
                move._reverse_moves([values], cancel=True)
                self.counts["full credit notes"] += 1
                continue
            refund = move._reverse_moves([values], cancel=False)
            refund.invoice_line_ids[:1].price_unit = round(
                move.amount_residual * rng.uniform(0.1, 0.5), 2
            )
            refund.action_post()
            receivable = (move.line_ids | refund.line_ids).filtered(
                lambda line: (
                    line.account_id.account_type == "asset_receivable" and not line.reconciled
                )
            )
            receivable.reconcile()
            self.counts["partial credit notes"] += 1

    def payment_plans(self):
        """A few customers each month agree on a plan of their overdue invoices."""
        rng, today = self.rng, self.today
        overdue = self.open_invoices().filtered(
            lambda m: m.invoice_date_due and m.invoice_date_due <= today - timedelta(15)
        )
        by_customer = defaultdict(list)
        for move in overdue:
            by_customer[move.commercial_partner_id.id].append(move.id)
        chosen = rng.sample(sorted(by_customer), min(3, len(by_customer)))
        Wizard = self.env["dunning.payment.plan.wizard"]
        Plan = self.env["dunning.payment.plan"]
        for customer_id in chosen:
            wizard = Wizard.create(
                {
                    "move_ids": [Command.set(by_customer[customer_id])],
                    "installment_count": rng.randint(2, 4),
                    "interval": "monthly",
                    "first_date": today + timedelta(7),
                    "down_payment": 0,
                }
            )
            if wizard.error:
                self.counts["plans refused by the wizard"] += 1
                continue
            wizard.action_confirm()
            plan = Plan.search([("partner_id", "=", customer_id)], order="id desc", limit=1)
            keeps = rng.random() < 0.6
            self.plans.append((plan.id, keeps))
            self.counts["payment plans"] += 1
            # The customer's own payments of these invoices are now the plan's.
            moves = set(by_customer[customer_id])
            for when, items in self.pending.items():
                if when >= today:
                    items[:] = [item for item in items if item[0] not in moves]
            if keeps:
                for installment in plan.installment_ids:
                    when = installment.date_due + timedelta(rng.randint(-3, 3))
                    self._plan_installment(plan, max(when, today + timedelta(1)), installment)

    def _plan_installment(self, plan, when, installment):
        self.pending[when].append((("plan", plan.id), installment.amount, False))

    def _pay_plan(self, plan_id, amount):
        plan = self.env["dunning.payment.plan"].browse(plan_id)
        items = []
        for move in plan.move_ids.sorted(lambda m: (m.invoice_date_due, m.id)):
            if amount <= 0:
                break
            if move.payment_state in ("not_paid", "partial"):
                part = min(amount, move.amount_residual)
                items.append((move.id, part))
                amount -= part
        return items

    def promises(self):
        """When the module has promises to pay: a few customers promise each week."""
        rng, today = self.rng, self.today
        overdue = self.open_invoices().filtered(
            lambda m: m.invoice_date_due and m.invoice_date_due < today
        )
        by_customer = defaultdict(lambda: self.env["account.move"])
        for move in overdue:
            by_customer[move.commercial_partner_id.id] |= move
        for customer_id in rng.sample(sorted(by_customer), min(2, len(by_customer))):
            moves = by_customer[customer_id]
            promised = today + timedelta(rng.randint(3, 14))
            self.env["dunning.promise"].create(
                {
                    "partner_id": customer_id,
                    "move_ids": [Command.set(moves.ids)],
                    "amount": sum(moves.mapped("amount_residual")),
                    "date_promised": promised,
                }
            )
            self.counts["promises"] += 1
            if rng.random() < 0.5:  # kept
                for move in moves:
                    self.pending[promised].append((move.id, None, False))

    def _poisson(self, mean):
        # Knuth's method: small means only.
        limit, count, product = math.exp(-mean), 0, self.rng.random()
        while product > limit:
            count += 1
            product *= self.rng.random()
        return count

    # ------------------------------------------------------------------- a day

    def day_before_run(self):
        rng = self.rng
        new = self._poisson(self.args.customers * 0.5 / 365)  # the book grows ~50 % a year
        if new:
            self.add_customers(new)
        self.add_invoices([c for c in self.customers if rng.random() < 1 / 18])
        self._due_payments(after_run=False)
        self.credit_notes()
        if self.today.day == 5:
            self.payment_plans()
        if "dunning.promise" in self.env and self.today.weekday() == 2:
            self.promises()

    def _due_payments(self, after_run):
        items, plan_items = [], []
        for target, amount, late in self.pending.get(self.today, []):
            if late != after_run:
                continue
            if isinstance(target, tuple):
                plan_items.extend(self._pay_plan(target[1], amount))
            else:
                items.append((target, amount))
        paid = self.pay(items)
        paid += self.pay(plan_items)
        return paid

    def run_cron(self):
        """The scheduled run, as ir.cron runs it: the real cron record's server action
        with a progress record, so that _commit_progress reports and commits."""
        cron = self.env.ref("account_dunning.ir_cron_dunning_run")
        cron_env = self.env(
            user=cron.user_id.id,
            context={"lastcall": False, "cron_id": cron.id, "cron_end_time": float("inf")},
        )
        cron = cron_env["ir.cron"].browse(cron.id)
        for _loop in range(10):
            cron_with_progress, progress = cron._add_progress(timed_out_counter=0)
            self.env.cr.commit()
            cron_with_progress._callback(cron.cron_name, cron.ir_actions_server_id.id)
            if not progress.remaining:
                break
        self.env.invalidate_all()

    def snapshot(self):
        """Per posted customer invoice: level, stage, payment state and earliest open
        due date (what the run sees)."""
        rows = self.env.execute_query(
            odoo.tools.SQL(
                """
            SELECT m.id, m.dunning_level_id, m.dunning_stage, m.payment_state,
                   MIN(aml.date_maturity) FILTER (
                       WHERE acc.account_type = 'asset_receivable'
                         AND aml.reconciled IS NOT TRUE AND aml.amount_residual > 0)
              FROM account_move m
              JOIN account_move_line aml ON aml.move_id = m.id
              JOIN account_account acc ON acc.id = aml.account_id
             WHERE m.move_type = 'out_invoice' AND m.state = 'posted'
          GROUP BY m.id
            """
            )
        )
        return {row[0]: row[1:] for row in rows}

    def watermarks(self):
        rows = self.env.execute_query(
            odoo.tools.SQL(
                """SELECT (SELECT COALESCE(MAX(id), 0) FROM mail_mail),
                          (SELECT COALESCE(MAX(id), 0) FROM dunning_event)"""
            )
        )
        return rows[0]

    def simulate_day(self, index):
        self.env.invalidate_all()
        started = clock()
        self.day_before_run()
        self.env.cr.commit()
        self.phase_times["business before the run"] += clock() - started
        before = self.snapshot()
        self._check_outside_run(before)
        mail_mark, event_mark = self.watermarks()
        started = clock()
        self.run_cron()
        self.run_times[self.today] = clock() - started
        self.phase_times["scheduled run"] += self.run_times[self.today]
        if index % 7 == 6:  # a second cron call the same day must repeat nothing
            self.run_cron()
            self.counts["second cron calls"] += 1
        self._inject_before_checks(index, before)
        paid_after = self._due_payments(after_run=True)
        self.counts["payments after the run"] += len(paid_after)
        if "after-run-payment" in self.args.inject and index == 3:
            self._pay_after_run_on_purpose(before, event_mark)
        self.env.cr.commit()
        started = clock()
        after = self.snapshot()
        self.check_messages(mail_mark)
        self.check_paid(before, event_mark)
        self.check_levels(before, after)
        self.last_levels = {move_id: row[0] for move_id, row in after.items()}
        self.customers_on[self.today] = len(self.customers)
        line_count = self.env.execute_query(
            odoo.tools.SQL(
                """SELECT COUNT(*) FROM dunning_run_line l JOIN dunning_run r ON r.id = l.run_id
                    WHERE r.date = %s AND r.trigger = 'cron'""",
                self.today,
            )
        )[0][0]
        open_count = sum(
            1 for row in before.values() if row[2] in ("not_paid", "partial") and row[3]
        )
        self.book[self.today] = (open_count, line_count)
        self.phase_times["checks"] += clock() - started

    # ---------------------------------------------------------------- checks

    def check_messages(self, mail_mark):
        """(1) At most one dunning mail per customer and day."""
        rows = self.env.execute_query(
            odoo.tools.SQL(
                """
            SELECT msg.res_id, COUNT(*)
              FROM mail_mail mm
              JOIN mail_message msg ON msg.id = mm.mail_message_id
             WHERE mm.id > %s AND msg.model = 'res.partner' AND msg.message_type = 'comment'
          GROUP BY msg.res_id
            """,
                mail_mark,
            )
        )
        counts = Counter(dict(rows))
        self.day_messages[self.today] = counts
        for partner_id, count in counts.items():
            if count > 1:
                self.violations["1 duplicate message"].append(
                    f"{self.today}: customer {partner_id} got {count} messages"
                )

    def check_paid(self, before, event_mark):
        """(2) No email event lists an invoice paid before the day's run."""
        paid = [move_id for move_id, row in before.items() if row[2] in PAID_STATES]
        if not paid:
            return
        rows = self.env.execute_query(
            odoo.tools.SQL(
                """
            SELECT e.id, e.partner_id, rel.move_id
              FROM dunning_event e
              JOIN account_move_dunning_event_rel rel ON rel.event_id = e.id
             WHERE e.id > %s AND e.channel = 'email' AND e.state = 'done'
               AND rel.move_id = ANY(%s)
            """,
                event_mark,
                paid,
            )
        )
        for event_id, partner_id, move_id in rows:
            self.violations["2 message about a paid invoice"].append(
                f"{self.today}: event {event_id} to customer {partner_id} lists invoice "
                f"{move_id}, {before[move_id][2]} before the run"
            )

    def _check_outside_run(self, before):
        for move_id, row in before.items():
            old = self.last_levels.get(move_id)
            if row[0] != old and move_id in self.last_levels:
                self.violations["3 level skipped a rung"].append(
                    f"{self.today}: invoice {move_id} changed level {old} -> {row[0]} outside a run"
                )

    def check_levels(self, before, after):
        """(3) A level changes by one rung of its policy's ladder, per run."""
        for move_id, (level_id, *_rest) in after.items():
            old_id, stage, _payment, due = before.get(move_id, (None, "normal", None, None))
            if level_id == old_id:
                continue
            self.level_history[move_id].append((self.today, level_id))
            self.counts["level changes"] += 1
            problem = self._rung_problem(old_id, level_id, stage, due)
            if problem:
                self.violations["3 level skipped a rung"].append(
                    f"{self.today}: invoice {move_id} {problem}"
                )

    def _rung_problem(self, old_id, new_id, stage, due):
        if not new_id:
            return f"lost its level {old_id}"
        policy_id = self.level_policy.get(new_id)
        if policy_id is None:
            self._load_ladders()
            policy_id = self.level_policy[new_id]
        ids, delays, matching = self.ladders[policy_id]
        new = ids.index(new_id)
        old = self._index_in(old_id, ids, delays)
        allowed = set()
        if due is not None:
            days = (self.today - due).days
            # Rungs sendable today: reached, and courtesy rungs only up to the due date.
            sendable = [i for i, d in enumerate(delays) if d <= days and (d > 0 or days <= 0)]
            if old is None and sendable:
                allowed.add(sendable[0] if days > 0 and not matching else sendable[-1])
            elif old is not None:
                allowed.update([i for i in sendable if i > old][:1])
        if stage == "plan":  # a broken plan resumes one rung higher
            overdue = [i for i, d in enumerate(delays) if d > 0]
            allowed.add(min(old + 1, len(ids) - 1) if old is not None else overdue[0])
        if new in allowed:
            return None
        days_text = f"{(self.today - due).days} days overdue" if due else "nothing open"
        old_text = "never dunned" if old is None else f"rung {old + 1} ({delays[old]:+d})"
        return (
            f"went from {old_text} to rung {new + 1} ({delays[new]:+d}), {days_text}, "
            f"stage {stage}; allowed: {sorted(i + 1 for i in allowed) or 'none'}"
        )

    def _index_in(self, level_id, ids, delays):
        if not level_id:
            return None
        if level_id in ids:
            return ids.index(level_id)
        # A level of another policy: the highest rung of this one not above its delay.
        policy_id = self.level_policy[level_id]
        other_ids, other_delays, _matching = self.ladders[policy_id]
        delay = other_delays[other_ids.index(level_id)]
        reached = [i for i, d in enumerate(delays) if d <= delay]
        return reached[-1] if reached else None

    # -------------------------------------------------------- self-test hooks

    def _inject_before_checks(self, index, before):
        if index != 3:
            return
        cr = self.env.cr
        if "duplicate" in self.args.inject:
            # A second mail to a customer messaged today (or to the first customer).
            event = self.env["dunning.event"].search(
                [("channel", "=", "email"), ("state", "=", "done")], limit=1
            )
            partner = event.partner_id or self.env["res.partner"].browse(self.customers[0])
            for _copy in range(2):
                self.env["mail.mail"].create(
                    {
                        "model": "res.partner",
                        "res_id": partner.id,
                        "message_type": "comment",
                        "body_html": "<p>Injected duplicate</p>",
                        "email_to": "x@sim.example.com",
                    }
                )
            print(f"   injected: two extra mails to customer {partner.id}")
        if "paid" in self.args.inject:
            paid = [move_id for move_id, row in before.items() if row[2] in PAID_STATES]
            move = self.env["account.move"].browse(paid[0])
            self.env["dunning.event"].create(
                {
                    "partner_id": move.commercial_partner_id.id,
                    "move_ids": [Command.set(move.ids)],
                    "channel": "email",
                    "state": "done",
                }
            )
            print(f"   injected: an email event listing invoice {move.id}, paid before the run")
        if "skip" in self.args.inject:
            ids, _delays, _matching = next(iter(self.ladders.values()))
            move_id = next(m for m, row in before.items() if row[0] == ids[0] and row[2] != "paid")
            cr.execute("UPDATE account_move SET dunning_level_id = %s WHERE id = %s",
                       (ids[3], move_id))  # fmt: skip
            print(f"   injected: invoice {move_id} moved from rung 1 to rung 4")

    def _pay_after_run_on_purpose(self, before, event_mark):
        """Pay, after the run, invoices that the run just emailed about: they must not
        be reported by check 2 (they were open when the run looked)."""
        rows = self.env.execute_query(
            odoo.tools.SQL(
                """SELECT DISTINCT rel.move_id FROM dunning_event e
                     JOIN account_move_dunning_event_rel rel ON rel.event_id = e.id
                    WHERE e.id > %s AND e.channel = 'email' AND e.state = 'done'""",
                event_mark,
            )
        )
        paid = self.pay([(move_id, None) for (move_id,) in rows[:5]])
        print(f"   paid after the run: invoices {paid} (emailed today; must not be flagged)")

    # --------------------------------------------------------------- report

    def report(self):
        print("\n== activity")
        for name, count in sorted(self.counts.items()):
            print(f"   {name:<28} {count}")
        rows = self.env.execute_query(
            odoo.tools.SQL(
                "SELECT channel, state, COUNT(*) FROM dunning_event GROUP BY 1, 2 ORDER BY 1, 2"
            )
        )
        print("   dunning events: " + ", ".join(f"{c}/{s} {n}" for c, s, n in rows))
        print("   seconds: " + ", ".join(f"{k} {v:.0f}" for k, v in self.phase_times.items()))
        print("\n== dunning messages per customer per month")
        print("   month     customers  messaged  messages   mean    max")
        by_month = defaultdict(Counter)
        customers = {}
        for day, counts in self.day_messages.items():
            month = day.strftime("%Y-%m")
            by_month[month].update(counts)
            customers[month] = self.customers_on[day]
        means, maxima = [], []
        for month, counts in sorted(by_month.items()):
            total = sum(counts.values())
            mean = total / customers[month]
            top = max(counts.values(), default=0)
            means.append(mean)
            maxima.append(top)
            print(
                f"   {month}   {customers[month]:9d} {len(counts):9d} {total:9d}"
                f" {mean:6.2f} {top:6d}"
            )
        print(f"   overall: mean {statistics.mean(means):.2f}, max {max(maxima)}")
        times = sorted(self.run_times.values())
        p95 = times[min(len(times) - 1, math.ceil(0.95 * len(times)) - 1)]
        print("\n== run time per day (the scheduled run, all batches)")
        print(
            f"   mean {statistics.mean(times):.3f} s, p95 {p95:.3f} s, max {times[-1]:.3f} s"
            f" over {len(times)} days"
        )
        print("   days       open invoices  run lines   mean s   max s  ms per line")
        days = sorted(self.run_times)
        block = 30 if len(days) > 60 else 10
        for start in range(0, len(days), block):
            chunk = days[start : start + block]
            seconds = [self.run_times[d] for d in chunk]
            lines = sum(self.book[d][1] for d in chunk)
            opened = statistics.mean(self.book[d][0] for d in chunk)
            per_line = 1000 * sum(seconds) / lines if lines else 0
            print(
                f"   {start + 1:>4}-{start + len(chunk):<4} {opened:14.0f} "
                f"{lines / len(chunk):10.1f} {statistics.mean(seconds):8.3f} "
                f"{max(seconds):7.3f} {per_line:12.1f}"
            )
        climbed = Counter(len(h) for h in self.level_history.values())
        print(f"\n   invoices by number of level changes: {dict(sorted(climbed.items()))}")
        print("\n== violations")
        total = 0
        for check in (
            "1 duplicate message",
            "2 message about a paid invoice",
            "3 level skipped a rung",
        ):
            found = self.violations.get(check, [])
            total += len(found)
            print(f"   ({check}): {len(found)}")
            for text in found[:10]:
                print(f"      {text}")
        return total


def main():
    args = parse_args()
    odoo.tools.config.parse_config(
        [
            "-d",
            args.database,
            f"--addons-path={args.addons_path}",
            "--log-level=warn",
            # Letters and plan agreements are rendered by wkhtmltopdf, which cannot reach
            # the (absent) HTTP server for its assets: one warning per PDF, not a finding.
            "--log-handler=odoo.addons.base.models.ir_actions_report:ERROR",
        ]
    )
    registry = Registry(args.database)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {"tz": "UTC"})
        sim = Simulation(env, args)
        print(
            f"== simulated {args.days} days from {START}, {args.customers} customers, "
            f"seed {args.seed}"
        )
        started = clock()
        with freeze_time(datetime.combine(START, time(6, 0))):
            sim.today = START
            sim.setup()
        for index in range(args.days):
            sim.today = START + timedelta(index)
            with freeze_time(datetime.combine(sim.today, time(6, 0))):
                sim.simulate_day(index)
            if not args.quiet:
                open_count, lines = sim.book[sim.today]
                print(
                    f"   {sim.today} run {sim.run_times[sim.today]:6.3f} s  "
                    f"open {open_count:5d}  lines {lines:4d}  "
                    f"mails {sum(sim.day_messages[sim.today].values()):4d}",
                    flush=True,
                )
        print(f"   simulated in {clock() - started:.0f} s")
        violations = sim.report()
    if violations:
        print(f"FAILED: {violations} violation(s)")
        return 1
    print("simulation: no violation")
    return 0


if __name__ == "__main__":
    sys.exit(main())
