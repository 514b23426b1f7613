"""19.0.1.3.0: the default reminder SMS in one segment, with one link.

The module's SMS templates are ``noupdate`` records: an update keeps what a database
holds. A template whose English text is still the one 19.0.1.2.0 shipped gets this
version's text, in English and in every installed language the module translates (its
own .po files); a template someone edited keeps its text. The old texts still render
(their methods stay), so a kept template keeps working, in two or three SMS.
"""

from pathlib import Path

from lxml import etree

from odoo import SUPERUSER_ID, api
from odoo.tools.translate import PoFileReader

MODULE = Path(__file__).resolve().parent.parent.parent
TAIL = " Already paid? Please ignore this message. {{ object._get_sms_opt_out() }}"
PAY = "{{ object._get_sms_pay_url() }}"
AMOUNT = "{{ object._get_sms_amount() }}"
# The English bodies 19.0.1.2.0 shipped, by record.
SHIPPED = {
    "sms_template_dunning_friendly": (
        "{{ object.company_id.name }}: a friendly reminder that " + AMOUNT + " falls due on "
        "{{ object._get_sms_due_date() }}. Pay online: " + PAY + TAIL
    ),
    "sms_template_dunning_due": (
        "{{ object.company_id.name }}: " + AMOUNT + " falls due today. Pay online: " + PAY + TAIL
    ),
    "sms_template_dunning_polite": (
        "{{ object.company_id.name }}: our records do not show your payment of " + AMOUNT
        + ". Pay online: " + PAY + " or reply if something is wrong." + TAIL
    ),
    "sms_template_dunning_firm": (
        "{{ object.company_id.name }}: " + AMOUNT + " is still open on your account. Please "
        "pay or tell us when you will: " + PAY + TAIL
    ),
    "sms_template_dunning_formal": (
        "{{ object.company_id.name }}: we have sent you a formal demand for " + AMOUNT
        + ". Please pay by the date it gives: " + PAY + TAIL
    ),
    "sms_template_dunning_final": (
        "{{ object.company_id.name }}: final notice for " + AMOUNT + ". Please pay now or "
        "contact us to agree a plan: " + PAY + TAIL
    ),
}  # fmt: skip


def _shipped_bodies():
    """This version's English body of each SMS template, from its data file."""
    tree = etree.parse(str(MODULE / "data" / "dunning_sms_template_data.xml"))
    return {
        record.get("id"): record.find("field[@name='body']").text
        for record in tree.iter("record")
        if record.get("id") in SHIPPED
    }


def _translations(lang):
    """{English source: translation} of the module's .po for ``lang`` (fr_BE reads fr.po
    as Odoo does), or {} when the module has none."""
    for name in (lang, lang.split("_")[0]):
        path = MODULE / "i18n" / f"{name}.po"
        if path.exists():
            return {entry["src"]: entry["value"] for entry in PoFileReader(str(path))}
    return {}


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    new_bodies = _shipped_bodies()
    langs = [code for code, _name in env["res.lang"].get_installed() if code != "en_US"]
    translations = {lang: _translations(lang) for lang in langs}
    for xmlid, old in SHIPPED.items():
        template = env.ref(f"account_dunning.{xmlid}", raise_if_not_found=False)
        if not template or template.with_context(lang="en_US").body != old:
            continue
        new = new_bodies[xmlid]
        values = {"en_US": new}
        for lang in langs:
            values[lang] = translations[lang].get(new) or new
        template.update_field_translations("body", values)
