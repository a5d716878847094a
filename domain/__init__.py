"""The model: the Token, Role and Policy aggregates, their events, value objects and Vault's rules.

Nothing in this package imports Flask, a database driver or the application layer, but for
``tokenledger.application.eventsourcing_adapter``: the eventsourcing library's private API, which
the aggregates need to be created, kept in one module.
"""
