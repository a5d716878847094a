"""The model: the Token, Role and Policy aggregates, their events, value objects and Vault's rules.

Nothing in this package imports Flask, a database driver or the application layer.
"""
