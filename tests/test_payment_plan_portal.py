import re
from datetime import date, timedelta

from freezegun import freeze_time

from odoo import fields
from odoo.exceptions import AccessError
from odoo.fields import Command
from odoo.tests import HttpCase, new_test_user, tagged

from .common_payment_plan import PaymentPlanCommon


class PortalPlanCommon(PaymentPlanCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.portal_partner = cls.env["res.partner"].create(
            {"name": "Pat Portal", "parent_id": cls.customer.id, "email": "pat@acme.example.com"}
        )
        cls.portal_user = new_test_user(
            cls.env,
            login="acme_portal",
            password="acme_portal_pw",
            groups="base.group_portal",
            partner_id=cls.portal_partner.id,
        )
        cls.other_invoice = cls._dunning_invoice(400.0, "2026-02-01", partner=cls.partner_a)


@tagged("post_install", "-at_install")
@freeze_time("2026-03-01")
class TestPaymentPlanPortal(PortalPlanCommon):
    def test_portal_user_sees_only_own_plans(self):
        plan = self._plan()
        other = self._plan(self.other_invoice)
        env = self.env(user=self.portal_user)
        Plan = env["dunning.payment.plan"]
        self.assertEqual(Plan.search([]), plan)
        self.assertEqual(Plan.browse(plan.id).amount_total, 1500.0)
        with self.assertRaises(AccessError):
            Plan.browse(other.id).check_access("read")
        with self.assertRaises(AccessError):
            Plan.browse(other.id).read(["name"])
        Installment = env["dunning.payment.plan.installment"]
        self.assertEqual(Installment.search([]), plan.installment_ids)
        with self.assertRaises(AccessError):
            Installment.browse(other.installment_ids[0].id).read(["amount"])
        with self.assertRaises(AccessError):
            Plan.browse(plan.id).write({"tolerance_days": 100})
        # Through its access token, the customer's contact can open the plan too.
        self.assertTrue(plan.access_token)
        self.assertIn(f"/my/payment_plans/{plan.id}?access_token=", plan.get_portal_url())

    def test_internal_user_of_another_company_sees_nothing(self):
        plan = self._plan()
        company_b = self.setup_other_company(name="Company B")["company"]
        user_b = new_test_user(
            self.env,
            login="collector_b",
            groups="account.group_account_invoice",
            company_id=company_b.id,
            company_ids=[Command.set(company_b.ids)],
        )
        Plan = self.env(user=user_b)["dunning.payment.plan"]
        self.assertFalse(Plan.search([("id", "=", plan.id)]))
        with self.assertRaises(AccessError):
            Plan.browse(plan.id).read(["name"])
        with self.assertRaises(AccessError):
            self.env(user=user_b)["dunning.payment.plan.installment"].browse(
                plan.installment_ids.ids
            ).read(["amount"])

    def test_portal_page_shows_installments_and_pay_links(self):
        plan = self._plan()
        self._dunning_pay(self.inv_old, 200.0, pay_date=date(2026, 3, 5))
        self._process("2026-03-12")
        # As the controller does: the plan checked for the user, rendered with sudo.
        env = self.env(user=self.portal_user)
        plan_sudo = env["dunning.payment.plan"].browse(plan.id).sudo()
        html = str(
            env["ir.qweb"]._render(
                "account_dunning.portal_payment_plan_content", {"plan": plan_sudo}
            )
        )
        self.assertIn(plan.name, html)
        self.assertEqual(html.count('data-state="late"'), 1)
        self.assertEqual(html.count('data-state="due"'), 2)
        self.assertIn("Late", html)
        self.assertIn("please pay by", html)
        # "Pay now" pays the installment due (300 left on the late one, all on the oldest
        # invoice), not each whole invoice (issue #9).
        self.assertEqual(html.count("o_dunning_pay_now"), 1)
        self.assertIn(self.inv_old.get_portal_url().replace("&", "&amp;"), html)
        self.assertIn("Download the agreement", html)


@tagged("post_install", "-at_install")
class TestPaymentPlanPortalHttp(PortalPlanCommon, HttpCase):
    """The real pages (run with pytest-odoo's --odoo-http)."""

    def test_portal_pages(self):
        today = fields.Date.today()
        plan = self._plan(first_date=today + timedelta(days=10))
        other = self._plan(self.other_invoice, first_date=today + timedelta(days=10))
        self.authenticate("acme_portal", "acme_portal_pw")
        page = self.url_open("/my/payment_plans")
        self.assertEqual(page.status_code, 200)
        self.assertIn(plan.name, page.text)
        self.assertNotIn(other.name, page.text)
        page = self.url_open(f"/my/payment_plans/{plan.id}")
        self.assertEqual(page.status_code, 200)
        self.assertIn("o_dunning_pay_now", page.text)
        # Another customer's plan: back to the portal home.
        page = self.url_open(f"/my/payment_plans/{other.id}")
        self.assertNotIn(other.name, page.text)
        counters = self.make_jsonrpc_request("/my/counters", {"counters": ["payment_plan_count"]})
        self.assertEqual(counters["payment_plan_count"], 1)
        # Anonymous visitor with the token (the link in the emails).
        self.logout()
        page = self.url_open(plan.get_portal_url())
        self.assertEqual(page.status_code, 200)
        self.assertIn(plan.name, page.text)

    def test_plan_page_in_the_contacts_language(self):
        self.env["res.lang"]._activate_lang("de_DE")
        self.env["ir.module.module"]._load_module_terms(
            ["account_dunning", "portal", "web"], ["de_DE"], overwrite=True
        )
        plan = self._plan(first_date=fields.Date.today() + timedelta(days=10))
        self.assertEqual(plan.contact_id, self.ap_contact)
        self.ap_contact.lang = "de_DE"
        self.env.flush_all()
        # Opened from the link in the plan emails, without logging in: German.
        page = self.url_open(plan.get_portal_url())
        self.assertEqual(page.status_code, 200)
        self.assertIn("<h5>Raten</h5>", page.text)
        self.assertIn("Noch zu zahlen", page.text)
        self.assertNotIn("<h5>Installments</h5>", page.text)
        # A portal user reads the language of their own account (Odoo's portal).
        self.authenticate("acme_portal", "acme_portal_pw")
        page = self.url_open(f"/my/payment_plans/{plan.id}")
        self.assertIn("<h5>Installments</h5>", page.text)

    def test_plan_page_fits_a_phone(self):
        plan = self._plan(first_date=fields.Date.today() + timedelta(days=10))
        self.env.flush_all()
        page = self.url_open(plan.get_portal_url())
        self.assertEqual(page.status_code, 200)
        # Each table scrolls inside its own wrapper instead of widening the page, and
        # the installments show their Status column without the "Received" one on a
        # phone (Bootstrap's sm breakpoint, 576 px).
        for table in ("o_dunning_installments", "o_dunning_invoices"):
            with self.subTest(table=table):
                self.assertRegex(
                    page.text,
                    rf'<div class="table-responsive o_dunning_table_wrap">\s*'
                    rf'<table class="table table-sm {table}">',
                )
        head = re.search(r'<table class="table table-sm o_dunning_installments">.*?</thead>',
                         page.text, re.S)[0]  # fmt: skip
        self.assertRegex(head, r'<th class="text-end d-none d-sm-table-cell">Received</th>')
        self.assertIn("<th>Status</th>", head)
        # The figures stack two by two on a phone.
        self.assertEqual(page.text.count('class="col-6 col-md-3"'), 4)


@tagged("post_install", "-at_install")
class TestPortalPagesOnAPhone(PortalPlanCommon, HttpCase):
    """The customer's pages in a browser 390 px wide (a phone): nothing wider than the
    screen, the installments' Status column in view."""

    browser_size = "390x844"

    FITS = """
        const width = document.documentElement.scrollWidth;
        const cut = [...document.querySelectorAll(%(selector)s)].filter(
            (cell) => cell.getBoundingClientRect().right > window.innerWidth
        );
        if (width > window.innerWidth) {
            console.error(`the page is ${width} px wide on a ${window.innerWidth} px screen`);
        } else if (cut.length) {
            const right = cut[0].getBoundingClientRect().right;
            console.error(`${cut.length} cells cut, the first ends at ${right} px`);
        } else {
            console.log("test successful");
        }
    """

    def _fits(self, url, selector):
        self.env.flush_all()
        code = self.FITS % {"selector": repr(selector)}
        self.browser_js(url, code, ready="document.readyState === 'complete'")

    def test_plan_page_fits_a_phone(self):
        plan = self._plan(first_date=fields.Date.today() + timedelta(days=10))
        self._fits(plan.get_portal_url(), ".o_dunning_installments th, .o_dunning_installments td")

    def test_self_service_page_fits_a_phone(self):
        url = self.ap_contact._dunning_self_service_url(self.company)
        self._fits(url[len(self.ap_contact.get_base_url()) :], ".o_dunning_item, header img")
