from datetime import date

from freezegun import freeze_time

from odoo.tests import tagged

from .common import DunningRunCommon

# What a customer reads in the "payment may have slipped" email (10 days late), per
# language: the subject after the company name, then sentences of the template's own
# paragraph and of the shared greeting, invoice table and footer (t-called QWeb parts).
EXPECTED_POLITE = {
    "fr_FR": (
        " : factures en attente de règlement sur votre compte",
        [
            "Bonjour Camille Martin,",
            "Sauf erreur de notre part, nos comptes ne font pas apparaître votre règlement",
            "Jours de retard",
            "Payer maintenant",
            "Si vous avez déjà effectué ce règlement, nous vous en remercions",
            "Service comptabilité clients,",
        ],
    ),
    "de_DE": (
        ": offene Rechnungen auf Ihrem Konto",
        [
            "Guten Tag Camille Martin,",
            "Laut unseren Unterlagen ist Ihre Zahlung für die unten aufgeführten Rechnungen",
            "Tage überfällig",
            "Jetzt bezahlen",
            "Falls Sie bereits bezahlt haben, danken wir Ihnen",
            "Mit freundlichen Grüßen",
        ],
    ),
    "es_ES": (
        ": facturas pendientes en su cuenta",
        [
            "Estimado/a Camille Martin,",
            "Según nuestros registros, no consta su pago de las facturas",
            "Días de retraso",
            "Pagar ahora",
            "Si ya ha realizado el pago, le rogamos que no tenga en cuenta este mensaje",
            "Atentamente,",
        ],
    ),
    "pt_BR": (
        ": faturas em aberto na sua conta",
        [
            "Prezado(a) Camille Martin,",
            "Em nossos registros não consta o seu pagamento das faturas abaixo",
            "Dias de atraso",
            "Pagar agora",
            "Se você já efetuou o pagamento, por favor desconsidere esta mensagem",
            "Atenciosamente,",
        ],
    ),
}
ENGLISH = ["If you have already paid", "Our records do not show your payment", "Days overdue"]


def _text(html):
    """The HTML with its whitespace collapsed (translations are wrapped over lines)."""
    return " ".join(str(html or "").split())


@tagged("post_install", "-at_install")
class TestDunningTranslations(DunningRunCommon):
    """Customers get their dunning emails and letters in their contact's language."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for code in EXPECTED_POLITE:
            cls.env["res.lang"]._activate_lang(code)
        # As installing a language does: the module's i18n/<lang>.po into the database
        # (mail templates, QWeb views, fields); code terms (_lt) are read from the file.
        cls.env["ir.module.module"]._load_module_terms(
            ["account_dunning"], list(EXPECTED_POLITE), overwrite=True
        )

    def _customer_speaking(self, code):
        customer = self.env["res.partner"].create(
            {"name": f"Customer {code}", "is_company": True, "email": f"{code}@example.com"}
        )
        contact = self.env["res.partner"].create(
            {
                "name": "Camille Martin",
                "parent_id": customer.id,
                "type": "invoice",
                "email": f"ap.{code}@example.com",
                "lang": code,
            }
        )
        return customer, contact

    @freeze_time("2026-03-11")
    def test_email_in_the_contact_language(self):
        customers = {code: self._customer_speaking(code) for code in EXPECTED_POLITE}
        for customer, _contact in customers.values():
            self._dunning_invoice(100.0, "2026-03-01", partner=customer)
        self._dunning_invoice(100.0, "2026-03-01")  # self.customer: English contact
        self._run()
        for code, (subject, sentences) in EXPECTED_POLITE.items():
            customer, contact = customers[code]
            with self.subTest(lang=code):
                mail = self._mails(customer)
                self.assertEqual(len(mail), 1)
                self.assertEqual(mail.recipient_ids, contact)
                self.assertEqual(mail.subject, f"{self.company.name}{subject}")
                body = _text(mail.body_html)
                for sentence in sentences:
                    self.assertIn(sentence, body)
                for english in ENGLISH:
                    self.assertNotIn(english, body)
        # English stays English.
        english = self._mails()
        self.assertEqual(english.subject, f"{self.company.name}: open invoices on your account")
        body = _text(english.body_html)
        for sentence in ENGLISH:
            self.assertIn(sentence, body)
        self.assertNotIn("Sauf erreur", body)

    @freeze_time("2026-04-01")
    def test_letter_email_and_call_script_in_french(self):
        customer, contact = self._customer_speaking("fr_FR")
        customer.with_company(self.company).dunning_collector_id = self.collector
        invoice = self._dunning_invoice(700.0, "2026-03-01", partner=customer)
        invoice.dunning_level_id = self.levels[3]
        invoice.dunning_last_date = date(2026, 3, 16)
        run = self._run()
        letter = run.event_ids.filtered(lambda e: e.channel == "letter")
        self.assertEqual(letter.level_id, self.levels[4])
        content = _text(letter.attachment_id.raw.decode())
        for sentence in (
            "Mise en demeure de payer",
            "Madame, Monsieur,",
            "Malgré nos précédentes relances, nos comptes ne font pas apparaître votre "
            "règlement des factures listées ci-dessous.",
            "Date de facture",
            "Jours de retard",
            "Si vous avez déjà effectué ce règlement, nous vous en remercions",
            "Service comptabilité clients",
        ):
            self.assertIn(sentence, content)
        self.assertIn(invoice.name, content)
        self.assertIn("BE0477472701", content)
        self.assertNotIn("Dear Sir or Madam", content)
        self.assertNotIn("our records do not show your payment", content)
        # The formal email that carries the letter says so, in French.
        mail = self._mails(customer)
        self.assertEqual(mail.subject, f"{self.company.name} : mise en demeure de payer")
        self.assertIn(letter.attachment_id, mail.attachment_ids)
        body = _text(mail.body_html)
        self.assertIn("Nous vous mettons en demeure de régler le montant dû", body)
        self.assertIn("convenir d", body)  # the payment plan offer
        # The level sends a letter: the email says it is attached, in French.
        self.assertIn("Vous trouverez notre courrier en pièce jointe.", body)
        # The collector's call script in French: template terms and talking points.
        call = run.event_ids.filtered(lambda e: e.channel == "call")
        script = _text(call.with_context(lang="fr_FR")._call_script())
        self.assertIn("Points à aborder :", script)
        self.assertIn("une mise en demeure a été envoyée", script)
        self.assertIn("jours de retard", script)
        self.assertEqual(contact.lang, "fr_FR")

    @freeze_time("2026-03-11")
    def test_every_template_renders_in_every_language(self):
        customer, contact = self._customer_speaking("fr_FR")
        self._dunning_invoice(100.0, "2026-03-01", partner=customer)
        event = self._run().event_ids.filtered(lambda e: e.channel == "email")
        templates = self.levels.mail_template_id
        self.assertEqual(len(templates), 7)

        def render(template):
            return template._generate_template(event.ids, ("subject", "body_html", "lang"))[
                event.id
            ]

        contact.lang = "en_US"
        english = {template: render(template) for template in templates}
        for rendered in english.values():
            self.assertIn("below", rendered["body_html"])  # every English paragraph says it
        for code, (_subject, sentences) in EXPECTED_POLITE.items():
            contact.lang = code
            for template in templates:
                with self.subTest(lang=code, template=template.name):
                    rendered = render(template)
                    self.assertEqual(rendered["lang"], code)
                    self.assertNotEqual(rendered["subject"], english[template]["subject"])
                    body = _text(rendered["body_html"])
                    self.assertIn(sentences[0], body)  # the shared greeting
                    self.assertIn(sentences[2], body)  # the shared invoice table
                    self.assertIn(sentences[4], body)  # the shared footer
                    # The template's own paragraphs are translated too.
                    self.assertNotIn("below", body)

    def test_default_ladder_names_in_the_installed_languages(self):
        company = self.env["res.company"].create({"name": "Nouvelle société"})
        levels = company.dunning_default_policy_id.level_ids.sorted("sequence")
        self.assertEqual(levels[0].with_context(lang="en_US").name, "Friendly heads-up")
        self.assertEqual(levels[0].with_context(lang="fr_FR").name, "Rappel amical")
        self.assertEqual(levels[3].with_context(lang="de_DE").name, "Bitte um Zahlungstermin")
        self.assertEqual(levels[6].with_context(lang="es_ES").name, "Decisión de traspaso")
        self.assertEqual(levels[1].with_context(lang="pt_BR").name, "Vence hoje")

    @freeze_time("2026-03-11")
    def test_credits_and_due_wording_in_french(self):
        customer, _contact = self._customer_speaking("fr_FR")
        self._dunning_invoice(1000.0, "2026-03-01", partner=customer)
        self._dunning_invoice(900.0, "2026-02-20", partner=customer, move_type="out_refund")
        self._run()
        body = _text(self._mails(customer).body_html)
        for sentence in (
            "Avoirs et paiements non encore imputés",
            "Avoir",
            "Avoirs déduits USD",
            "Solde net dû USD",
            "Jours de retard",
        ):
            self.assertIn(sentence, body)
        for english in ("Credit notes", "Net balance due", "Credit note"):
            self.assertNotIn(english, body)
        # Nothing overdue yet: the column says so in French too.
        later, _contact = self._customer_speaking("fr_FR")
        self._dunning_invoice(100.0, "2026-03-14", partner=later, invoice_date=date(2026, 2, 14))
        self._run()
        body = _text(self._mails(later).body_html)
        self.assertIn("Statut", body)
        self.assertNotIn("Jours de retard", body)

    def test_every_shipped_template_is_translated(self):
        """Every email and SMS template of the module, as loaded from i18n/, reads in
        each language: no template falls back to its English subject or body."""
        data = self.env["ir.model.data"].search(
            [("module", "=", "account_dunning"), ("model", "in", ("mail.template", "sms.template"))]
        )
        self.assertEqual(len(data), 24)  # 18 email and 6 SMS templates
        fields = {"mail.template": ("subject", "body_html"), "sms.template": ("body",)}
        for record in data:
            template = self.env[record.model].browse(record.res_id)
            english = template.with_context(lang="en_US")
            for code in EXPECTED_POLITE:
                translated = template.with_context(lang=code)
                for field in fields[record.model]:
                    with self.subTest(template=record.name, lang=code, field=field):
                        self.assertTrue(translated[field])
                        self.assertNotEqual(translated[field], english[field])
