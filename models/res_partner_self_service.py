"""Customer self-service from the link in a reminder (issue #14).

The link carries a signature of (contact, company), as the email opt-out link does
(models/dunning_guardrails.py): no login, no state in the database, one scope per use,
invalidated for every customer at once by changing the database secret. The contact is
the person the reminder went to; the page shows its customer's (commercial partner's)
account in that company, nothing else. Every action is a method below, called by
controllers/portal_self_service.py with a sudo environment after the signature check.
"""

from datetime import timedelta

from dateutil.relativedelta import relativedelta
from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Command
from odoo.tools import consteq, email_normalize, format_amount, format_date
from odoo.tools.mimetypes import guess_mimetype
from odoo.tools.misc import hmac

from ..tools.stages import DISPUTABLE_STAGES, PROMISABLE_STAGES

SELF_SERVICE_SCOPE = "account_dunning.self_service"
# What a customer may attach to a dispute: documents and photos, checked on the content.
DISPUTE_FILE_MAX_BYTES = 5 * 1024 * 1024
DISPUTE_FILE_MIMETYPES = ("application/pdf", "image/png", "image/jpeg")
MAX_TEXT = 2000  # characters kept of a customer's message


class DunningSelfServiceRefused(UserError):
    """A self-service action refused: the message is shown to the customer."""


class DunningSelfServiceRateLimited(DunningSelfServiceRefused):
    """Too many self-service actions in the last hour."""


class ResPartner(models.Model):
    _inherit = "res.partner"

    # --------------------------------------------------------------- the link

    def _dunning_self_service_token(self, company):
        """A signature of (contact, company), in its own scope (not the opt-out's)."""
        self.ensure_one()
        # sudo: hmac reads the database secret (an admin-only parameter); only the
        # signature leaves this method, never the secret.
        return hmac(self.env(su=True), SELF_SERVICE_SCOPE, (self.id, company.id))

    def _dunning_check_self_service_token(self, company, token):
        self.ensure_one()
        return bool(token) and consteq(self._dunning_self_service_token(company), str(token))

    def _dunning_self_service_url(self, company):
        """The customer's self-service page, for this contact, in ``company``."""
        self.ensure_one()
        token = self._dunning_self_service_token(company)
        return f"{self.get_base_url()}/dunning/account/{self.id}/{company.id}/{token}"

    def _dunning_self_service_policy(self):
        """The policy whose limits apply (current company); may be empty."""
        self.ensure_one()
        return self.commercial_partner_id._dunning_get_policy()

    def _dunning_self_service_enabled(self):
        policy = self._dunning_self_service_policy()
        return bool(policy) and policy.portal_self_service

    # --------------------------------------------------------------- the page

    def _dunning_self_service_values(self):
        """What the page shows: the statement (open items and net balance per currency,
        recent payments), each invoice's stage and portal page, and what can be done."""
        self.ensure_one()
        customer = self.commercial_partner_id
        statement = customer._dunning_statement()
        invoice_ids = [
            row["move_id"]
            for block in statement["currencies"]
            for row in block["items"]
            if row["kind"] == "invoice"
        ]
        invoices = self.env["account.move"].browse(invoice_ids)
        invoices._dunning_ensure_access_tokens()
        stages = dict(self.env["account.move"]._fields["dunning_stage"]._description_selection(
            self.env))  # fmt: skip
        invoice_info = {
            move.id: {
                "stage": move.dunning_stage,
                "stage_label": stages.get(move.dunning_stage, ""),
                "portal_url": move.get_portal_url(),
            }
            for move in invoices
        }
        promisable = customer._dunning_open_moves(PROMISABLE_STAGES)
        plan_moves = self.env["dunning.payment.plan.wizard"]._get_partner_moves(customer)
        policy = self._dunning_self_service_policy()
        return {
            "partner": self,
            "customer": customer,
            "company": self.env.company,
            "policy": policy,
            "statement": statement,
            "invoice_info": invoice_info,
            "promisable": promisable,
            "disputable": customer._dunning_open_moves(DISPUTABLE_STAGES),
            "plan_moves": plan_moves,
            "plan_balance": sum(plan_moves.mapped("amount_residual")),
            "reasons": self.env["dunning.dispute.reason"].search([]),
            "is_consumer": customer.dunning_is_consumer,
            "opted_out": bool(self.dunning_email_opt_out or customer.dunning_email_opt_out),
            "today": fields.Date.context_today(self),
            "promise_max_date": fields.Date.context_today(self)
            + timedelta(days=policy.portal_promise_max_days if policy else 0),
            "file_types": ", ".join(("PDF", "PNG", "JPEG")),
            "file_max_mb": DISPUTE_FILE_MAX_BYTES // (1024 * 1024),
        }

    # ------------------------------------------------------------ the checks

    def _dunning_self_service_check_rate(self):
        """Refuse when the customer took the policy's maximum of actions in the last
        hour: counted from the history (one 'portal' event per action)."""
        self.ensure_one()
        policy = self._dunning_self_service_policy()
        limit = policy.portal_max_actions_per_hour if policy else 10
        since = fields.Datetime.now() - timedelta(hours=1)
        # sudo: counting the customer's own history rows, nothing is read of them.
        count = (
            self.env["dunning.event"]
            .sudo()
            .search_count(
                [
                    ("partner_id", "=", self.commercial_partner_id.id),
                    ("company_id", "=", self.env.company.id),
                    ("channel", "=", "portal"),
                    ("create_date", ">=", since),
                ]
            )
        )
        if count >= limit:
            raise DunningSelfServiceRateLimited(
                self.env._(
                    "You have made %(count)s requests in the last hour, the most we accept. "
                    "Please try again later, or reply to our email.",
                    count=count,
                )
            )

    def _dunning_self_service_collector(self):
        engine = self.env["dunning.engine"]
        return engine._get_collector(self.commercial_partner_id, self.env.company)

    def _dunning_self_service_log(self, reason, moves=None, activity=None, **links):
        """One 'portal' event per action: the history and the rate limit."""
        self.ensure_one()
        moves = moves or self.env["account.move"]
        return self.env["dunning.engine"]._log(
            {
                "company_id": self.env.company.id,
                "partner_id": self.commercial_partner_id.id,
                "contact_id": self.id,
                "move_ids": [Command.set(moves.ids)],
                "channel": "portal",
                "state": "done",
                "reason": reason,
                "amount_residual": sum(moves.mapped("amount_residual_signed")),
                "collector_id": activity.user_id.id if activity else False,
                "activity_id": activity.id if activity else False,
                **{key: record.id for key, record in links.items()},
            }
        )

    def _dunning_self_service_moves(self, stages, move_ids):
        """The customer's open invoices among ``move_ids`` in ``stages``: ids from the
        form are only ever a filter on the customer's own invoices."""
        wanted = {int(move_id) for move_id in move_ids or () if str(move_id).isdigit()}
        moves = self.commercial_partner_id._dunning_open_moves(stages)
        return moves.filtered(lambda move: move.id in wanted)

    @api.model
    def _dunning_self_service_text(self, value):
        return (value or "").strip()[:MAX_TEXT]

    def _refuse(self, message):
        raise DunningSelfServiceRefused(message)

    # ------------------------------------------------------------ the actions

    def _dunning_self_service_promise(self, move_ids, amount, date_promised):
        """Promise to pay ``amount`` by ``date_promised`` for some open invoices: a
        dunning.promise as a collector records it (the invoices go to Promised, the
        ladder pauses), and an activity tells the collector."""
        self.ensure_one()
        _ = self.env._
        policy = self._dunning_self_service_policy()
        today = fields.Date.context_today(self)
        moves = self._dunning_self_service_moves(PROMISABLE_STAGES, move_ids)
        if not moves:
            self._refuse(_("Select the invoices you promise to pay."))
        if len(moves.currency_id) > 1:
            self._refuse(_("A promise is for invoices in one currency: select them per currency."))
        currency = moves.currency_id
        latest = today + timedelta(days=policy.portal_promise_max_days)
        if not date_promised or date_promised < today or date_promised > latest:
            self._refuse(
                _(
                    "Choose a payment date from today to %(latest)s.",
                    latest=format_date(self.env, latest),
                )
            )
        balance = sum(moves.mapped("amount_residual"))
        minimum = currency.round(balance * policy.portal_promise_min_share / 100.0)
        if (
            not amount
            or currency.compare_amounts(amount, minimum) < 0
            or currency.compare_amounts(amount, balance) > 0
            or currency.compare_amounts(amount, 0.0) <= 0
        ):
            self._refuse(
                _(
                    "Promise an amount from %(minimum)s to %(balance)s for these invoices.",
                    minimum=format_amount(self.env, max(minimum, currency.rounding), currency),
                    balance=format_amount(self.env, balance, currency),
                )
            )
        collector = self._dunning_self_service_collector()
        promise = self.env["dunning.promise"].create(
            {
                "company_id": self.env.company.id,
                "partner_id": self.commercial_partner_id.id,
                "move_ids": [Command.set(moves.ids)],
                "amount": amount,
                "date_promised": date_promised,
                "user_id": collector.id,
                "note": _("Promised online by %(contact)s.", contact=self.display_name),
            }
        )
        summary = _(
            "%(amount)s promised online for %(date)s",
            amount=format_amount(self.env, amount, currency),
            date=format_date(self.env, date_promised),
        )
        activity = self.env["dunning.engine"]._schedule(
            promise,
            _("Promise to pay made online"),
            Markup("<p>%s</p>")
            % _(
                "%(contact)s promised %(summary)s on the self-service page (invoices "
                "%(invoices)s). Nothing to do unless it is not kept.",
                contact=self.display_name,
                summary=summary,
                invoices=", ".join(moves.mapped("name")),
            ),
            collector,
            today,
        )
        self._dunning_self_service_log(summary, moves, activity, promise_id=promise)
        return promise

    def _dunning_self_service_plan(self, installment_count, first_date):
        """Ask for a plan of monthly installments over the open invoices of one currency:
        inside the policy's limits it is agreed at once through the payment plan
        wizard (the usual agreement goes out); outside, the collector gets an approval
        activity and nothing else changes."""
        self.ensure_one()
        _ = self.env._
        policy = self._dunning_self_service_policy()
        today = fields.Date.context_today(self)
        customer = self.commercial_partner_id
        Wizard = self.env["dunning.payment.plan.wizard"]
        moves = Wizard._get_partner_moves(customer)
        if not moves:
            self._refuse(_("No open invoice can go in a payment plan."))
        if not installment_count or installment_count < 1 or installment_count > 60:
            self._refuse(_("Choose between 1 and 60 monthly installments."))
        if not first_date or first_date < today or first_date > today + timedelta(days=365):
            self._refuse(_("Choose a first due date within the coming year."))
        wizard = Wizard.with_context(active_model="account.move", active_ids=moves.ids).create(
            {
                "installment_count": installment_count,
                "interval": "monthly",
                "first_date": first_date,
            }
        )
        try:
            schedule = wizard._get_schedule()
        except UserError as error:
            raise DunningSelfServiceRefused(error.args[0]) from error
        currency = wizard.currency_id
        balance = wizard.amount_total
        last_date = max(row.date_due for row in schedule)
        smallest = min(row.amount for row in schedule)
        outside = []
        if last_date > today + relativedelta(months=policy.portal_plan_max_months):
            outside.append(
                _(
                    "the last installment is due after %(months)s months",
                    months=policy.portal_plan_max_months,
                )
            )
        if first_date > today + timedelta(days=policy.portal_plan_first_date_max_days):
            outside.append(
                _(
                    "the first installment is due after %(days)s days",
                    days=policy.portal_plan_first_date_max_days,
                )
            )
        if currency.compare_amounts(smallest, policy.portal_plan_min_installment) < 0:
            outside.append(
                _(
                    "an installment is below %(minimum)s",
                    minimum=format_amount(self.env, policy.portal_plan_min_installment, currency),
                )
            )
        if currency.compare_amounts(balance, policy.portal_plan_max_balance) > 0:
            outside.append(
                _(
                    "the balance is above %(maximum)s",
                    maximum=format_amount(self.env, policy.portal_plan_max_balance, currency),
                )
            )
        asked = _(
            "%(count)s monthly installments of about %(amount)s from %(date)s, %(balance)s "
            "in total",
            count=len(schedule),
            amount=format_amount(self.env, schedule[0].amount, currency),
            date=format_date(self.env, first_date),
            balance=format_amount(self.env, balance, currency),
        )
        if not outside:
            action = wizard.action_confirm()
            plan = self.env["dunning.payment.plan"].browse(action["res_id"])
            self._dunning_self_service_log(
                _("Payment plan asked for online and agreed: %(request)s.", request=asked),
                moves,
                payment_plan_id=plan,
            )
            return plan
        collector = self._dunning_self_service_collector()
        activity = self.env["dunning.engine"]._schedule(
            customer,
            _("Payment plan asked for online: approve?"),
            Markup("<p>%s</p><p>%s</p>")
            % (
                _(
                    "%(contact)s asks for a payment plan: %(request)s (invoices %(invoices)s).",
                    contact=self.display_name,
                    request=asked,
                    invoices=", ".join(moves.mapped("name")),
                ),
                _(
                    "Outside the policy's limits (%(why)s): if you agree, create the plan "
                    "with 'Payment Plan' on the invoices; the agreement goes to the customer.",
                    why="; ".join(outside),
                ),
            ),
            collector,
            today,
        )
        self._dunning_self_service_log(
            _(
                "Payment plan asked for online, for the collector to approve (%(why)s): "
                "%(request)s.",
                why="; ".join(outside),
                request=asked,
            ),
            moves,
            activity,
        )
        return activity

    def _dunning_self_service_dispute(self, move_id, reason_id, message, filename, data):
        """Dispute an invoice with a reason, a message and an optional file (PDF or
        image, checked on its content and size): the invoice leaves the ladder."""
        self.ensure_one()
        _ = self.env._
        moves = self._dunning_self_service_moves(DISPUTABLE_STAGES, [move_id])
        if not moves:
            self._refuse(_("Select the invoice you dispute."))
        reason = (
            self.env["dunning.dispute.reason"]
            .browse(int(reason_id) if str(reason_id or "").isdigit() else 0)
            .exists()
        )
        if not reason or not reason.active:
            self._refuse(_("Select the reason of the dispute."))
        message = self._dunning_self_service_text(message)
        if not message:
            self._refuse(_("Tell us what is wrong with the invoice."))
        if data:
            if len(data) > DISPUTE_FILE_MAX_BYTES:
                self._refuse(
                    _(
                        "The file is too large: at most %(size)s MB.",
                        size=DISPUTE_FILE_MAX_BYTES // (1024 * 1024),
                    )
                )
            if guess_mimetype(data) not in DISPUTE_FILE_MIMETYPES:
                self._refuse(_("Attach a PDF, PNG or JPEG file."))
        collector = self._dunning_self_service_collector()
        dispute = self.env["dunning.dispute"].create(
            {
                "company_id": self.env.company.id,
                "partner_id": self.commercial_partner_id.id,
                "move_ids": [Command.set(moves.ids)],
                "reason_id": reason.id,
                "note": _(
                    "From %(contact)s, online: %(message)s",
                    contact=self.display_name,
                    message=message,
                ),
                "user_id": collector.id,
            }
        )
        if data:
            name = (filename or "").replace("/", "_").replace("\\", "_").strip()[:128]
            self.env["ir.attachment"].create(
                {
                    "name": name or _("Attachment"),
                    "raw": data,
                    "res_model": dispute._name,
                    "res_id": dispute.id,
                }
            )
        activity = self.env["dunning.engine"]._schedule(
            dispute,
            _("Dispute opened online"),
            Markup("<p>%s</p>")
            % _(
                "%(contact)s disputes %(invoice)s (%(reason)s): %(message)s",
                contact=self.display_name,
                invoice=moves.name,
                reason=reason.name,
                message=message,
            ),
            collector,
            fields.Date.context_today(self) + timedelta(days=2),
        )
        self._dunning_self_service_log(
            _("Dispute opened online: %(reason)s.", reason=reason.name),
            moves,
            activity,
            dispute_id=dispute,
        )
        return dispute

    def _dunning_self_service_opt_out(self):
        """A consumer stops the reminder emails to this contact (the opt-out link's
        own logic); the letters, calls and SMS of the ladder go on."""
        self.ensure_one()
        if not self.commercial_partner_id.dunning_is_consumer:
            self._refuse(
                self.env._("Reminder emails to a business go to its accounts-payable contact.")
            )
        changed = self._dunning_email_opt_out(self.env.company)
        self._dunning_self_service_log(
            self.env._("Reminder emails stopped online.")
            if changed
            else self.env._("Reminder emails stopped online (already stopped).")
        )
        return changed

    def _dunning_self_service_contact(self, name, email, phone):
        """A business proposes a new accounts-payable contact: only an activity for the
        collector, who checks it and changes the customer; nothing changes here."""
        self.ensure_one()
        _ = self.env._
        customer = self.commercial_partner_id
        if customer.dunning_is_consumer:
            self._refuse(_("Only a business can name an accounts-payable contact."))
        name = self._dunning_self_service_text(name)[:128]
        normalized = email_normalize(self._dunning_self_service_text(email))
        phone = self._dunning_self_service_text(phone)[:64]
        if not name or not normalized:
            self._refuse(_("Give the contact's name and a valid email address."))
        proposal = _(
            "%(name)s, %(email)s%(phone)s",
            name=name,
            email=normalized,
            phone=f", {phone}" if phone else "",
        )
        activity = self.env["dunning.engine"]._schedule(
            customer,
            _("New accounts-payable contact proposed online"),
            Markup("<p>%s</p><p>%s</p>")
            % (
                _(
                    "%(contact)s proposes as accounts-payable contact: %(proposal)s.",
                    contact=self.display_name,
                    proposal=proposal,
                ),
                _(
                    "Check it with the customer (the request came from a reminder link), "
                    "then set the contact as 'Accounts-Payable Contact' on the customer."
                ),
            ),
            self._dunning_self_service_collector(),
            fields.Date.context_today(self) + timedelta(days=2),
        )
        self._dunning_self_service_log(
            _("Accounts-payable contact proposed online: %(proposal)s.", proposal=proposal),
            activity=activity,
        )
        return activity
