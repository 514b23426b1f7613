"""SMS as a step of the ladder, through Odoo's own sms module (queued sms.sms).

The whole channel is this file, plus its templates (data/dunning_sms_template_data.xml)
and two fields in the level form: a kind of step added with selection_add, the level's
flag and template, and ``_dunning_step_sms`` that the engine finds by name.

Opt-out ("STOP"): Odoo community receives no SMS, so every reminder SMS ends with a
short signed link (controllers/dunning_opt_out.py) that puts the number on Odoo's own
phone blacklist (phone.blacklist); the step never sends to a blacklisted number.
"""

import re

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import consteq, format_amount, format_date
from odoo.tools.misc import hmac

SMS_OPT_OUT_SCOPE = "account_dunning.sms_opt_out"
# 16 hex digits (64 bits) of the HMAC: an SMS has 160 characters, and a link that can
# only be guessed online, one request at a time, needs no more.
SMS_TOKEN_LENGTH = 16
# The opt-out sentence closing every reminder SMS, in the module's languages. The SMS
# bodies are translated as whole texts (i18n/), so the sentence is added by code to a
# body that lacks it (an older translation, a template edited by hand): no reminder SMS
# goes out without its opt-out link, in the recipient's language.
SMS_OPT_OUT_TEXT = {
    "en": "Stop these SMS: {url}",
    "fr": "Ne plus recevoir ces SMS : {url}",
    "de": "Diese SMS abbestellen: {url}",
    "es": "Dejar de recibir estos SMS: {url}",
    "pt": "Parar de receber estes SMS: {url}",
}


class DunningLevelStep(models.Model):
    _inherit = "dunning.level.step"

    kind = fields.Selection(selection_add=[("sms", "SMS")], ondelete={"sms": "cascade"})


class DunningLevel(models.Model):
    _inherit = "dunning.level"

    send_sms = fields.Boolean(
        string="Send SMS",
        compute="_compute_step_flags",
        inverse="_inverse_step_flags",
        store=True,
        readonly=False,
    )
    sms_template_id = fields.Many2one(
        "sms.template",
        string="SMS Template",
        domain="[('model', '=', 'dunning.event')]",
        ondelete="restrict",
    )

    @api.constrains("send_sms", "sms_template_id")
    def _check_sms_template(self):
        for level in self.filtered("send_sms"):
            if not level.sms_template_id:
                raise ValidationError(
                    self.env._(
                        "Level %(level)s sends an SMS: choose its SMS template.", level=level.name
                    )
                )
            if level.sms_template_id.model != "dunning.event":
                raise ValidationError(
                    self.env._(
                        "The SMS template of level %(level)s must be made for Dunning Event.",
                        level=level.name,
                    )
                )

    def _dunning_step_flags(self):
        return {**super()._dunning_step_flags(), "send_sms": "sms"}


class ResCompany(models.Model):
    _inherit = "res.company"

    def _dunning_level_values(self, sequence, step):
        """The default ladder's levels come with their SMS, off until a manager turns
        it on (an SMS costs credits)."""
        values = super()._dunning_level_values(sequence, step)
        xmlid = step.template_xmlid.replace(".mail_template_", ".sms_template_")
        template = self.env.ref(xmlid, raise_if_not_found=False)
        values["sms_template_id"] = template.id if template else False
        return values


class DunningEvent(models.Model):
    _inherit = "dunning.event"

    def _get_sms_amount(self):
        """'USD 1,250.00' (and 'EUR 80.00' ...): what the message asks for."""
        self.ensure_one()
        return ", ".join(
            format_amount(self.env, total["amount"], total["currency"])
            for total in self._get_totals()
            if total["amount"] > 0  # net of credits; a currency in credit is not asked for
        )

    def _get_sms_due_date(self):
        """The first open installment's due date (a term may have several)."""
        self.ensure_one()
        dates = [row["date_due"] for row in self._get_invoice_rows() if row["date_due"]]
        return format_date(self.env, min(dates)) if dates else ""

    def _get_sms_pay_url(self):
        """The portal page of the oldest invoice: one short link, where it can be paid."""
        self.ensure_one()
        rows = self._get_invoice_rows()
        return rows[0]["url"] if rows else ""

    def _get_sms_phone_holder(self):
        """Who the SMS goes to: the contact addressed if it has a phone, else the
        customer."""
        self.ensure_one()
        contact = self.contact_id or self.partner_id
        return contact if contact.phone else self.partner_id.commercial_partner_id

    def _get_sms_opt_out_url(self):
        """The short link that stops the SMS reminders to the number this SMS goes to."""
        self.ensure_one()
        return self._get_sms_phone_holder()._dunning_sms_opt_out_url(self.company_id)

    def _get_sms_opt_out(self):
        """The closing sentence of every reminder SMS, in the language being rendered:
        'Stop these SMS: <link>'; '' without a number."""
        self.ensure_one()
        url = self._get_sms_opt_out_url()
        if not url:
            return ""
        lang = self.env.lang or "en_US"
        text = SMS_OPT_OUT_TEXT.get(lang[:2], SMS_OPT_OUT_TEXT["en"])
        return text.format(url=url)


class ResPartner(models.Model):
    _inherit = "res.partner"

    def _dunning_sms_number(self):
        """The number an SMS to this person goes to: E.164 where Odoo can format it
        (python phonenumbers), the digits anyway; '' without a phone."""
        self.ensure_one()
        if not self.phone:
            return ""
        return re.sub(r"[^\d+]", "", self._phone_format(fname="phone") or self.phone)

    def _dunning_sms_blacklisted(self, numbers):
        """The numbers among ``numbers`` on Odoo's phone blacklist, one query."""
        numbers = [number for number in numbers if number]
        if not numbers:
            return set()
        # sudo: the blacklist is reserved to administrators; only whether a number is
        # on it is read, to respect the person's choice.
        entries = self.env["phone.blacklist"].sudo().search([("number", "in", numbers)])
        blacklisted = {re.sub(r"[^\d+]", "", entry.number) for entry in entries}
        return {number for number in numbers if number in blacklisted}

    def _dunning_sms_opt_out_token(self, company, number=None):
        """A signature of (partner, company, number): the link stops the SMS to the
        number it was sent to, and no other."""
        self.ensure_one()
        number = number if number is not None else self._dunning_sms_number()
        # sudo: hmac reads the database secret (an admin-only parameter); only the
        # signature leaves this method, never the secret.
        signature = hmac(self.env(su=True), SMS_OPT_OUT_SCOPE, (self.id, company.id, number))
        return signature[:SMS_TOKEN_LENGTH]

    def _dunning_check_sms_opt_out_token(self, company, token):
        self.ensure_one()
        number = self._dunning_sms_number()
        return bool(number and token) and consteq(
            self._dunning_sms_opt_out_token(company, number), str(token)
        )

    def _dunning_sms_opt_out_url(self, company):
        self.ensure_one()
        number = self._dunning_sms_number()
        if not number:
            return ""
        token = self._dunning_sms_opt_out_token(company, number)
        return f"{self.get_base_url()}/dunning/sms_stop/{self.id}/{company.id}/{token}"

    def _dunning_sms_opt_out(self, company):
        """Opt out by the SMS's own link: the number goes on Odoo's phone blacklist,
        logged in the collections history. False when it was there already."""
        self.ensure_one()
        number = self._dunning_sms_number()
        if not number or self._dunning_sms_blacklisted([number]):
            return False
        reason = self.env._(
            "%(contact)s asked for no more SMS reminders at %(number)s (opt-out link).",
            contact=self.display_name,
            number=number,
        )
        # sudo: the blacklist is reserved to administrators; the caller checked the
        # signed link of this very number.
        self.env["phone.blacklist"].sudo()._add([number], message=reason)
        self.env["dunning.engine"]._log(
            {
                "company_id": company.id,
                "partner_id": self.commercial_partner_id.id,
                "contact_id": self.id,
                "channel": "note",
                "reason": reason,
            }
        )
        return True


class DunningRunLine(models.Model):
    _inherit = "dunning.run.line"

    def _dunning_step_sms(self, batch):
        """An SMS to the contact's phone, queued in Odoo's SMS queue and shown in the
        customer's chatter; no number: a failed step and the 'Fix contact' task; a
        blacklisted number (opted out): skipped, the level's other steps go on."""
        holders = {
            line.id: (
                line.contact_id if line.contact_id.phone else line.partner_id.commercial_partner_id
            )
            for line in self
        }
        numbers = {line.id: holders[line.id]._dunning_sms_number() for line in self}
        blacklisted = self.env["res.partner"]._dunning_sms_blacklisted(list(numbers.values()))
        for line in self:
            contact = line.contact_id
            customer = line.partner_id.commercial_partner_id
            phone_holder, number = holders[line.id], numbers[line.id]
            if not number:
                reason = self.env._(
                    "No phone number for %(contact)s: the SMS was not sent.",
                    contact=contact.display_name,
                )
                batch.add(line, line._log_event("sms", state="failed", reason=reason))
                line._schedule_fix_contact(reason)
                batch.mark_unreachable(line)
                continue
            if number in blacklisted:
                reason = self.env._(
                    "SMS not sent: %(number)s asked for no more SMS (phone blacklist).",
                    number=number,
                )
                batch.mark_unreachable(line, line._log_event("sms", "skipped", reason))
                continue
            event = line._log_event("sms")
            template = line.level_id.sms_template_id
            body = template._render_field("body", event.ids, compute_lang=True)[event.id]
            opt_out_url = event._get_sms_opt_out_url()
            if opt_out_url not in body:
                lang = template._render_lang(event.ids)[event.id] or self.env.lang
                body = f"{body} {event.with_context(lang=lang)._get_sms_opt_out()}"
            message = customer.message_post(
                body=body, message_type="sms", subtype_xmlid="mail.mt_note"
            )
            # sudo: sms.sms is reserved to administrators, as mail.mail is; the body is
            # the level's template rendered on records the user can read.
            self.env["sms.sms"].sudo().create(
                {
                    "number": number,
                    "body": body,
                    "partner_id": phone_holder.id,
                    "mail_message_id": message.id,
                    # Held until the contact hours open in the contact's time zone.
                    **self.env["dunning.engine"]._dunning_sms_state(
                        contact or phone_holder, line.policy_id, line.company_id
                    ),
                }
            )
            self.env["dunning.engine"]._record_outcome(
                event, {"message_id": message.id, "reason": number}
            )
            batch.add(line, event)
