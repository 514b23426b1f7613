"""SMS as a step of the ladder, through Odoo's own sms module (queued sms.sms).

The whole channel is this file, plus its templates (data/dunning_sms_template_data.xml)
and two fields in the level form: a kind of step added with selection_add, the level's
flag and template, and ``_dunning_step_sms`` that the engine finds by name.
"""

import re

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import format_amount, format_date


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


class DunningRunLine(models.Model):
    _inherit = "dunning.run.line"

    def _dunning_step_sms(self, batch):
        """An SMS to the contact's phone, queued in Odoo's SMS queue and shown in the
        customer's chatter; no number: a failed step and the 'Fix contact' task."""
        for line in self:
            contact = line.contact_id
            customer = line.partner_id.commercial_partner_id
            phone_holder = contact if contact.phone else customer
            # E.164 where Odoo can format it (python phonenumbers); the digits anyway.
            number = phone_holder.phone and re.sub(
                r"[^\d+]", "", phone_holder._phone_format(fname="phone") or phone_holder.phone
            )
            if not number:
                reason = self.env._(
                    "No phone number for %(contact)s: the SMS was not sent.",
                    contact=contact.display_name,
                )
                batch.add(line, line._log_event("sms", state="failed", reason=reason))
                line._schedule_fix_contact(reason)
                batch.mark_unreachable(line)
                continue
            event = line._log_event("sms")
            template = line.level_id.sms_template_id
            body = template._render_field("body", event.ids, compute_lang=True)[event.id]
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
