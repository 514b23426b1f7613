from . import dunning_payment_plan_wizard
