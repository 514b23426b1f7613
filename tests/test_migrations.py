"""The migrations of each version on data as the version before left it."""

import importlib.util
from pathlib import Path

from odoo.tests import tagged

from .common import DunningRunCommon

MIGRATIONS = Path(__file__).parent.parent / "migrations"
PREVIOUS = {"19.0.1.2.0": "19.0.1.1.0", "19.0.1.3.0": "19.0.1.2.0"}


def _migrate(cr, script, version="19.0.1.2.0"):
    path = MIGRATIONS / version / f"{script}.py"
    spec = importlib.util.spec_from_file_location(f"{version}.{script}", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    migration.migrate(cr, PREVIOUS[version])
    return migration


@tagged("post_install", "-at_install")
class TestMigrations(DunningRunCommon):
    def test_waiting_sms_go_to_odoos_queue(self):
        waiting, sent = self.env["sms.sms"].create(
            [{"number": "+32470123456", "body": "Reminder"}] * 2
        )
        cr = self.env.cr
        cr.execute("ALTER TABLE sms_sms ADD COLUMN dunning_scheduled_date timestamp")
        cr.execute(
            "UPDATE sms_sms SET state = 'dunning_scheduled', dunning_scheduled_date = now() "
            "WHERE id = %s",
            [waiting.id],
        )
        cr.execute("UPDATE sms_sms SET state = 'sent' WHERE id = %s", [sent.id])
        _migrate(cr, "pre-migrate")
        (waiting | sent).invalidate_recordset()
        self.assertEqual((waiting.state, sent.state), ("outgoing", "sent"))
        cr.execute(
            "SELECT 1 FROM information_schema.columns WHERE table_name = 'sms_sms' "
            "AND column_name = 'dunning_scheduled_date'"
        )
        self.assertFalse(cr.fetchone())
        _migrate(cr, "pre-migrate")  # a second update finds nothing to do

    def test_events_before_the_gateway_count_as_messages(self):
        engine = self.env["dunning.engine"]
        values = {"partner_id": self.customer.id, "company_id": self.company.id}
        email, call, skipped = engine._log(
            [
                {**values, "channel": "email"},
                {**values, "channel": "call"},
                {**values, "channel": "sms", "state": "skipped"},
            ]
        )
        self.assertFalse(email.is_customer_message)
        _migrate(self.env.cr, "post-migrate")
        (email | call | skipped).invalidate_recordset()
        self.assertEqual(
            (email | call | skipped).mapped("is_customer_message"), [True, False, False]
        )

    def test_shipped_sms_texts_become_one_segment_edited_ones_stay(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        friendly = self.env.ref("account_dunning.sms_template_dunning_friendly")
        final = self.env.ref("account_dunning.sms_template_dunning_final")
        new_friendly = friendly.with_context(lang="en_US").body
        migration = _migrate(self.env.cr, "post-migrate", "19.0.1.3.0")  # nothing to do
        self.assertEqual(friendly.with_context(lang="en_US").body, new_friendly)
        # As 19.0.1.2.0 left them: the friendly one as shipped, the final one edited.
        shipped = migration.SHIPPED["sms_template_dunning_friendly"]
        friendly.update_field_translations("body", {"en_US": shipped, "fr_FR": "Ancien texte"})
        edited = "{{ object.company_id.name }}: call us about {{ object._get_sms_amount() }}."
        final.update_field_translations("body", {"en_US": edited, "fr_FR": "Appelez-nous"})
        _migrate(self.env.cr, "post-migrate", "19.0.1.3.0")
        (friendly | final).invalidate_recordset()
        self.assertEqual(friendly.with_context(lang="en_US").body, new_friendly)
        french = friendly.with_context(lang="fr_FR").body
        self.assertNotIn(french, ("Ancien texte", new_friendly))
        self.assertIn("{{ object._get_sms_opt_out_url() }}", french)
        self.assertEqual(final.with_context(lang="en_US").body, edited)
        self.assertEqual(final.with_context(lang="fr_FR").body, "Appelez-nous")
