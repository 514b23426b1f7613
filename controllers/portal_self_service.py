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

# The outcomes the page can say (?done=...): an action, or a plan waiting for approval.
DONE = ("promise", "plan", "plan_review", "dispute", "opt_out", "contact")

BASE = "/dunning/account/<int:partner_id>/<int:company_id>/<string:token>"


def dunning_customer_lang(contact, company):
    """Render this request in the language the customer reads (dunning.engine.
    _customer_lang: the contact's, else its customer's, else the company's), when it is
    installed: the self-service page and the portal plan page opened from a link.
    Returns the language code used, or None."""
    lang = request.env["dunning.engine"]._customer_lang(contact, company)
    if lang and request.env["res.lang"]._get_data(code=lang):
        request.update_context(lang=lang)
        return lang
    return None


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
        lang = dunning_customer_lang(partner, company)
        if lang:
            partner = partner.with_context(lang=lang)
        return partner

    def _dunning_render(self, partner, base_url, status=200, *, done=None, error=None, form=None):
        """The page; ``form``: the refused action and what the customer typed, shown
        again in its form with the reason."""
        values = partner._dunning_self_service_values()
        values.update(
            {
                "base_url": base_url,
                "done": done if done in DONE else None,
                "error": error,
                "form": form or {},
            }
        )
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

    def _dunning_act(self, partner_id, company_id, token, action, call, *, form=None, done=None):
        """Run one action: rate limit, savepoint, then the page with its outcome.
        ``form``: what the customer typed, shown again on a refusal; ``done``: the
        outcome of the action's result to say on the page (default: ``action``)."""
        partner = self._dunning_self_service_partner(partner_id, company_id, token)
        base_url = f"/dunning/account/{partner_id}/{company_id}/{token}"
        try:
            partner._dunning_self_service_check_rate()
        except DunningSelfServiceRateLimited as error:
            return self._dunning_render(partner, base_url, status=429, error=error.args[0])
        try:
            with request.env.cr.savepoint():
                result = call(partner)
        except DunningSelfServiceRefused as error:
            # Refused actions count toward the hourly limit too (and show in the history).
            partner._dunning_self_service_refused(action, error.args[0])
            return self._dunning_render(
                partner,
                base_url,
                status=400,
                error=error.args[0],
                form=dict(form or {}, action=action),
            )
        except (ValueError, TypeError, ArithmeticError):
            _logger.info("Self-service %s refused: malformed input", action, exc_info=True)
            error = partner.env._("Something in the form was not understood: please check it.")
            partner._dunning_self_service_refused(action, error)
            return self._dunning_render(
                partner, base_url, status=400, error=error, form=dict(form or {}, action=action)
            )
        return request.redirect(f"{base_url}?done={done(result) if done else action}")

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
            form={
                "move_ids": {int(move_id) for move_id in move_ids if str(move_id).isdigit()},
                "amount": post.get("amount"),
                "date": post.get("date"),
            },
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
            form={
                "installment_count": post.get("installment_count"),
                "first_date": post.get("first_date"),
            },
            # Agreed at once, or waiting for a collector's approval: the page says which.
            done=lambda plan: "plan" if plan.state == "active" else "plan_review",
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
            form={
                "move_id": post.get("move_id"),
                "reason_id": post.get("reason_id"),
                "message": post.get("message"),
            },
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
            form={"name": post.get("name"), "email": post.get("email"), "phone": post.get("phone")},
        )
