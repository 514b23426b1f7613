from datetime import date

from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError
from odoo.fields import Command
from odoo.tests import Form, tagged

from .common import DunningRunCommon


@tagged("post_install", "-at_install")
@freeze_time("2026-01-20 10:00:00")
class TestSendPrint(DunningRunCommon):
    """Send & Print from a customer: chosen invoices, level and channels, sent now
    through the run's engine."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.policy.attach_invoice_pdf = False
        cls.eur = cls.setup_other_currency("EUR", rates=[("2025-01-01", 2.0)])
        with freeze_time("2026-01-01"):
            # 19 days overdue, never reminded: today's run would send "May have slipped".
            cls.overdue = cls._dunning_invoice(1000.0, "2026-01-01")
            cls.foreign = cls._dunning_invoice(400.0, "2026-01-01", currency=cls.eur)
            cls.not_due = cls._dunning_invoice(300.0, "2026-02-15")
            cls.disputed = cls._dunning_invoice(200.0, "2026-01-01")
            cls.excluded = cls._dunning_invoice(150.0, "2026-01-01")
            cls.paid = cls._dunning_invoice(90.0, "2026-01-01")
        cls._dunning_pay(cls.paid, 90.0, pay_date=date(2026, 1, 5))
        cls.excluded.dunning_excluded = True
        # Disputed (and confirmed to the customer) days before the tests' day.
        with freeze_time("2026-01-10"):
            cls.env["dunning.dispute"].create(
                {
                    "partner_id": cls.customer.id,
                    "move_ids": [Command.set(cls.disputed.ids)],
                    "reason_id": cls.env.ref("account_dunning.dispute_reason_price").id,
                    "date_expected": date(2026, 2, 20),
                }
            )

    def _wizard(self, user=None, partner=None, channels=None, **values):
        partner = (partner or self.customer).with_user(user or self.collector)
        action = partner.action_dunning_send_print()
        self.assertEqual(action["res_model"], "dunning.send.wizard")
        wizard = (
            self.env["dunning.send.wizard"]
            .with_user(user or self.collector)
            .with_context(**action["context"])
            .create({})
        )
        if values:
            wizard.write(values)
        if channels:
            self._choose(wizard, **channels)
        return wizard

    @staticmethod
    def _channels(wizard):
        return {line.kind: line for line in wizard.channel_ids}

    def _choose(self, wizard, **kinds):
        """Tick or untick channels of the wizard: kind=True/False."""
        lines = self._channels(wizard)
        for kind, selected in kinds.items():
            lines[kind].selected = selected

    def _events(self, partner=None):
        return self.env["dunning.event"].search(
            [("partner_id", "=", (partner or self.customer).id), ("run_id", "!=", False)]
        )

    def test_defaults_overdue_normal_invoices_and_todays_level(self):
        wizard = self._wizard()
        self.assertEqual(wizard.partner_id, self.customer)
        self.assertEqual(wizard.move_ids, self.overdue | self.foreign)
        self.assertEqual(wizard.level_id, self.levels[2])  # +7: what today's run sends
        self.assertEqual(wizard.contact_id, self.ap_contact)
        self.assertIn("1,000.00", wizard.amount_by_currency)
        self.assertIn("400.00", wizard.amount_by_currency)  # in EUR, not converted
        # The channels are the registry's that reach the customer, the level's ticked.
        channels = self._channels(wizard)
        self.assertEqual(list(channels), ["letter", "post", "statement", "email", "sms"])
        self.assertIn("No complete postal address", channels["post"].note)
        self.assertTrue(channels["email"].selected)
        self.assertFalse(channels["letter"].selected or channels["statement"].selected)
        self.assertFalse(wizard.warning)
        # A level with a letter proposes it; SMS needs the level's template.
        wizard.level_id = self.levels[4]  # formal demand: email, call, letter
        self.assertTrue(self._channels(wizard)["letter"].selected)
        self.assertIn("No phone number", self._channels(wizard)["sms"].note)
        self.ap_contact.phone = "+32 470 12 34 56"
        wizard.level_id = self.levels[3]
        wizard.level_id = self.levels[4]
        self.assertFalse(self._channels(wizard)["sms"].note)
        self.levels[4].sms_template_id = False
        wizard.level_id = self.levels[3]
        wizard.level_id = self.levels[4]
        self.assertIn("no SMS template", self._channels(wizard)["sms"].note)

    def test_the_form_proposes_and_sends(self):
        arch = self.env.ref("account_dunning.view_partner_form_dunning").arch
        self.assertIn('name="action_dunning_send_print"', arch)
        action = self.customer.with_user(self.collector).action_dunning_send_print()
        form = Form(
            self.env["dunning.send.wizard"]
            .with_user(self.collector)
            .with_context(**action["context"])
        )
        self.assertEqual(form.level_id, self.levels[2])
        self.assertEqual(len(form.move_ids), 2)
        kinds = [line["kind"] for line in form.channel_ids._records]
        with form.channel_ids.edit(kinds.index("statement")) as line:
            line.selected = True
        form.move_ids.remove(id=self.foreign.id)
        self.assertTrue(
            form.channel_ids._records[kinds.index("statement")]["selected"],
            "changing the invoices keeps the channels",
        )
        self.assertNotIn("400.00", form.amount_by_currency)
        self.assertIn("1,000.00", form.amount_by_currency)
        wizard = form.save()
        wizard.action_send()
        mail = self._mails()
        self.assertEqual(len(mail), 1)
        self.assertIn(self.overdue.name, mail.body_html)
        self.assertNotIn(self.foreign.name, mail.body_html)
        self.assertEqual(mail.attachment_ids, self._events().attachment_id)

    def test_default_level_is_the_current_highest(self):
        self.overdue._dunning_set_level(self.levels[4], date(2026, 1, 18))
        self.assertEqual(self._wizard().level_id, self.levels[4])

    def test_send_queues_one_mail_with_the_chosen_attachments(self):
        wizard = self._wizard(channels={"letter": True, "statement": True})
        wizard.action_send()
        mail = self._mails()
        self.assertEqual(len(mail), 1)
        self.assertEqual(mail.recipient_ids, self.ap_contact)
        events = self._events()
        self.assertEqual(sorted(events.mapped("channel")), ["email", "letter", "statement"])
        self.assertEqual(set(events.mapped("state")), {"done"})
        self.assertEqual(set(events.mapped("user_id")), {self.collector})
        self.assertEqual(events.level_id, self.levels[2])
        self.assertEqual(events.run_id.partner_ids, self.customer)
        for event in events:
            self.assertEqual(event.move_ids, self.overdue | self.foreign)
        documents = events.filtered(lambda e: e.channel in ("letter", "statement")).attachment_id
        self.assertEqual(len(documents), 2)
        self.assertEqual(mail.attachment_ids, documents)
        self.assertIn(self.overdue.name, mail.body_html)
        self.assertNotIn(self.disputed.name, mail.body_html)
        # The run's bookkeeping: invoice levels and notes, no call (not chosen).
        self.assertEqual(self.overdue.dunning_level_id, self.levels[2])
        self.assertEqual(self.overdue.dunning_last_date, date(2026, 1, 20))
        self.assertFalse(self.disputed.dunning_level_id)
        self.assertIn("Letter", self.overdue.message_ids[0].body)
        self.assertFalse(self._calls())

    def test_chosen_channels_only(self):
        wizard = self._wizard(level_id=self.levels[4].id)  # email, call and letter
        self._choose(wizard, letter=False, statement=True)
        result = wizard.action_send()
        self.assertEqual(result["params"]["type"], "success")
        self.assertEqual(sorted(self._events().mapped("channel")), ["email", "statement"])
        self.assertFalse(self._calls(), "the level's call was not chosen")
        self.assertEqual(self.overdue.dunning_level_id, self.levels[4])

    def test_print_only_downloads_the_letter_and_sends_no_email(self):
        wizard = self._wizard(channels={"email": False, "letter": True})
        result = wizard.action_send()
        self.assertFalse(self._mails())
        letter = self._events().filtered(lambda e: e.channel == "letter")
        self.assertEqual(letter.state, "done")
        self.assertEqual(
            result["params"]["next"]["url"], f"/web/content/{letter.attachment_id.id}?download=true"
        )
        self.assertTrue(
            self.customer.message_ids.filtered(lambda m: letter.attachment_id in m.attachment_ids)
        )

    def test_refuses_paid_excluded_and_disputed_invoices(self):
        for invoice in (self.paid, self.excluded, self.disputed):
            wizard = self._wizard(move_ids=[Command.set((self.overdue | invoice).ids)])
            with self.assertRaises(UserError) as refused:
                wizard.action_send()
            self.assertIn(invoice.name, str(refused.exception))
        self.assertFalse(self._mails())
        self.assertFalse(self._events())
        self.assertFalse(self.overdue.dunning_level_id)

    def test_refuses_other_customers_invoices(self):
        other = self.env["res.partner"].create({"name": "Other", "email": "o@example.com"})
        with freeze_time("2026-01-01"):
            theirs = self._dunning_invoice(50.0, "2026-01-01", partner=other)
        wizard = self._wizard(move_ids=[Command.set(theirs.ids)])
        with self.assertRaises(UserError):
            wizard.action_send()
        self.assertFalse(self._mails(other))

    def test_user_without_collections_rights_cannot_use_it(self):
        clerk = self.env["res.users"].create(
            {
                "name": "Clara Clerk",
                "login": "clara",
                "group_ids": [Command.set(self.env.ref("base.group_user").ids)],
                "company_id": self.company.id,
                "company_ids": [Command.set(self.company.ids)],
            }
        )
        with self.assertRaises(AccessError):
            self.customer.with_user(clerk).action_dunning_send_print()
        with self.assertRaises(AccessError):
            self.env["dunning.send.wizard"].with_user(clerk).create(
                {"partner_id": self.customer.id, "move_ids": [Command.set(self.overdue.ids)]}
            )
        wizard = self._wizard()
        with self.assertRaises(AccessError):
            wizard.with_user(clerk).action_send()
        self.assertFalse(self._mails())

    def test_customer_without_email_gets_nothing_and_a_fix_contact_task(self):
        nomail = self.env["res.partner"].create({"name": "No Mail Ltd", "is_company": True})
        with freeze_time("2026-01-01"):
            invoice = self._dunning_invoice(700.0, "2026-01-01", partner=nomail)
        wizard = self._wizard(partner=nomail, channels={"statement": True})
        email = self._channels(wizard)["email"]
        self.assertIn("No email address", email.note)
        self.assertFalse(email.selected, "not proposed: it cannot reach the customer")
        email.selected = True  # the person insists
        result = wizard.action_send()
        self.assertEqual(result["params"]["type"], "warning")
        self.assertIn("Nothing was sent", result["params"]["message"])
        self.assertFalse(self._mails(nomail))
        self.assertFalse(self._events(nomail))
        self.assertFalse(invoice.dunning_level_id, "nothing lost: the invoice did not climb")
        tasks = self.env["mail.activity"].search(
            [("res_model", "=", "res.partner"), ("res_id", "=", nomail.id)]
        )
        self.assertEqual(len(tasks), 1)
        self.assertIn("Fix contact", tasks.summary)
        # Unticking the email prints instead.
        self._choose(wizard, email=False)
        wizard.action_send()
        self.assertEqual(self._events(nomail).mapped("channel"), ["statement"])
        self.assertEqual(invoice.dunning_level_id, self.levels[2])

    def test_opted_out_contact_is_refused_by_email(self):
        self.ap_contact.dunning_email_opt_out = True
        wizard = self._wizard()
        email = self._channels(wizard)["email"]
        self.assertIn("opted out", email.note)
        self.assertFalse(email.selected, "an opted-out channel is not proposed")
        with self.assertRaises(UserError):
            wizard.action_send()  # nothing chosen
        email.selected = True
        with self.assertRaisesRegex(UserError, "opted out"):
            wizard.action_send()
        self.assertFalse(self._mails())

    def test_a_person_overrides_the_one_message_a_day_rule(self):
        run = self._run()
        self.assertEqual(len(self._mails()), 1)
        self.assertEqual(self.overdue.dunning_level_id, self.levels[2])
        wizard = self._wizard(level_id=self.levels[3].id)
        self.assertIn("already got a message", wizard.warning)
        wizard.action_send()
        self.assertEqual(len(self._mails()), 2)
        # The level sent is the level recorded, even after today's lower step.
        self.assertEqual(self.overdue.dunning_level_id, self.levels[3])
        self.assertEqual(len(run.line_ids), 1)

    def test_contact_hours_hold_the_mail(self):
        self.policy.write({"contact_hour_start": 8.0, "contact_hour_end": 9.0})
        self._wizard().action_send()
        mail = self._mails()
        self.assertEqual(len(mail), 1)
        self.assertTrue(mail.scheduled_date, "sent outside the contact hours: held")

    def test_the_level_sent_is_the_level_recorded_and_the_ladder_goes_on_from_it(self):
        # 19 days overdue, never reminded: the person sends the formal demand (+30). The
        # invoice not yet due is paid, so that only the ladder of the sent ones shows.
        self._dunning_pay(self.not_due, 300.0, pay_date=date(2026, 1, 20))
        formal = self.levels[4]
        self._wizard(level_id=formal.id).action_send()
        self.assertEqual(self.overdue.dunning_level_id, formal)
        self.assertEqual(self.overdue.dunning_last_date, date(2026, 1, 20))
        # The next step is the ladder's after +30 (+45 on 15 February), not +30 again.
        self.assertEqual(self.overdue.dunning_next_date, date(2026, 2, 15))

        def steps(run):
            return {int(move_id) for line in run.line_ids for move_id in line.step_data or {}}

        for day in ("2026-01-21", "2026-01-31", "2026-02-14"):
            with freeze_time(day):
                self.assertNotIn(self.overdue.id, steps(self._run()), f"no step on {day}")
                self.assertEqual(self.overdue.dunning_level_id, formal)
        with freeze_time("2026-02-15"):
            run = self._run()
            self.assertIn(self.overdue.id, steps(run))
            self.assertEqual(
                self.overdue.dunning_level_id,
                self.levels[5],
                [
                    (x.state, x.skip_reason, x.step_data, x.level_id.name, x.note)
                    for x in run.line_ids
                ],
            )

    # ---------------------------------------------------------------- the message

    def test_the_message_is_rendered_in_the_contact_language_and_sent_as_edited(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["ir.module.module"]._load_module_terms(
            ["account_dunning"], ["fr_FR"], overwrite=True
        )
        self.ap_contact.write({"lang": "fr_FR", "phone": "+33 6 12 34 56 78"})
        self.levels[2].send_sms = True
        self.levels[2].sms_template_id.with_context(lang="fr_FR").body = (
            "{{ object.company_id.name }} : règlement de {{ object._get_sms_amount() }} "
            "en attente. Payer ou ne plus recevoir ces SMS : {{ object._get_sms_opt_out_url() }}"
        )
        wizard = self._wizard()
        self.assertEqual(wizard.message_lang, "fr_FR")
        self.assertIn("factures en attente de règlement", wizard.mail_subject)  # i18n/fr.po
        self.assertIn(self.overdue.name, wizard.mail_body)
        self.assertIn("en attente. Payer", wizard.sms_body)
        self.assertIn("1 SMS", wizard.sms_length)
        self.assertTrue(self._channels(wizard)["sms"].selected)
        wizard.write(
            {
                "mail_subject": "Votre compte chez nous",
                "mail_body": "<p>Bonjour Paula, un mot personnel.</p>",
                "sms_body": "Bonjour Paula, un SMS personnel.",
            }
        )
        result = wizard.action_send()
        mail = self._mails()
        self.assertEqual(len(mail), 1)
        self.assertEqual(mail.subject, "Votre compte chez nous")
        self.assertIn("un mot personnel", mail.body_html)
        self.assertNotIn(self.overdue.name, mail.body_html, "the edited text, not the template")
        events = self._events()
        email = events.filtered(lambda event: event.channel == "email")
        self.assertIn("un mot personnel", email.message_body, "what the history records")
        sms = events.filtered(lambda event: event.channel == "sms")
        self.assertEqual(sms.state, "done")
        self.assertTrue(sms.message_id.body)
        self.assertIn("un SMS personnel", str(sms.message_id.body))
        # The stop link goes with every SMS, also an edited one.
        self.assertIn(sms._get_sms_opt_out_url(), str(sms.message_id.body))
        # The confirmation says what went to whom, by which channels.
        self.assertEqual(result["params"]["type"], "success")
        message = result["params"]["message"]
        self.assertIn("Paula Payables (payables@acme.example.com, +33 6 12 34 56 78)", message)
        self.assertIn("Email, SMS", message)

    def test_an_unedited_message_is_the_one_the_run_renders(self):
        wizard = self._wizard()
        subject, body = wizard.mail_subject, wizard.mail_body
        self.assertTrue(subject)
        self.assertTrue(wizard.sms_body, "offered: the level has an SMS template")
        wizard.action_send()
        mail = self._mails()
        self.assertEqual(mail.subject, subject)
        self.assertIn(self.overdue.name, mail.body_html)
        self.assertIn(self.foreign.name, body)
        # Changing the invoices renders the message again.
        wizard = self._wizard(move_ids=[Command.set(self.overdue.ids)])
        self.assertNotIn(self.foreign.name, wizard.mail_body)

    def test_a_blacklisted_number_is_not_proposed_and_says_why(self):
        self.ap_contact.phone = "+32 470 12 34 56"
        self.env["phone.blacklist"].sudo()._add(["+32470123456"])
        self.levels[2].send_sms = True
        wizard = self._wizard()
        sms = self._channels(wizard)["sms"]
        self.assertFalse(sms.selected, "a blacklisted number is not proposed")
        self.assertIn("asked for no more SMS", sms.note)

    # ------------------------------------------------------- several customers

    def test_send_reminders_to_a_selection_of_customers(self):
        Partner = self.env["res.partner"]
        beta = Partner.create({"name": "Beta Ltd", "is_company": True, "email": "ap@beta.example"})
        gamma = Partner.create(
            {"name": "Gamma Ltd", "is_company": True, "email": "ap@gamma.example"}
        )
        with freeze_time("2026-01-01"):
            self._dunning_invoice(500.0, "2026-01-01", partner=beta)
            self._dunning_invoice(250.0, "2026-01-01", partner=gamma)
        gamma.with_company(self.company).write(
            {"dunning_excluded": True, "dunning_exclusion_reason": "Key account"}
        )
        binding = self.env.ref("account_dunning.action_dunning_send_reminders")
        self.assertEqual(binding.binding_model_id.model, "res.partner")
        selection = self.customer | beta | gamma
        action = selection.with_user(self.collector).action_dunning_send_print()
        self.assertEqual(action["res_model"], "dunning.send.wizard")
        self.assertEqual(sorted(action["context"]["default_partner_ids"]), sorted(selection.ids))
        Wizard = self.env["dunning.send.wizard"]
        wizard = Wizard.with_user(self.collector).with_context(**action["context"]).create({})
        # Several customers at once are a manager's (as "Send reminder now"): said in the
        # form, refused on sending.
        self.assertIn("Only a collections manager", wizard.warning)
        with self.assertRaises(AccessError):
            wizard.action_send()
        self.assertFalse(self._mails() | self._mails(beta))
        manager = self._dunning_user(
            "mona", "account.group_account_invoice,account_dunning.group_dunning_manager"
        )
        wizard = Wizard.with_user(manager).with_context(**action["context"]).create({})
        self.assertFalse(wizard.warning)
        self.assertIn("Beta Ltd: May have slipped", wizard.summary)
        self.assertIn("Gamma Ltd: not sent", wizard.summary)
        self.assertIn("Key account", wizard.summary)
        result = wizard.action_send()
        self.assertEqual(len(self._mails()), 1)
        self.assertEqual(len(self._mails(beta)), 1)
        self.assertFalse(self._mails(gamma))
        self.assertEqual(self._events().run_id, self._events(beta).run_id, "one run for all")
        message = result["params"]["message"]
        self.assertEqual(result["params"]["type"], "warning", "one customer was not sent to")
        self.assertIn(
            "Beta Ltd: May have slipped sent to Beta Ltd (ap@beta.example) by Email", message
        )
        self.assertIn("Gamma Ltd: not sent", message)
