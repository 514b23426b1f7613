import base64
import re
from datetime import timedelta

from odoo import fields
from odoo.tests import HttpCase, tagged
from odoo.tools import file_open

from .common_payment_plan import PaymentPlanCommon

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@tagged("post_install", "-at_install")
class TestSelfServicePortal(PaymentPlanCommon, HttpCase):
    """The customer's self-service page over HTTP: each action with the customer's own
    link, with another customer's, without CSRF token, past the hourly limit."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_invoice = cls._dunning_invoice(400.0, "2026-02-01", partner=cls.partner_a)
        cls.other_contact = cls.partner_a
        cls.reason = cls.env["dunning.dispute.reason"].search([], limit=1)
        cls.today = fields.Date.today()

    def url_open(self, *args, **kwargs):
        # The server reads the database: what the test wrote in the cache goes there first.
        self.env.flush_all()
        return super().url_open(*args, **kwargs)

    def _path(self, contact=None, company=None):
        contact = contact or self.ap_contact
        url = contact._dunning_self_service_url(company or self.company)
        return url[len(contact.get_base_url()) :]

    def _csrf(self, path=None):
        page = self.url_open(path or self._path())
        self.assertEqual(page.status_code, 200)
        return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)

    def _post(self, action, data, path=None, files=None, csrf=True):
        path = path or self._path()
        data = dict(data)
        if csrf:
            data["csrf_token"] = self._csrf(self._path())
        return self.url_open(f"{path}/{action}", data=data, files=files)

    def _events(self, customer=None):
        return self.env["dunning.event"].search(
            [("partner_id", "=", (customer or self.customer).id), ("channel", "=", "portal")]
        )

    def _activities(self, record):
        return self.env["mail.activity"].search(
            [("res_model", "=", record._name), ("res_id", "=", record.id)]
        )

    # ------------------------------------------------------------------ page

    def test_page_shows_only_the_customers_account(self):
        page = self.url_open(self._path())
        self.assertEqual(page.status_code, 200)
        self.assertIn(self.inv_old.name, page.text)
        self.assertIn(self.inv_new.name, page.text)
        self.assertNotIn(self.other_invoice.name, page.text)
        self.assertEqual(page.text.count("o_dunning_pay_now"), 2)
        self.assertIn(self.inv_old.get_portal_url().replace("&", "&amp;"), page.text)
        # The net balance of the currency, 1000 + 500.
        self.assertIn("1,500.00", page.text)
        statement = self.url_open(f"{self._path()}/statement")
        self.assertEqual(statement.status_code, 200)
        self.assertIn(self.customer.name.encode(), statement.content)
        self.assertNotIn(self.partner_a.name.encode(), statement.content)

    def test_link_in_the_reminder(self):
        event = self.env["dunning.engine"]._log(
            {
                "company_id": self.company.id,
                "partner_id": self.customer.id,
                "contact_id": self.ap_contact.id,
                "channel": "note",
            }
        )
        url = event._get_self_service_url()
        self.assertEqual(url, self.ap_contact._dunning_self_service_url(self.company))
        template = self.levels[2].mail_template_id
        body = template._generate_template(event.ids, ("body_html",))[event.id]["body_html"]
        self.assertIn(url, body)
        self.policy.portal_self_service = False
        self.assertEqual(event._get_self_service_url(), "")
        self.assertEqual(self.url_open(self._path()).status_code, 404)

    def test_foreign_or_forged_token_opens_nothing(self):
        good = self._path()
        foreign = self._path(self.other_contact)
        token = good.rsplit("/", 1)[1]
        foreign_token = foreign.rsplit("/", 1)[1]
        other_company = self.setup_other_company(name="Company B")["company"]
        for path in (
            f"/dunning/account/{self.other_contact.id}/{self.company.id}/{token}",
            f"/dunning/account/{self.ap_contact.id}/{self.company.id}/{foreign_token}",
            f"/dunning/account/{self.ap_contact.id}/{self.company.id}/{'0' * 64}",
            f"/dunning/account/{self.ap_contact.id}/{other_company.id}/{token}",
        ):
            with self.subTest(path=path):
                page = self.url_open(path)
                self.assertEqual(page.status_code, 404)
                self.assertNotIn(self.inv_old.name, page.text)
                self.assertNotIn(self.other_invoice.name, page.text)
                self.assertEqual(self.url_open(f"{path}/statement").status_code, 404)
        # Actions with another customer's token on our customer: refused, nothing made.
        forged = f"/dunning/account/{self.ap_contact.id}/{self.company.id}/{foreign_token}"
        date = fields.Date.to_string(self.today + timedelta(days=10))
        actions = {
            "promise": {"move_ids": self.inv_old.id, "amount": "1000", "date": date},
            "plan": {"installment_count": "3", "first_date": date},
            "dispute": {"move_id": self.inv_old.id, "reason_id": self.reason.id, "message": "x"},
            "contact": {"name": "Eve", "email": "eve@example.com"},
            "opt_out": {},
        }
        for action, data in actions.items():
            with self.subTest(action=action):
                self.assertEqual(self._post(action, data, path=forged).status_code, 404)
        # The other customer's own invoice through our link: not found among ours.
        response = self._post(
            "promise", {"move_ids": self.other_invoice.id, "amount": "400", "date": date}
        )
        self.assertEqual(response.status_code, 400)
        self.env.invalidate_all()
        self.assertFalse(self.env["dunning.promise"].search([]))
        self.assertFalse(self.env["dunning.dispute"].search([]))
        self.assertFalse(self.env["dunning.payment.plan"].search([]))
        # Only the refusal on our link, in our customer's history (and its hourly count).
        self.assertEqual(self._events().mapped("state"), ["skipped"])
        self.assertFalse(self._events(self.partner_a))
        stages = (self.invoices | self.other_invoice).mapped("dunning_stage")
        self.assertEqual(stages, ["normal"] * 3)

    def test_missing_csrf_token_is_refused(self):
        date = fields.Date.to_string(self.today + timedelta(days=10))
        with self.assertLogs("odoo.http", "WARNING"):
            response = self._post(
                "promise",
                {"move_ids": self.inv_old.id, "amount": "1000", "date": date},
                csrf=False,
            )
        self.assertEqual(response.status_code, 400)
        self.env.invalidate_all()
        self.assertFalse(self.env["dunning.promise"].search([]))
        self.assertFalse(self._events())

    # --------------------------------------------------------------- promise

    def test_promise_within_limits(self):
        date = self.today + timedelta(days=20)
        response = self._post(
            "promise",
            {"move_ids": self.inv_old.id, "amount": "600", "date": fields.Date.to_string(date)},
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn("o_dunning_self_service_done", response.text)
        self.env.invalidate_all()
        promise = self.env["dunning.promise"].search([("partner_id", "=", self.customer.id)])
        self.assertEqual(len(promise), 1)
        self.assertEqual(promise.move_ids, self.inv_old)
        self.assertEqual(promise.amount, 600.0)
        self.assertEqual(promise.date_promised, date)
        self.assertEqual(promise.state, "open")
        self.assertEqual(promise.user_id, self.collector)
        self.assertEqual(self.inv_old.dunning_stage, "promised")
        self.assertEqual(self.inv_new.dunning_stage, "normal")
        # The collector is told.
        activity = self._activities(promise)
        self.assertEqual(activity.user_id, self.collector)
        # Opened, recorded as the customer's online answer, confirmed to them by email.
        self.assertEqual(
            sorted(promise.event_ids.mapped("channel")), ["email", "portal", "promise"]
        )
        event = self._events()
        self.assertEqual(len(event), 1)
        self.assertEqual(event.contact_id, self.ap_contact)
        self.assertEqual(event.promise_id, promise)

    def test_promise_outside_limits_is_refused(self):
        too_late = self.today + timedelta(days=self.policy.portal_promise_max_days + 1)
        in_time = self.today + timedelta(days=5)
        cases = [
            ({"amount": "1000", "date": fields.Date.to_string(too_late)}, "Choose a payment date"),
            ({"amount": "400", "date": fields.Date.to_string(in_time)}, "Promise an amount from"),
            ({"amount": "1000.01", "date": fields.Date.to_string(in_time)}, "Promise an amount"),
            ({"amount": "1000", "date": "2020-01-01"}, "Choose a payment date"),
        ]
        for data, message in cases:
            with self.subTest(data=data):
                response = self._post("promise", {"move_ids": self.inv_old.id, **data})
                self.assertEqual(response.status_code, 400)
                self.assertIn("o_dunning_self_service_error", response.text)
                self.assertIn(message, response.text)
        self.env.invalidate_all()
        self.assertFalse(self.env["dunning.promise"].search([]))
        # Each refusal is in the history (skipped) and counts toward the hourly limit.
        refused = self._events()
        self.assertEqual(len(refused), len(cases))
        self.assertEqual(set(refused.mapped("state")), {"skipped"})
        self.assertTrue(
            all(r.startswith("Refused online (promise):") for r in refused.mapped("reason"))
        )
        self.assertEqual(self.inv_old.dunning_stage, "normal")

    def test_promises_online_renewed_once_then_the_collector_decides(self):
        self.policy.portal_promise_renewals = 1
        statuses = []
        for days in (10, 12, 14, 16):
            date = fields.Date.to_string(self.today + timedelta(days=days))
            response = self._post(
                "promise", {"move_ids": self.inv_old.id, "amount": "1000", "date": date}
            )
            statuses.append(response.status_code)
        # The promise, one renewal; then the page asks to answer our email.
        self.assertEqual(statuses, [200, 200, 400, 400])
        self.assertIn("already promised to pay these invoices online", response.text)
        self.env.invalidate_all()
        promises = self.env["dunning.promise"].search([("partner_id", "=", self.customer.id)])
        self.assertEqual(len(promises), 2)

    def test_non_finite_amount_is_a_clear_refusal(self):
        date = fields.Date.to_string(self.today + timedelta(days=10))
        for amount in ("inf", "nan", "1e308"):
            with self.subTest(amount=amount):
                response = self._post(
                    "promise", {"move_ids": self.inv_old.id, "amount": amount, "date": date}
                )
                self.assertEqual(response.status_code, 400)

    def test_refused_actions_count_toward_the_limit(self):
        self.policy.portal_max_actions_per_hour = 2
        for _attempt in range(2):
            self.assertEqual(self._post("promise", {"amount": "1"}).status_code, 400)
        date = fields.Date.to_string(self.today + timedelta(days=10))
        response = self._post(
            "promise", {"move_ids": self.inv_old.id, "amount": "1000", "date": date}
        )
        self.assertEqual(response.status_code, 429)

    def test_statement_rendered_once_a_day(self):
        Attachment = self.env["ir.attachment"]
        domain = [("res_model", "=", "res.partner"), ("res_id", "=", self.customer.id)]
        before = Attachment.search_count(domain)
        for _view in range(3):
            response = self.url_open(f"{self._path()}/statement")
            self.assertEqual(response.status_code, 200)
            self.assertIn(self.customer.name.encode(), response.content)
        self.assertEqual(Attachment.search_count(domain), before + 1)

    def test_statement_is_refused_past_the_hourly_limit(self):
        self.policy.portal_max_actions_per_hour = 1
        self.assertEqual(
            self._post("contact", {"name": "One", "email": "x@acme.example.com"}).status_code, 200
        )
        response = self.url_open(f"{self._path()}/statement")
        self.assertEqual(response.status_code, 429)
        self.assertNotIn(b"%PDF", response.content[:8])

    # ------------------------------------------------------------------ link

    def test_link_stops_when_the_contact_changes(self):
        path = self._path()
        self.assertEqual(self.url_open(path).status_code, 200)
        # Another address: the link sent to the old one opens nothing.
        self.ap_contact.email = "new-payables@acme.example.com"
        self.assertEqual(self.url_open(path).status_code, 404)
        renewed = self._path()
        self.assertEqual(self.url_open(renewed).status_code, 200)
        # Moved under another customer: neither account opens.
        self.ap_contact.parent_id = self.partner_a
        page = self.url_open(renewed)
        self.assertEqual(page.status_code, 404)
        self.assertNotIn(self.other_invoice.name, page.text)
        # Back, but archived: nothing either.
        self.ap_contact.parent_id = self.customer
        self.assertEqual(self.url_open(renewed).status_code, 200)
        self.ap_contact.active = False
        self.assertEqual(self.url_open(renewed).status_code, 404)

    def test_link_expires_and_its_date_cannot_be_changed(self):
        self.policy.portal_link_days = 10
        path = self._path()
        prefix, token = path.rsplit("/", 1)
        stamp, signature = token.split(".", 1)
        self.assertEqual(stamp, f"{self.today + timedelta(days=10):%Y%m%d}")
        self.assertEqual(self.url_open(path).status_code, 200)
        company = self.company
        for expires, status in ((self.today, 200), (self.today - timedelta(days=1), 404)):
            token = self.ap_contact._dunning_link_token("self_service", company, expires)
            self.assertEqual(self.url_open(f"{prefix}/{token}").status_code, status, expires)
        for forged in (
            signature,  # no expiry at all
            f"{self.today + timedelta(days=400):%Y%m%d}.{signature}",  # a later date
        ):
            self.assertEqual(self.url_open(f"{prefix}/{forged}").status_code, 404, forged)

    # ------------------------------------------------------------------ plan

    def test_plan_within_limits_is_agreed_and_the_agreement_queued(self):
        first = self.today + timedelta(days=10)
        response = self._post(
            "plan", {"installment_count": "3", "first_date": fields.Date.to_string(first)}
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn('data-done="plan"', response.text)
        self.assertIn("your payment plan is agreed", response.text)
        self.env.invalidate_all()
        plan = self.env["dunning.payment.plan"].search([("partner_id", "=", self.customer.id)])
        self.assertEqual(len(plan), 1)
        self.assertEqual(plan.state, "active")
        self.assertEqual(plan.user_id, self.collector, "the customer's collector follows it")
        # The page leads to the plan instead of offering another one.
        self.assertIn("o_dunning_plan_active", response.text)
        self.assertIn(plan.get_portal_url().replace("&", "&amp;"), response.text)
        self.assertNotIn('o_dunning_plan"', response.text)
        self.assertEqual(plan.move_ids, self.invoices)
        self.assertEqual(plan.installment_ids.mapped("amount"), [500.0, 500.0, 500.0])
        self.assertEqual(min(plan.installment_ids.mapped("date_due")), first)
        self.assertEqual(set(self.invoices.mapped("dunning_stage")), {"plan"})
        agreement = self.env["mail.mail"].search(
            [("model", "=", "dunning.payment.plan"), ("res_id", "=", plan.id)]
        )
        self.assertEqual(len(agreement), 1)
        self.assertIn(plan.name, agreement.subject)
        self.assertIn(self.ap_contact, agreement.recipient_ids)
        self.assertEqual(self._events().payment_plan_id, plan)
        self.assertFalse(self._activities(self.customer))

    def test_plan_outside_limits_waits_for_the_collector(self):
        first = fields.Date.to_string(self.today + timedelta(days=10))
        cases = [
            {"installment_count": "12"},  # beyond 6 months
            {"installment_count": "3", "_min": 600.0},  # installments of 500 < 600
            {"installment_count": "3", "_max": 1000.0},  # balance 1500 > 1000
        ]
        for case in cases:
            with self.subTest(case=case):
                self.policy.write(
                    {
                        "portal_plan_min_installment": case.get("_min", 50.0),
                        "portal_plan_max_balance": case.get("_max", 10000.0),
                    }
                )
                response = self._post(
                    "plan", {"installment_count": case["installment_count"], "first_date": first}
                )
                self.assertEqual(response.status_code, 200)
                # The page says what happened: a review, not "if it was agreed at once".
                self.assertIn('data-done="plan_review"', response.text)
                self.assertIn("will review it", response.text)
                self.assertNotIn("If it was agreed at once", response.text)
                self.assertIn("o_dunning_plan_pending", response.text)
                self.assertNotIn('o_dunning_plan"', response.text)  # no second request
                self.env.invalidate_all()
                plan = self.env["dunning.payment.plan"].search(
                    [("partner_id", "=", self.customer.id), ("state", "=", "pending")]
                )
                self.assertEqual(len(plan), 1)
                self.assertEqual(plan.activity_ids.user_id, self.collector)
                self.assertEqual(plan.user_id, self.collector, "not the public user")
                self.assertIn("approve", plan.activity_ids.summary)
                # Held while pending: the ladder does not chase the invoices.
                self.assertEqual(set(self.invoices.mapped("dunning_stage")), {"plan"})
                # A second request meanwhile is refused, the form kept.
                again = self._post("plan", {"installment_count": "4", "first_date": first})
                self.assertEqual(again.status_code, 400)
                self.assertIn("already have a payment plan", again.text)
                plan.with_user(self.collector).action_reject()
                self.assertEqual(set(self.invoices.mapped("dunning_stage")), {"normal"})
        self.assertEqual(
            self.env["dunning.payment.plan"].search([]).mapped("state"), ["cancelled"] * 3
        )

    def test_refused_forms_keep_what_the_customer_typed(self):
        date = fields.Date.to_string(self.today + timedelta(days=5))
        response = self._post(
            "promise", {"move_ids": self.inv_old.id, "amount": "400", "date": date}
        )
        self.assertEqual(response.status_code, 400)
        form = re.search(
            r"<details[^>]*o_dunning_promise[^>]*>(.*?)</details>", response.text, re.S
        )
        self.assertIn(" open", re.search(r"<details[^>]*o_dunning_promise[^>]*>", response.text)[0])
        self.assertIn("Promise an amount from", form[1])  # the reason, in the form
        self.assertIn('value="400"', form[1])
        self.assertIn(f'value="{date}"', form[1])
        # Only the invoice the customer ticked stays ticked.
        ticked = re.findall(r'<input[^>]*name="move_ids"[^>]*>', form[1])
        self.assertEqual(len(ticked), 2)
        checked = [tag for tag in ticked if "checked" in tag]
        self.assertEqual(len(checked), 1)
        self.assertIn(f'value="{self.inv_old.id}"', checked[0])
        # The other forms stay closed and empty.
        plan_form = re.search(r"<details[^>]*o_dunning_plan[^>]*>", response.text)[0]
        self.assertNotIn(" open", plan_form)
        # A refused dispute keeps its message and choices.
        response = self._post(
            "dispute",
            {"move_id": self.inv_new.id, "reason_id": self.reason.id, "message": "Not mine"},
            files={"attachment": ("a.pdf", b"MZ not a pdf", "application/pdf")},
        )
        self.assertEqual(response.status_code, 400)
        form = re.search(
            r"<details[^>]*o_dunning_dispute[^>]*>(.*?)</details>", response.text, re.S
        )
        self.assertIn(">Not mine</textarea>", form[1])
        self.assertRegex(form[1], rf'value="{self.inv_new.id}"\s+selected="selected"')

    def test_page_has_the_company_header(self):
        with file_open("base/static/img/res_company_logo.png", "rb") as logo:
            self.company.logo = base64.b64encode(logo.read())
        page = self.url_open(self._path())
        self.assertEqual(page.status_code, 200)
        header = re.search(
            r"<header[^>]*o_dunning_self_service_header.*?</header>", page.text, re.S
        )
        self.assertIn(f"/logo.png?company={self.company.id}", header[0])
        self.assertIn(self.company.name, header[0])
        logo = self.url_open(f"/logo.png?company={self.company.id}")
        self.assertEqual(logo.status_code, 200)
        self.assertEqual(logo.headers["Content-Type"], "image/png")

    def test_page_in_the_contacts_language(self):
        self.env["res.lang"]._activate_lang("de_DE")
        self.env["ir.module.module"]._load_module_terms(
            ["account_dunning", "portal", "web"], ["de_DE"], overwrite=True
        )
        self.ap_contact.lang = "de_DE"
        page = self.url_open(self._path())
        self.assertEqual(page.status_code, 200)
        self.assertIn("Kontoauszug (PDF)", page.text)
        self.assertNotIn("Statement (PDF)", page.text)

    # --------------------------------------------------------------- dispute

    def test_dispute_with_a_file(self):
        response = self._post(
            "dispute",
            {"move_id": self.inv_new.id, "reason_id": self.reason.id, "message": "Not delivered"},
            files={"attachment": ("proof.pdf", PDF, "application/pdf")},
        )
        self.assertEqual(response.status_code, 200)
        self.env.invalidate_all()
        dispute = self.env["dunning.dispute"].search([("partner_id", "=", self.customer.id)])
        self.assertEqual(len(dispute), 1)
        self.assertEqual(dispute.move_ids, self.inv_new)
        self.assertEqual(dispute.reason_id, self.reason)
        self.assertIn("Not delivered", dispute.note)
        self.assertEqual(dispute.user_id, self.collector)
        self.assertEqual(self.inv_new.dunning_stage, "dispute")
        self.assertEqual(self.inv_old.dunning_stage, "normal")
        attachment = self.env["ir.attachment"].search(
            [("res_model", "=", "dunning.dispute"), ("res_id", "=", dispute.id)]
        )
        self.assertEqual(attachment.name, f"dispute-{dispute.id}.pdf")
        self.assertEqual(attachment.description, "proof.pdf")  # as uploaded, for staff
        self.assertEqual(attachment.raw, PDF)
        self.assertEqual(attachment.mimetype, "application/pdf")
        self.assertEqual(self._events().dispute_id, dispute)
        self.assertEqual(self._activities(dispute).user_id, self.collector)

    def test_dispute_with_a_wrong_file_is_refused(self):
        response = self._post(
            "dispute",
            {"move_id": self.inv_new.id, "reason_id": self.reason.id, "message": "Not delivered"},
            files={"attachment": ("proof.pdf", b"MZ\x90\x00 not a pdf", "application/pdf")},
        )
        self.assertEqual(response.status_code, 400)
        self.assertIn("Attach a PDF, PNG or JPEG file.", response.text)
        self.env.invalidate_all()
        self.assertFalse(self.env["dunning.dispute"].search([]))
        self.assertEqual(self.inv_new.dunning_stage, "normal")
        self.assertEqual(self._events().mapped("state"), ["skipped"])  # refused, counted

    def test_dispute_file_named_and_typed_by_its_content(self):
        response = self._post(
            "dispute",
            {"move_id": self.inv_new.id, "reason_id": self.reason.id, "message": "See file"},
            files={"attachment": ("invoice.hta", PDF, "application/hta")},
        )
        self.assertEqual(response.status_code, 200)
        self.env.invalidate_all()
        dispute = self.env["dunning.dispute"].search([("partner_id", "=", self.customer.id)])
        attachment = self.env["ir.attachment"].search(
            [("res_model", "=", "dunning.dispute"), ("res_id", "=", dispute.id)]
        )
        self.assertEqual(
            (attachment.name, attachment.mimetype), (f"dispute-{dispute.id}.pdf", "application/pdf")
        )

    # ------------------------------------------------- opt-out and contact

    def test_consumer_opts_out(self):
        consumer = self.env["res.partner"].create(
            {"name": "Carl Consumer", "email": "carl@example.com"}
        )
        self.assertTrue(consumer.dunning_is_consumer)
        self._dunning_invoice(80.0, "2026-02-01", partner=consumer)
        path = self._path(consumer)
        self.assertIn("o_dunning_opt_out", self.url_open(path).text)
        self.assertEqual(self._post("opt_out", {}, path=path).status_code, 200)
        self.env.invalidate_all()
        self.assertTrue(consumer.dunning_email_opt_out)
        self.assertEqual(len(self._events(consumer)), 1)
        # A business's contact cannot: its reminders go to its payables contact.
        self.assertEqual(self._post("opt_out", {}).status_code, 400)
        self.env.invalidate_all()
        self.assertFalse(self.ap_contact.dunning_email_opt_out)

    def test_business_proposes_a_payables_contact(self):
        response = self._post(
            "contact", {"name": "Nina New", "email": "nina@acme.example.com", "phone": "+32 2"}
        )
        self.assertEqual(response.status_code, 200)
        self.env.invalidate_all()
        activity = self._activities(self.customer)
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.collector)
        self.assertIn("nina@acme.example.com", activity.note)
        # Pending the collector's review: nothing changed on the customer.
        self.assertFalse(self.customer.dunning_contact_id)
        self.assertFalse(self.customer.child_ids.filtered(lambda c: c.name == "Nina New"))
        self.assertIn("nina@acme.example.com", self._events().reason)
        response = self._post("contact", {"name": "<b>X</b>", "email": "not an email"})
        self.assertEqual(response.status_code, 400)
        self.assertIn("valid email address", response.text)

    # ------------------------------------------------------------ rate limit

    def test_rate_limit(self):
        self.policy.portal_max_actions_per_hour = 2
        for name in ("One", "Two"):
            response = self._post("contact", {"name": name, "email": "one@acme.example.com"})
            self.assertEqual(response.status_code, 200)
        date = fields.Date.to_string(self.today + timedelta(days=10))
        response = self._post(
            "promise", {"move_ids": self.inv_old.id, "amount": "1000", "date": date}
        )
        self.assertEqual(response.status_code, 429)
        self.assertIn("in the last hour", response.text)
        self.env.invalidate_all()
        self.assertFalse(self.env["dunning.promise"].search([]))
        self.assertEqual(self.inv_old.dunning_stage, "normal")
        self.assertEqual(len(self._events()), 2)
        self.assertEqual(len(self._activities(self.customer)), 2)
