from . import dunning_policy
from . import dunning_level
from . import dunning_event
from . import res_company
from . import res_partner
from . import account_move
from . import dunning_payment_plan
from . import dunning_payment_plan_installment
