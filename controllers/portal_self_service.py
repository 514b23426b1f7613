import logging

from werkzeug.exceptions import NotFound

from odoo import fields, http
from odoo.http import request

from ..models.res_partner import (
    DISPUTE_FILE_MAX_BYTES,
    DunningSelfServiceRateLimited,
    DunningSelfServiceRefused,
)

_logger = logging.getLogger(__name__)

BASE = "/dunning/account/<int:partner_id>/<int:company_id>/<string:token>"


class DunningSelfService(http.Controller):
    """The customer's self-service page, opened from the link in any reminder.

    No session is needed: the link is signed for one contact and one company (see
    res.partner._dunning_check_link_token). Every form is a POST that Odoo checks for
    its CSRF token (type="http" routes do); every action runs in a savepoint, so a
    refused one leaves nothing behind, and is counted for the hourly limit.
    """

    def _dunning_self_service_partner(self, partner_id, company_id, token):
        """The contact of a valid link, in its company's environment; 404 otherwise."""
        # sudo: the visitor has no session; nothing is read or written unless the token
        # is the signature of this very contact and company (compared in constant time).
        # Everything shown or done afterwards is limited to this contact's customer.
        partner = request.env["res.partner"].sudo().browse(partner_id).exists()
        company = request.env["res.company"].sudo().browse(company_id).exists()
        if not (
            partner
            and company
            and partner._dunning_check_link_token("self_service", company, token)
        ):
            raise NotFound()
        partner = partner.with_company(company)
        if not partner._dunning_self_service_enabled():
            raise NotFound()
        lang = partner.lang or company.partner_id.lang
        if lang and request.env["res.lang"]._get_data(code=lang):
            request.update_context(lang=lang)
            partner = partner.with_context(lang=lang)
        return partner

    def _dunning_render(self, partner, base_url, status=200, done=None, error=None):
        values = partner._dunning_self_service_values()
        values.update({"base_url": base_url, "done": done, "error": error})
        return request.render("account_dunning.portal_self_service_page", values, status=status)

    @http.route(BASE, type="http", auth="public", methods=["GET"], sitemap=False)
    def dunning_self_service(self, partner_id, company_id, token, done=None, **kwargs):
        partner = self._dunning_self_service_partner(partner_id, company_id, token)
        base_url = f"/dunning/account/{partner_id}/{company_id}/{token}"
        return self._dunning_render(partner, base_url, done=done)

    @http.route(f"{BASE}/statement", type="http", auth="public", methods=["GET"], sitemap=False)
    def dunning_self_service_statement(self, partner_id, company_id, token, **kwargs):
        partner = self._dunning_self_service_partner(partner_id, company_id, token)
        base_url = f"/dunning/account/{partner_id}/{company_id}/{token}"
        try:
            # A render costs seconds: counted with the other actions, one a day.
            partner._dunning_self_service_check_rate()
        except DunningSelfServiceRateLimited as error:
            return self._dunning_render(partner, base_url, status=429, error=error.args[0])
        pdf = partner._dunning_self_service_statement()
        return request.make_response(
            pdf,
            headers=[
                ("Content-Type", "application/pdf"),
                ("Content-Length", len(pdf)),
                ("Content-Disposition", 'inline; filename="statement.pdf"'),
            ],
        )

    def _dunning_act(self, partner_id, company_id, token, action, call):
        """Run one action: rate limit, savepoint, then the page with its outcome."""
        partner = self._dunning_self_service_partner(partner_id, company_id, token)
        base_url = f"/dunning/account/{partner_id}/{company_id}/{token}"
        try:
            partner._dunning_self_service_check_rate()
        except DunningSelfServiceRateLimited as error:
            return self._dunning_render(partner, base_url, status=429, error=error.args[0])
        try:
            with request.env.cr.savepoint():
                call(partner)
        except DunningSelfServiceRefused as error:
            # Refused actions count toward the hourly limit too (and show in the history).
            partner._dunning_self_service_refused(action, error.args[0])
            return self._dunning_render(partner, base_url, status=400, error=error.args[0])
        except (ValueError, TypeError, ArithmeticError):
            _logger.info("Self-service %s refused: malformed input", action, exc_info=True)
            error = partner.env._("Something in the form was not understood: please check it.")
            partner._dunning_self_service_refused(action, error)
            return self._dunning_render(partner, base_url, status=400, error=error)
        return request.redirect(f"{base_url}?done={action}")

    @staticmethod
    def _date(value):
        return fields.Date.to_date(value) if value else None

    @staticmethod
    def _amount(value):
        return float(str(value).replace(",", ".")) if value else 0.0

    @http.route(f"{BASE}/promise", type="http", auth="public", methods=["POST"], sitemap=False)
    def dunning_self_service_promise(self, partner_id, company_id, token, **post):
        move_ids = request.httprequest.form.getlist("move_ids")
        return self._dunning_act(
            partner_id,
            company_id,
            token,
            "promise",
            lambda partner: partner._dunning_self_service_promise(
                move_ids, self._amount(post.get("amount")), self._date(post.get("date"))
            ),
        )

    @http.route(f"{BASE}/plan", type="http", auth="public", methods=["POST"], sitemap=False)
    def dunning_self_service_plan(self, partner_id, company_id, token, **post):
        return self._dunning_act(
            partner_id,
            company_id,
            token,
            "plan",
            lambda partner: partner._dunning_self_service_plan(
                int(post.get("installment_count") or 0), self._date(post.get("first_date"))
            ),
        )

    @http.route(f"{BASE}/dispute", type="http", auth="public", methods=["POST"], sitemap=False)
    def dunning_self_service_dispute(self, partner_id, company_id, token, **post):
        upload = request.httprequest.files.get("attachment")
        filename = upload.filename if upload else None
        # One byte more than allowed is enough to refuse a file that is too large.
        data = upload.read(DISPUTE_FILE_MAX_BYTES + 1) if filename else None
        return self._dunning_act(
            partner_id,
            company_id,
            token,
            "dispute",
            lambda partner: partner._dunning_self_service_dispute(
                post.get("move_id"),
                post.get("reason_id"),
                post.get("message"),
                filename,
                data,
            ),
        )

    @http.route(f"{BASE}/opt_out", type="http", auth="public", methods=["POST"], sitemap=False)
    def dunning_self_service_opt_out(self, partner_id, company_id, token, **post):
        return self._dunning_act(
            partner_id,
            company_id,
            token,
            "opt_out",
            lambda partner: partner._dunning_self_service_opt_out(),
        )

    @http.route(f"{BASE}/contact", type="http", auth="public", methods=["POST"], sitemap=False)
    def dunning_self_service_contact(self, partner_id, company_id, token, **post):
        return self._dunning_act(
            partner_id,
            company_id,
            token,
            "contact",
            lambda partner: partner._dunning_self_service_contact(
                post.get("name"), post.get("email"), post.get("phone")
            ),
        )
