"""The OpenAPI document's role schema describes what a role read answers."""

from __future__ import annotations

from tokenledger.domain.role_settings import RoleSettings, role_read_fields
from tokenledger.web.openapi_schemas import RoleReadSchema


def test_role_read_schema_matches_what_a_read_answers() -> None:
    everything = RoleSettings(name="r", token_bound_cidrs=("10.0.0.0/8",), bound_cidrs=("10.0.0.0/8",),
                              token_num_uses=3)
    fields = RoleReadSchema().fields
    assert set(role_read_fields(everything)) == set(fields)
    assert {name for name, field in fields.items() if field.required} == set(role_read_fields(RoleSettings(name="r")))
