"""Collections stages of an invoice, and which flows may take an invoice from where.

Defined once: the run, the plans, the hand-off and the coming promises and disputes ask
these sets rather than listing stages of their own.
"""

STAGES = (
    ("normal", "Normal"),
    ("promised", "Promised"),
    ("plan", "Payment Plan"),
    ("dispute", "Disputed"),
    ("agency", "At Agency"),
    ("legal", "Legal Action"),
    ("recovered", "Recovered"),
    ("written_off", "Written Off"),
)

# Only these climb the ladder.
CHASABLE_STAGES = ("normal",)
# May be put on a payment plan (a plan may be renegotiated into a new one).
PLANNABLE_STAGES = ("normal", "promised", "plan")
# May be handed off to an agency or a lawyer (a dispute is settled first).
HANDOFF_FROM_STAGES = ("normal", "promised", "plan")
# May be promised: a promise is a pause of the ladder, not of a plan or a case.
PROMISABLE_STAGES = ("normal", "promised")
# May be disputed: what we collect ourselves (a promise on it ends; an invoice in a plan
# or at an agency is disputed through them: the plan or the case ends first).
DISPUTABLE_STAGES = ("normal", "promised")
# With an agency or a lawyer: payments there are recoveries.
EXTERNAL_STAGES = ("agency", "legal")
# Closed by a collections outcome; reopened when the payment or write-off is undone.
CLOSED_STAGES = ("recovered", "written_off")
# Held by a promise, a plan, a dispute or a case (dunning.hold.mixin): a new hold on such
# an invoice ends the old one, or is refused with a message that names it.
HOLD_STAGES = ("promised", "plan", "dispute", "agency", "legal")
