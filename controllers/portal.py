from odoo import http
from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.addons.portal.controllers.portal import pager as portal_pager
from odoo.exceptions import AccessError, MissingError
from odoo.http import request

from ..models.dunning_payment_plan import PORTAL_STATES
from .portal_self_service import dunning_customer_lang


class DunningPaymentPlanPortal(CustomerPortal):
    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "payment_plan_count" in counters:
            Plan = request.env["dunning.payment.plan"]
            values["payment_plan_count"] = (
                Plan.search_count(self._get_payment_plans_domain())
                if Plan.has_access("read")
                else 0
            )
        return values

    def _get_payment_plans_domain(self):
        # Record rules restrict portal users to their own commercial partner's plans.
        return [("state", "in", PORTAL_STATES)]

    def _prepare_payment_plans_values(self, page=1):
        Plan = request.env["dunning.payment.plan"]
        domain = self._get_payment_plans_domain()
        total = Plan.search_count(domain) if Plan.has_access("read") else 0
        pager = portal_pager(
            url="/my/payment_plans", total=total, page=page, step=self._items_per_page
        )
        plans = (
            Plan.search(domain, limit=self._items_per_page, offset=pager["offset"])
            if total
            else Plan
        )
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "page_name": "payment_plan",
                "default_url": "/my/payment_plans",
                "pager": pager,
                # sudo: the plans were found with the user's access rights; sudo only
                # reads their invoices, which portal rules may not all expose.
                "plans": plans.sudo(),
            }
        )
        return values

    def _payment_plan_get_page_view_values(self, plan, access_token, **kwargs):
        values = {"page_name": "payment_plan", "plan": plan}
        return self._get_page_view_values(
            plan, access_token, values, "my_payment_plans_history", False, **kwargs
        )

    @http.route(
        ["/my/payment_plans", "/my/payment_plans/page/<int:page>"],
        type="http",
        auth="user",
        website=True,
    )
    def portal_my_payment_plans(self, page=1, **kw):
        values = self._prepare_payment_plans_values(page)
        request.session["my_payment_plans_history"] = values["plans"].ids[:100]
        return request.render("account_dunning.portal_my_payment_plans", values)

    @http.route(["/my/payment_plans/<int:plan_id>"], type="http", auth="public", website=True)
    def portal_my_payment_plan(
        self, plan_id, access_token=None, report_type=None, download=False, **kw
    ):
        try:
            plan_sudo = self._document_check_access("dunning.payment.plan", plan_id, access_token)
        except (AccessError, MissingError):
            return request.redirect("/my")
        if plan_sudo.state not in PORTAL_STATES:
            return request.redirect("/my")
        if request.env.user._is_public():
            # Opened from the link in a plan email, without logging in: the page in the
            # language of the plan's contact, as the email was (a portal user reads
            # their own language).
            lang = dunning_customer_lang(plan_sudo.contact_id, plan_sudo.company_id)
            if lang:
                plan_sudo = plan_sudo.with_context(lang=lang)
        if report_type in ("html", "pdf", "text"):
            return self._show_report(
                model=plan_sudo,
                report_type=report_type,
                report_ref="account_dunning.action_report_dunning_payment_plan",
                download=download,
            )
        values = self._payment_plan_get_page_view_values(plan_sudo, access_token, **kw)
        return request.render("account_dunning.portal_my_payment_plan", values)
