"""accord.playbook: templates for foreseeable emergencies, the stages x roles table with
emergency time targets, required sign-offs, and provisional activation.

Imports only ``accord.model``, ``accord.law`` and ``accord.errors``; never ``engine``,
``refdata``, ``server`` or ``cli`` (the CLI passes party lists in).

>>> [t.scenario for t in list_templates()][:1]
['S1']
"""

from accord.playbook.activation import (
    Action,
    Notify,
    Suspend,
    activation_blockers,
    due_actions,
)
from accord.playbook.stages import RequiredApproval, Stage, required_approvals, stages
from accord.playbook.templates import (
    AgreementTemplate,
    get_template,
    instantiate,
    list_templates,
)

__all__ = [
    "Action",
    "AgreementTemplate",
    "Notify",
    "RequiredApproval",
    "Stage",
    "Suspend",
    "activation_blockers",
    "due_actions",
    "get_template",
    "instantiate",
    "list_templates",
    "required_approvals",
    "stages",
]
