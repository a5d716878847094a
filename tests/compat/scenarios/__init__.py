"""The scripted scenarios, in the order they run: later steps use tokens earlier ones made, and
``sys/leases/revoke-prefix`` runs last because it revokes every token made by ``auth/token/create``."""

from __future__ import annotations

from tests.compat.differential import Step
from tests.compat.scenarios import bad_input, roles_policies, tokens


def all_steps() -> list[Step]:
    return [*tokens.all_steps(), *roles_policies.all_steps(), *bad_input.all_steps(), *tokens.extensions(),
            *tokens.expiry(), *tokens.revoke_prefix()]
