import base64

from freezegun import freeze_time
from markupsafe import Markup

from odoo.tests import tagged

from .common import DunningRunCommon

# A 1x1 PNG: a company logo of its own (Odoo shows no logo for its default one).
LOGO = base64.b64encode(
    bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360f8cf0000000301010018dd8db00000000049454e44ae426082"
    )
)


@tagged("post_install", "-at_install")
class TestEngineMail(DunningRunCommon):
    """The outgoing reminder in Odoo's mail layout; templates rendered for a batch."""

    @freeze_time("2026-03-11")
    def test_reminder_in_the_company_layout_chatter_keeps_the_body(self):
        self.company.write({"logo": LOGO, "phone": "+32 2 555 00 00"})
        self.assertFalse(self.company.uses_default_logo)
        invoice = self._dunning_invoice(100.0, "2026-03-01")
        self._run()
        mail = self._mails()
        self.assertEqual(len(mail), 1)
        email, chatter = str(mail.body_html), str(mail.mail_message_id.body)
        logo = f"/logo.png?company={self.company.id}"
        self.assertIn(logo, email)
        self.assertIn(f"<b>{self.company.name}</b>", email)
        self.assertIn("+32 2 555 00 00", email)
        self.assertIn(self.customer.name, email)  # the layout's header names the customer
        self.assertIn(invoice.name, email)
        # The body once in the email, and the chatter without the layout around it.
        self.assertEqual(email.count("Pay now"), 1)
        self.assertIn(invoice.name, chatter)
        self.assertNotIn(logo, chatter)
        self.assertNotIn("Powered by", chatter)
        self.assertNotIn("<html", chatter)
        # A short note the chatter's width shows whole, linking to the event, whose form
        # shows the message as sent.
        self.assertNotIn("<table", chatter)
        self.assertIn("$ 100.00", chatter.replace("&nbsp;", " ").replace("\xa0", " "))
        event = self.env["dunning.event"].search([("message_id", "=", mail.mail_message_id.id)])
        self.assertIn(f"/odoo/dunning.event/{event.id}", chatter)
        self.assertIn("Pay now", event.message_body)

    @freeze_time("2026-03-11")
    def test_layout_rendered_once_names_each_customer(self):
        other = self.env["res.partner"].create(
            {"name": "Beta & Sons / Retail", "is_company": True, "email": "ap@beta.example.com"}
        )
        self._dunning_invoice(100.0, "2026-03-01")
        self._dunning_invoice(300.0, "2026-03-01", partner=other)
        self._run()
        mine, theirs = str(self._mails().body_html), str(self._mails(other).body_html)
        self.assertIn(self.customer.name, mine)
        self.assertNotIn("Beta", mine)
        self.assertIn("Beta &amp; Sons - Retail", theirs)  # escaped, "/" as Odoo shows it
        self.assertNotIn("DunningRecordName", mine + theirs)
        self.assertNotIn("DunningBody", mine + theirs)

    @freeze_time("2026-03-11")
    def test_batch_render_equals_one_render_per_record(self):
        """A template compiled once for the batch renders what Odoo renders record by
        record, whatever each record sets (t-set) and in each record's language."""
        self.env["res.lang"]._activate_lang("fr_FR")
        french = self.env["res.partner"].create(
            {"name": "Camille Martin", "is_company": True, "email": "c@m.example.com",
             "lang": "fr_FR"}
        )  # fmt: skip
        self._dunning_invoice(100.0, "2026-03-01")
        self._dunning_invoice(250.0, "2026-02-20", partner=french)
        self._dunning_invoice(80.0, "2026-03-05", partner=french)
        run = self._run()
        events = run.event_ids.filtered(lambda e: e.channel == "email")
        self.assertEqual(len(events), 2)
        template = events[0].level_id.mail_template_id
        fields_ = ("subject", "body_html", "lang")
        self.env.invalidate_all()
        expected = template._generate_template(events.ids, fields_)
        self.env.invalidate_all()
        batch = template.with_context(dunning_batch_render=True)._generate_template(
            events.ids, fields_
        )
        for event in events:
            self.assertEqual(batch[event.id]["lang"], expected[event.id]["lang"])
            self.assertEqual(
                str(batch[event.id]["body_html"]).strip(),
                str(expected[event.id]["body_html"]).strip(),
            )
        self.assertNotEqual(batch[events[0].id]["body_html"], batch[events[1].id]["body_html"])


@tagged("post_install", "-at_install")
class TestEngineNotes(DunningRunCommon):
    """Invoice notes of a batch: the rows Odoo's _message_log_batch would write."""

    NOTE_FIELDS = (
        "model",
        "message_type",
        "subtype_id",
        "author_id",
        "email_from",
        "reply_to",
        "is_internal",
        "subject",
        "record_company_id",
        "email_add_signature",
    )

    @freeze_time("2026-03-11")
    def test_notes_equal_odoo_batch_log_in_one_insert(self):
        invoices = self.env["account.move"]
        for amount in (100.0, 200.0, 300.0, 400.0):
            invoices |= self._dunning_invoice(amount, "2026-03-01")
        reference = self._dunning_invoice(50.0, "2026-03-01")
        # Unsafe markup, escaped characters: stored as Odoo's sanitising stores them.
        unsafe = Markup('<p onclick="alert(1)">O\'Brien &amp; Co <script>x()</script></p>')
        plain = Markup("<p>%s</p>") % "Level 2 sent to O'Brien & Co"
        bodies = dict.fromkeys(invoices[:2].ids, unsafe) | dict.fromkeys(invoices[2:].ids, plain)
        expected = reference._message_log_batch({reference.id: unsafe})
        invoices.mapped("message_ids")  # in cache before: must be invalidated
        note_ids = self.env["dunning.engine"]._log_notes(self.env["account.move"], bodies)
        notes = self.env["mail.message"].browse(note_ids)
        self.assertEqual(notes.mapped("res_id"), invoices.ids)
        for invoice, note in zip(invoices, notes, strict=True):
            self.assertIn(note, invoice.message_ids)
            for name in self.NOTE_FIELDS:
                self.assertEqual(note[name], expected[name], name)
        # One message id for the batch, as _message_log_batch gives its notes.
        self.assertEqual(len(set(notes.mapped("message_id"))), 1)
        self.assertIn("-openerp-message-notify@", notes[0].message_id)
        for note in notes[:2]:
            self.assertEqual(note.body, expected.body)
        self.assertNotIn("script", str(notes[0].body))
        self.assertNotIn("onclick", str(notes[0].body))
        self.assertIn("Co", str(notes[0].body))
        self.assertEqual(
            str(notes[2].body),
            str(self.env["mail.message"]._fields["body"].convert_to_cache(plain, notes)),
        )
        self.assertIn("O'Brien", notes[3].body.striptags())

    @freeze_time("2026-03-11")
    def test_queries_do_not_grow_with_the_notes(self):
        invoices = self.env["account.move"]
        for amount in range(1, 31):
            invoices |= self._dunning_invoice(float(amount), "2026-03-01")
        engine = self.env["dunning.engine"]
        engine._log_notes(self.env["account.move"], dict.fromkeys(invoices[:2].ids, "<p>a</p>"))
        self.env.flush_all()  # caches warm (subtype, author)
        count = self.env.cr.sql_log_count
        engine._log_notes(self.env["account.move"], dict.fromkeys(invoices[:3].ids, "<p>a</p>"))
        self.env.flush_all()
        few = self.env.cr.sql_log_count - count
        count = self.env.cr.sql_log_count
        engine._log_notes(self.env["account.move"], dict.fromkeys(invoices.ids, "<p>b</p>"))
        self.env.flush_all()
        self.assertEqual(self.env.cr.sql_log_count - count, few)
        notes = self.env["mail.message"].search(
            [("model", "=", "account.move"), ("res_id", "in", invoices.ids)]
        )
        # Plain text is escaped, as Odoo's _message_log_batch escapes it.
        escaped = notes.filtered(lambda note: note.body == "<p>&lt;p&gt;b&lt;/p&gt;</p>")
        self.assertEqual(len(escaped), 30)
