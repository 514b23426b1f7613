from . import dunning_handoff_wizard
from . import dunning_writeoff_wizard
from . import dunning_payment_plan_wizard
from . import dunning_stage_wizard
from . import dunning_late_charge_wizard
from . import dunning_call_wizard
from . import dunning_send_wizard
