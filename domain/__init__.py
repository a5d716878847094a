"""The token ledger's domain: aggregates, events, value objects and the service layer.

Nothing in this package imports Flask or a database driver.
"""
