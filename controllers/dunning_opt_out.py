from werkzeug.exceptions import BadRequest, NotFound

from odoo import http
from odoo.http import request


def _signed_partner(kind, partner_id, company_id, token):
    """The partner and company of a valid link of ``kind``; 404 otherwise."""
    # sudo: the visitor has no session; nothing is read or written unless the token is
    # the signature of this very partner and company as they are now (res.partner's
    # one link signer: _dunning_check_link_token, compared in constant time).
    partner = request.env["res.partner"].sudo().browse(partner_id).exists()
    company = request.env["res.company"].sudo().browse(company_id).exists()
    if not (partner and company and partner._dunning_check_link_token(kind, company, token)):
        raise NotFound()
    lang = partner.lang or company.partner_id.lang
    if lang and request.env["res.lang"]._get_data(code=lang):
        request.update_context(lang=lang)
    return partner, company


def _confirmed():
    """A POST that acts: the page's own form (its CSRF token), or a mail client's
    one-click unsubscribe (RFC 8058: the body says List-Unsubscribe=One-Click)."""
    params = request.httprequest.form
    if params.get("List-Unsubscribe") == "One-Click":
        return True
    if not request.validate_csrf(params.get("csrf_token")):
        raise BadRequest("Session expired (invalid CSRF token)")
    return True


class DunningEmailOptOut(http.Controller):
    """The opt-out link of a consumer's reminder emails (Regulation F 1006.6(e)) and its
    List-Unsubscribe header: a GET only shows what will stop (mail scanners and link
    previews open links), the button or the mail client's one-click POST stops it."""

    @http.route(
        "/dunning/email_opt_out/<int:partner_id>/<int:company_id>/<string:token>",
        type="http",
        auth="public",
        methods=["GET", "POST"],
        sitemap=False,
        csrf=False,  # checked in _confirmed: a mail client's one-click POST has none
    )
    def dunning_email_opt_out(self, partner_id, company_id, token, **kwargs):
        partner, company = _signed_partner("email_opt_out", partner_id, company_id, token)
        done = request.httprequest.method == "POST" and _confirmed()
        if done:
            partner._dunning_email_opt_out(company)
        return request.render(
            "account_dunning.dunning_email_opt_out_page",
            {"partner": partner, "company": company, "done": done},
        )


class DunningSmsOptOut(http.Controller):
    """The short link closing every reminder SMS (Odoo community receives no SMS, so no
    "reply STOP"): a GET shows the customer's open invoices to pay online and what will
    be stopped, the button (a POST with the form's CSRF token) puts the number on
    Odoo's phone blacklist. Two steps, because phones and messaging apps open links in
    SMS to preview them: a preview must not opt out. One link for both, because two
    links do not fit in one SMS."""

    @http.route(
        [
            "/dunning/sms/<int:partner_id>/<int:company_id>/<string:token>",
            # The path of the SMS sent before the page listed the invoices.
            "/dunning/sms_stop/<int:partner_id>/<int:company_id>/<string:token>",
        ],
        type="http",
        auth="public",
        methods=["GET", "POST"],
        sitemap=False,
    )
    def dunning_sms_opt_out(self, partner_id, company_id, token, **kwargs):
        partner, company = _signed_partner("sms_stop", partner_id, company_id, token)
        number = partner._dunning_sms_number()
        done = request.httprequest.method == "POST"
        if done:
            partner._dunning_sms_opt_out(company)
        return request.render(
            "account_dunning.dunning_sms_opt_out_page",
            {
                "partner": partner,
                "company": company,
                "number": number,
                "done": done,
                "invoices": [] if done else partner._dunning_sms_page_invoices(company),
            },
        )
