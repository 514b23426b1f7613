"""Compliance guardrails (issue #11): every email, SMS and call goes through them.

- contact hours in the customer's time zone: emails and SMS created outside the
  policy's window are queued for its next opening (tools/contact_hours.py);
- a cap on reminder emails per customer (a planning guard, tools/planning.py);
- email opt-out and work addresses of consumers: no reminder email, the other steps
  of the level go on and the invoices climb;
- a warning when a template contains a threatening phrase (tools/template_check.py).
"""

import logging
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL, consteq, format_date
from odoo.tools.misc import hmac

from ..tools.contact_hours import check_window, format_hours, local_time, next_contact_time
from ..tools.template_check import DEFAULT_PHRASES, find_threatening_phrases, parse_phrases

_logger = logging.getLogger(__name__)

DEFAULT_WINDOW = (8.0, 20.0)
OPT_OUT_SCOPE = "account_dunning.email_opt_out"
PHRASES_PARAM = "account_dunning.threatening_phrases"


class DunningPolicy(models.Model):
    _inherit = "dunning.policy"

    contact_hour_start = fields.Float(
        string="Contact From",
        default=8.0,
        help="Emails and SMS are sent from this hour, in the customer's time zone (the "
        "contact's, else the customer's, else the company's). Created earlier, they wait "
        "in the queue. Regulation F: not before 8:00.",
    )
    contact_hour_end = fields.Float(
        string="Contact Until",
        default=20.0,
        help="No email or SMS from this hour on, in the customer's time zone; they wait "
        "for the next morning. Regulation F: not after 21:00.",
    )
    email_min_days = fields.Integer(
        string="Days Between Reminder Emails",
        default=3,
        help="A customer gets at most one reminder email in this many days: a step whose "
        "email would come sooner is taken on the first allowed day. 'Send reminder now' "
        "is exempt (a person decided). 0: no cap.",
    )

    _email_min_days_positive = models.Constraint(
        "CHECK(email_min_days >= 0)", "The days between reminder emails cannot be negative."
    )

    @api.constrains("contact_hour_start", "contact_hour_end")
    def _check_contact_hours(self):
        for policy in self:
            try:
                check_window(policy.contact_hour_start, policy.contact_hour_end)
            except ValueError:
                raise ValidationError(
                    self.env._(
                        "Policy %(policy)s: the contact hours must be a window within one "
                        "day, from 00:00 to 24:00, that starts before it ends.",
                        policy=policy.name,
                    )
                ) from None

    def _dunning_contact_window(self):
        """(start, end) hours; the default window without a policy."""
        if not self:
            return DEFAULT_WINDOW
        self.ensure_one()
        return self.contact_hour_start, self.contact_hour_end


class ResPartner(models.Model):
    _inherit = "res.partner"

    dunning_email_opt_out = fields.Boolean(
        string="No Reminder Emails",
        help="This customer or contact asked for no collections reminder by email (for "
        "every company): the ladder's other steps (letter, call, SMS) go on. Consumers "
        "can set it themselves with the link at the bottom of every reminder.",
    )
    dunning_email_is_workplace = fields.Boolean(
        string="Work Email Address",
        help="The email address is at the person's workplace: a consumer gets no "
        "collections reminder there (Regulation F 1006.22(f)).",
    )

    def _dunning_contact_tz(self, company):
        """The time zone to contact this person in: theirs, else their company's, else
        the creditor company's, else UTC."""
        self.ensure_one()
        return self.tz or self.commercial_partner_id.tz or company.partner_id.tz or "UTC"

    def _dunning_email_block_reason(self, customer=None):
        """Why no reminder email may go to this contact of ``customer``, or False."""
        self.ensure_one()
        customer = customer or self.commercial_partner_id
        if self.dunning_email_opt_out or customer.dunning_email_opt_out:
            return self.env._("Email not sent: opted out of reminder emails.")
        if customer.dunning_is_consumer and self.dunning_email_is_workplace:
            return self.env._(
                "Email not sent: %(email)s is a work address, and the customer is a consumer.",
                email=self.email or "",
            )
        return False

    def _dunning_opt_out_token(self, company):
        """A signature of (partner, company), as Odoo's mail unsubscribe links have."""
        self.ensure_one()
        # sudo: hmac reads the database secret (an admin-only parameter); only the
        # signature leaves this method, never the secret.
        return hmac(self.env(su=True), OPT_OUT_SCOPE, (self.id, company.id))

    def _dunning_check_opt_out_token(self, company, token):
        self.ensure_one()
        return bool(token) and consteq(self._dunning_opt_out_token(company), str(token))

    def _dunning_opt_out_url(self, company):
        self.ensure_one()
        base = self.get_base_url()
        token = self._dunning_opt_out_token(company)
        return f"{base}/dunning/email_opt_out/{self.id}/{company.id}/{token}"

    def _dunning_email_opt_out(self, company):
        """Opt out by the customer's own link: set the flag, log it. False when it was
        set already (a second click changes nothing)."""
        self.ensure_one()
        if self.dunning_email_opt_out:
            return False
        self.dunning_email_opt_out = True
        self.env["dunning.engine"]._log(
            {
                "company_id": company.id,
                "partner_id": self.commercial_partner_id.id,
                "contact_id": self.id,
                "channel": "note",
                "reason": self.env._(
                    "%(contact)s asked for no more reminder emails (opt-out link).",
                    contact=self.display_name,
                ),
            }
        )
        return True


class DunningEngine(models.AbstractModel):
    _inherit = "dunning.engine"

    @api.model
    def _dunning_contact_time(self, contact, policy, company, now=None):
        """When a message to ``contact`` may go out: None now, else the UTC opening of
        the policy's window in the contact's time zone (naive, as Odoo stores it)."""
        if not contact:
            return None
        now = now or fields.Datetime.now()
        start, end = (policy or company.dunning_default_policy_id)._dunning_contact_window()
        when = next_contact_time(now, contact[:1]._dunning_contact_tz(company), start, end)
        return when if when > now else None

    @api.model
    def _dunning_scheduled_dates(self, messages):
        """The ``scheduled_date`` of each message for ``_send``: from its ``contact`` or
        its first recipient; False to send now (messages to no contact, e.g. an
        agency's case inbox, are not held)."""
        now = fields.Datetime.now()
        return [
            self._dunning_contact_time(
                message.get("contact") or message["recipients"][:1],
                message.get("policy"),
                message["company"],
                now,
            )
            or False
            for message in messages
        ]

    @api.model
    def _dunning_wake_queue(self, cron_xmlid, dates):
        """The queue's scheduled action runs again when held messages may go."""
        dates = sorted({date for date in dates if date})
        if dates:
            # sudo: scheduling a run of Odoo's own queue action, nothing else.
            self.env.ref(cron_xmlid).sudo()._trigger(dates)

    @api.model
    def _dunning_sms_state(self, contact, policy, company):
        """Values of a queued sms.sms: outgoing now, or held until the window opens."""
        when = self._dunning_contact_time(contact, policy, company)
        if not when:
            return {"state": "outgoing"}
        self._dunning_wake_queue("sms.ir_cron_sms_scheduler_action", [when])
        return {"state": "dunning_scheduled", "dunning_scheduled_date": when}


class SmsSms(models.Model):
    """sms.sms has no scheduled date in Odoo 19: an SMS created outside the contact
    hours waits in its own state, and the SMS queue releases it when its time comes."""

    _inherit = "sms.sms"

    state = fields.Selection(
        selection_add=[("dunning_scheduled", "Scheduled")],
        ondelete={"dunning_scheduled": "set default"},
    )
    dunning_scheduled_date = fields.Datetime(
        string="Scheduled Send Date", index="btree_not_null", readonly=True
    )

    @api.model
    def _process_queue(self):
        self._dunning_release_scheduled()
        return super()._process_queue()

    @api.model
    def _dunning_release_scheduled(self):
        due = self.search(
            [
                ("state", "=", "dunning_scheduled"),
                ("dunning_scheduled_date", "<=", fields.Datetime.now()),
            ]
        )
        due.write({"state": "outgoing"})
        return due


class DunningRun(models.Model):
    _inherit = "dunning.run"

    def _dunning_last_reminder_emails(self, partners):
        """{customer id: date of its last reminder email sent by the ladder}, one query."""
        if not partners:
            return {}
        self.env["dunning.event"].flush_model(["partner_id", "channel", "state", "level_id"])
        rows = self.env.execute_query(
            SQL(
                """
            SELECT partner_id, MAX(date)
              FROM dunning_event
             WHERE company_id = %(company)s
               AND partner_id IN %(partners)s
               AND channel = 'email'
               AND state = 'done'
               AND level_id IS NOT NULL
          GROUP BY partner_id
                """,
                company=self.company_id.id,
                partners=tuple(partners.ids),
            )
        )
        return dict(rows)

    def _dunning_email_cap_note(self, last_email, ladder):
        return self.env._(
            "Email cap: last reminder email on %(date)s; the step is taken on %(next)s.",
            date=format_date(self.env, last_email),
            next=format_date(self.env, last_email + timedelta(ladder.email_min_days)),
        )


class DunningRunLine(models.Model):
    _inherit = "dunning.run.line"

    def _dunning_email_block_reason(self):
        """Why the line's reminder email may not go (opt-out, work address), or False."""
        self.ensure_one()
        return self.contact_id._dunning_email_block_reason(self.partner_id.commercial_partner_id)


class DunningEvent(models.Model):
    _inherit = "dunning.event"

    def _dunning_contact_window_info(self):
        """The customer's local time now and the contact window, for the call script."""
        self.ensure_one()
        contact = self.contact_id or self.partner_id
        tz_name = contact._dunning_contact_tz(self.company_id)
        policy = self.policy_id or self.company_id.dunning_default_policy_id
        start, end = policy._dunning_contact_window()
        return {
            "time": local_time(fields.Datetime.now(), tz_name).strftime("%H:%M"),
            "start": format_hours(start),
            "end": format_hours(end),
            "tz": tz_name,
        }

    def _dunning_contact_window_line(self):
        """'Local time of the customer: 10:00 (window 08:00-20:00, America/New_York)'."""
        return self.env._(
            "Local time of the customer: %(time)s (window %(start)s-%(end)s, %(tz)s)",
            **self._dunning_contact_window_info(),
        )

    def _get_opt_out_url(self):
        """The one-click opt-out link of a consumer's reminder; '' for a business."""
        self.ensure_one()
        contact = self.contact_id or self.partner_id
        if not self.partner_id.commercial_partner_id.dunning_is_consumer:
            return ""
        return contact._dunning_opt_out_url(self.company_id)


class DunningTemplateCheck(models.AbstractModel):
    """Shared by mail and SMS templates: warn about threatening phrases."""

    _name = "dunning.template.check"
    _description = "Collections Template Check"

    _dunning_checked_fields = ()

    @api.model_create_multi
    def create(self, vals_list):
        templates = super().create(vals_list)
        templates._dunning_log_threats()
        return templates

    def write(self, vals):
        res = super().write(vals)
        if set(self._dunning_checked_fields) & set(vals):
            self._dunning_log_threats()
        return res

    @api.model
    def _dunning_threatening_phrases(self):
        # sudo: a configuration parameter everyone editing a template may know.
        value = self.env["ir.config_parameter"].sudo().get_param(PHRASES_PARAM, DEFAULT_PHRASES)
        return parse_phrases(value)

    def _dunning_find_threats(self):
        """The threatening phrases in this template's texts (dunning.event templates)."""
        self.ensure_one()
        if self.model != "dunning.event":
            return []
        return find_threatening_phrases(
            [self[name] for name in self._dunning_checked_fields],
            self._dunning_threatening_phrases(),
        )

    def _dunning_threat_warning(self):
        phrases = self._dunning_find_threats()
        if not phrases:
            return None
        return {
            "title": self.env._("Threatening wording?"),
            "message": self.env._(
                "This collections template contains: %(phrases)s. Only name actions you "
                "really intend to take, and never threaten (Regulation F 1006.18, Brazil's "
                "consumer code art. 71). The list is the system parameter %(param)s.",
                phrases=", ".join(f'"{phrase}"' for phrase in phrases),
                param=PHRASES_PARAM,
            ),
        }

    def _dunning_log_threats(self):
        """Saving warns (the form showed it already); it does not block."""
        for template in self:
            phrases = template._dunning_find_threats()
            if phrases:
                _logger.warning(
                    "Collections template %s (%s) contains threatening phrases: %s",
                    template.display_name,
                    template._name,
                    ", ".join(phrases),
                )


class MailTemplate(models.Model):
    _name = "mail.template"
    _inherit = ["mail.template", "dunning.template.check"]

    _dunning_checked_fields = ("subject", "body_html")

    @api.onchange("subject", "body_html", "model_id")
    def _onchange_dunning_threats(self):
        warning = self._dunning_threat_warning()
        if warning:
            return {"warning": warning}
        return None


class SmsTemplate(models.Model):
    _name = "sms.template"
    _inherit = ["sms.template", "dunning.template.check"]

    _dunning_checked_fields = ("body",)

    @api.onchange("body", "model_id")
    def _onchange_dunning_threats(self):
        warning = self._dunning_threat_warning()
        if warning:
            return {"warning": warning}
        return None
