from werkzeug.exceptions import NotFound

from odoo import http
from odoo.http import request


class DunningEmailOptOut(http.Controller):
    """The one-click link at the bottom of a consumer's reminder emails (Regulation F
    1006.6(e)): stops the reminder emails of that person, as Odoo's own unsubscribe
    links do (/mail/unfollow): a GET signed by a per-partner HMAC, no session needed."""

    @http.route(
        "/dunning/email_opt_out/<int:partner_id>/<int:company_id>/<string:token>",
        type="http",
        auth="public",
        methods=["GET"],
        sitemap=False,
    )
    def dunning_email_opt_out(self, partner_id, company_id, token, **kwargs):
        # sudo: the visitor has no session; nothing is read or written unless the token
        # is the signature of this very partner and company (compared in constant time).
        partner = request.env["res.partner"].sudo().browse(partner_id).exists()
        company = request.env["res.company"].sudo().browse(company_id).exists()
        if not (partner and company and partner._dunning_check_opt_out_token(company, token)):
            raise NotFound()
        partner._dunning_email_opt_out(company)
        lang = partner.lang or company.partner_id.lang
        if lang and request.env["res.lang"]._get_data(code=lang):
            request.update_context(lang=lang)
        return request.render(
            "account_dunning.dunning_email_opt_out_done",
            {"partner": partner, "company": company},
        )


class DunningSmsOptOut(http.Controller):
    """The short link closing every reminder SMS (Odoo community receives no SMS, so no
    "reply STOP"): a GET shows what will be stopped, the button (a POST with the form's
    CSRF token) puts the number on Odoo's phone blacklist. Two steps, because phones
    and messaging apps open links in SMS to preview them: a preview must not opt out."""

    @http.route(
        "/dunning/sms_stop/<int:partner_id>/<int:company_id>/<string:token>",
        type="http",
        auth="public",
        methods=["GET", "POST"],
        sitemap=False,
    )
    def dunning_sms_opt_out(self, partner_id, company_id, token, **kwargs):
        # sudo: the visitor has no session; nothing is read or written unless the token
        # is the signature of this very partner, company and phone number (compared in
        # constant time).
        partner = request.env["res.partner"].sudo().browse(partner_id).exists()
        company = request.env["res.company"].sudo().browse(company_id).exists()
        if not (partner and company and partner._dunning_check_sms_opt_out_token(company, token)):
            raise NotFound()
        number = partner._dunning_sms_number()
        done = request.httprequest.method == "POST"
        if done:
            partner._dunning_sms_opt_out(company)
        lang = partner.lang or company.partner_id.lang
        if lang and request.env["res.lang"]._get_data(code=lang):
            request.update_context(lang=lang)
        return request.render(
            "account_dunning.dunning_sms_opt_out_page",
            {"partner": partner, "company": company, "number": number, "done": done},
        )
