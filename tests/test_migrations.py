"""19.0.1.2.0's migrations on data as 19.0.1.1.0 left it."""

import importlib.util
from pathlib import Path

from odoo.tests import tagged

from .common import DunningRunCommon

MIGRATIONS = Path(__file__).parent.parent / "migrations" / "19.0.1.2.0"


def _migrate(cr, script):
    spec = importlib.util.spec_from_file_location(script, MIGRATIONS / f"{script}.py")
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    migration.migrate(cr, "19.0.1.1.0")


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
