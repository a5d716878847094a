"""The activity charts' and the cross-token search's services over a runtime's read models."""

from __future__ import annotations

from tokenledger.application.activity import ActivityService
from tokenledger.application.token_search import TokenSearchService
from tokenledger.projections.activity_queries import SqlActivityQueries
from tokenledger.projections.token_search import SqlTokenSearch
from tokenledger.wiring.bootstrap import Runtime


def activity_service(runtime: Runtime) -> ActivityService:
    return ActivityService(SqlActivityQueries(runtime.read_models), runtime.clock)


def search_service(runtime: Runtime) -> TokenSearchService:
    return TokenSearchService(SqlTokenSearch(runtime.read_models))
