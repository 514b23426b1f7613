"""SMS reminders waiting for the contact hours no longer wait in a state of our own on
sms.sms (the state 'dunning_scheduled' and its date are gone: Odoo's own
mail.message.schedule holds new ones). Those still waiting are handed to Odoo's SMS
queue as they are; the column of the removed date goes with them."""


def migrate(cr, version):
    cr.execute(
        """
        SELECT 1 FROM information_schema.columns
         WHERE table_name = 'sms_sms' AND column_name = 'dunning_scheduled_date'
        """
    )
    if not cr.fetchone():
        return
    cr.execute("UPDATE sms_sms SET state = 'outgoing' WHERE state = 'dunning_scheduled'")
    cr.execute("ALTER TABLE sms_sms DROP COLUMN dunning_scheduled_date")
