"""The model: the Token, Role and Policy aggregates, their events, value objects and Vault's rules.

Nothing in this package imports Flask, a database driver or the application layer. The
aggregates are the eventsourcing library's; where they need its private API (to be created with a
chosen first event), they call ``tokenledger.adapters.eventsourcing``, the one module that uses it.
"""
