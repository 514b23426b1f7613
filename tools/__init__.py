"""Pure-Python collections logic (no ORM): tested with plain pytest and hypothesis."""
