"""tokenledger: a token service that speaks Vault's token auth API, kept as an append-only ledger.

The package's subpackages are the layer folders at the top of the repository, linked here:
``domain`` (the model), ``application`` (services and the ledger), ``projections`` (read models),
``web`` (HTTP), ``cli`` (the command line) and ``wiring`` (settings, bootstrap, the server).
"""
