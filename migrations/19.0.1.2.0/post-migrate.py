"""Events gain ``is_customer_message`` (what the one-message-a-day rule counts): the
history written before it marks the messages the customer received, by their channel."""

CUSTOMER_CHANNELS = ("email", "sms", "letter", "statement", "thank_you")


def migrate(cr, version):
    cr.execute(
        """
        UPDATE dunning_event
           SET is_customer_message = TRUE
         WHERE state = 'done'
           AND channel IN %s
           AND is_customer_message IS NOT TRUE
        """,
        [CUSTOMER_CHANNELS],
    )
