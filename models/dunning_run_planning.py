"""The plan of a run: which customers get which step today, decided on today's data."""

from collections import defaultdict
from dataclasses import replace
from datetime import timedelta

from odoo import models
from odoo.tools import SQL

from ..tools.planning import (
    CreditFacts,
    CustomerFacts,
    InvoiceFacts,
    Ladder,
    plan_customer,
    plan_reminder,
)
from ..tools.stages import CHASABLE_STAGES

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


class DunningRun(models.Model):
    _inherit = "dunning.run"

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
        invoices_by_partner = run._select_invoices()
        if not invoices_by_partner:
            self.state = "planned"
            return
        partners = self.env["res.partner"].with_company(company).browse(invoices_by_partner)
        balances = run._net_balances(partners)
        credits = run._open_credits(partners)
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
                net_balance=balances.get(partner.id, 0.0),
                excluded=partner.dunning_excluded,
                good_payer=partner.id in good_payers
                and all(inv.due_date >= self.date for inv in invoices),
                last_email_date=last_emails.get(partner.id),
                # 'Send reminder now' is a person's decision: it overrides both.
                manual=not self.force and partner.dunning_reminder_mode == "manual",
                postponed_until=None if self.force else partner.dunning_postpone_until or None,
                credits=tuple(credits.get(partner.id, ())),
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
        self.state = "planned"

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
            "credit_line_ids": list(decision.credits),
            "step_data": steps,
            "amount": decision.amount,
            "state": "skipped" if decision.skip_reason else "todo",
            "skip_reason": decision.skip_reason,
        }

    def _select_invoices(self):
        """Open chasable customer invoices of the company, as facts per customer.

        One query: receivable lines with a residual of posted customer invoices that are
        not paid nor in payment, in a chasable stage and not excluded. The due date is
        the earliest open installment, so payment terms with several due dates work, and
        the amount is the part asked for: the installments due by the run's date, or the
        first one when none is due yet (a reminder before the due date); the later ones
        are shown beside it, not asked. An inheriting module narrows or widens the
        selection in ``_dunning_open_items_conditions``.
        """
        self.env["account.move"].flush_model()
        self.env["account.move.line"].flush_model()
        rows = self.env.execute_query(
            SQL(
                """
            SELECT partner_id, move_id, first_due,
                   SUM(residual) FILTER (WHERE maturity <= GREATEST(%(date)s, first_due)),
                   delay_days, last_date, currency_id,
                   SUM(residual_currency) FILTER (WHERE maturity <= GREATEST(%(date)s, first_due))
              FROM (
                SELECT m.commercial_partner_id AS partner_id, m.id AS move_id,
                       m.currency_id, aml.date_maturity AS maturity,
                       MIN(aml.date_maturity) OVER (PARTITION BY m.id) AS first_due,
                       aml.amount_residual AS residual,
                       aml.amount_residual_currency AS residual_currency,
                       lvl.delay_days, m.dunning_last_date AS last_date
                  FROM account_move m
                  JOIN account_move_line aml ON aml.move_id = m.id
                  JOIN account_account acc ON acc.id = aml.account_id
             LEFT JOIN dunning_level lvl ON lvl.id = m.dunning_level_id
                 WHERE %(conditions)s
              ) open_items
          GROUP BY partner_id, move_id, first_due, delay_days, last_date, currency_id
            """,
                date=self.date,
                conditions=SQL(" AND ").join(self._dunning_open_items_conditions()),
            )
        )
        company_currency = self.company_id.currency_id.id
        invoices = defaultdict(list)
        for partner_id, move_id, due, residual, level_delay, last_date, currency, amount in rows:
            invoices[partner_id].append(
                InvoiceFacts(
                    move_id,
                    due,
                    residual or 0.0,
                    level_delay,
                    last_date,
                    currency_id=currency or company_currency,
                    residual=amount or 0.0,
                )
            )
        return invoices

    def _open_credits(self, partners):
        """Open credits of the customers, as facts per customer: receivable lines with
        a negative residual (open credit notes, payments and bank lines not applied to
        an invoice), whatever their stage. One query."""
        self.env["res.partner"].flush_model(["commercial_partner_id"])
        rows = self.env.execute_query(
            SQL(
                """
            SELECT p.commercial_partner_id, aml.id, -aml.amount_residual,
                   aml.currency_id, -aml.amount_residual_currency
                   %s
               AND aml.amount_residual < 0
          ORDER BY aml.date, aml.id
                """,
                self.env["account.move.line"]._dunning_open_receivables_sql(
                    self.company_id.id, partners.ids
                ),
            )
        )
        company_currency = self.company_id.currency_id.id
        credits = defaultdict(list)
        for partner_id, line_id, residual, currency, amount in rows:
            credits[partner_id].append(
                CreditFacts(line_id, residual, currency or company_currency, amount)
            )
        return credits

    def _dunning_open_items_conditions(self):
        """The WHERE conditions of the run's selection (``m`` the invoice, ``aml`` its
        receivable line, ``acc`` the account): an extension point, as OCA's credit
        control has one; add or replace conditions with super()."""
        conditions = [
            SQL("m.company_id = %s", self.company_id.id),
            SQL("m.move_type = 'out_invoice'"),
            SQL("m.state = 'posted'"),
            SQL("m.payment_state IN ('not_paid', 'partial')"),
            SQL("m.dunning_stage IN %s", CHASABLE_STAGES),
            SQL("m.dunning_excluded IS NOT TRUE"),
            SQL("acc.account_type = 'asset_receivable'"),
            SQL("aml.reconciled IS NOT TRUE"),
            SQL("aml.amount_residual > 0"),
        ]
        if self.partner_ids:
            conditions.append(
                SQL(
                    "m.commercial_partner_id IN %s",
                    tuple(self.partner_ids.commercial_partner_id.ids),
                )
            )
        return conditions

    def _net_balances(self, partners):
        """Receivable net of credit notes and unallocated payments, per customer."""
        self.env["res.partner"].flush_model(["commercial_partner_id"])
        rows = self.env.execute_query(
            SQL(
                "SELECT p.commercial_partner_id, SUM(aml.amount_residual) %s "
                "GROUP BY p.commercial_partner_id",
                self.env["account.move.line"]._dunning_open_receivables_sql(
                    self.company_id.id, partners.ids
                ),
            )
        )
        return dict(rows)

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
