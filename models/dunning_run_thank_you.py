from collections import defaultdict
from datetime import timedelta

from odoo import api, models
from odoo.fields import Command
from odoo.tools import SQL

# Payments reconciled longer ago than this are not thanked for (e.g. installing the
# module, or turning the option on, does not thank for last year's payments).
THANK_YOU_LOOKBACK_DAYS = 30
# Events that count as a reminder the customer received.
REMINDER_CHANNELS = ("email", "sms", "letter")
# Paid there, not here: a recovery or a write-off is not a payment to thank for.
NOT_THANKED_STAGES = ("agency", "legal", "recovered", "written_off")


class DunningRun(models.Model):
    """Thank-you messages, part of the daily run (issue #10).

    Detected by the run with one query rather than on reconciliation: a payment can be
    reconciled, unreconciled and reconciled again within a day, and a bank statement
    reconciles hundreds of lines at once; the run sees each invoice's settled state once
    a day, sends one message per customer and remembers it on the invoice
    (``dunning_thanked``), so a customer is never thanked twice for one invoice.
    """

    _inherit = "dunning.run"

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
        reminded at least once (a done email, SMS or letter listing them) and settled by
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
                channels=REMINDER_CHANNELS,
                since=self.date - timedelta(days=THANK_YOU_LOOKBACK_DAYS),
            )
        )

    @api.model
    def _dunning_thank(self, items, day):
        """One thank-you per item ``(customer, invoices, promise or None)`` when the
        customer's policy says so; the invoices paid in full are remembered as thanked
        either way (turning the option on later thanks no old payment)."""
        engine = self.env["dunning.engine"]
        template = self.env.ref(
            "account_dunning.mail_template_dunning_thank_you", raise_if_not_found=False
        )
        # One message per customer and day: a customer who already heard from us today
        # (a reminder, a plan or hand-off notice, another thank-you) is thanked on a
        # later day; its invoices stay "not thanked" until then.
        messaged = self.env["dunning.engine"]._messaged_on(
            self.env["res.partner"].browse([p.id for p, _m, _pr in items]), day
        )
        items = [item for item in items if item[0].commercial_partner_id.id not in messaged]
        if not items:
            return self.env["dunning.event"]
        vals_list, sending = [], []
        customers = self.env["res.partner"].browse([partner.id for partner, _m, _p in items])
        contacts = customers._dunning_get_contacts()
        for partner, moves, promise in items:
            policy = partner._dunning_get_policy()
            if not template or not policy or not policy.send_thank_you:
                continue
            contact = contacts[partner.id]
            vals = {
                "date": day,
                "company_id": (promise.company_id if promise else moves.company_id[:1]).id
                or self.env.company.id,
                "partner_id": partner.commercial_partner_id.id,
                "contact_id": contact.id,
                "move_ids": [Command.set(moves.ids)],
                "channel": "thank_you",
                "state": "done",
                "amount_residual": 0.0,
                "promise_id": promise.id if promise else False,
            }
            if not contact.email:
                vals.update(
                    state="failed",
                    reason=self.env._(
                        "No thank-you: %(contact)s has no email address.",
                        contact=contact.display_name,
                    ),
                )
            vals_list.append(vals)
            sending.append((partner, contact, policy, bool(contact.email)))
        events = engine._log(vals_list)
        messages = [
            {
                "template": template,
                "record": event,
                "thread": partner.commercial_partner_id,
                "recipients": contact,
                "policy": policy,
                "company": event.company_id,
            }
            for event, (partner, contact, policy, ok) in zip(events, sending, strict=True)
            if ok
        ]
        sent_events = events.filtered(lambda e: e.state == "done")
        for event, message in zip(sent_events, engine._send(messages), strict=True):
            engine._record_outcome(event, {"message_id": message.id})
        paid = (
            self.env["account.move"]
            .browse([move.id for _p, moves, _pr in items for move in moves])
            .filtered(lambda m: m.payment_state in ("paid", "in_payment"))
        )
        paid._dunning_mark_thanked()
        return events
