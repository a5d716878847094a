"""Vault's CLI for tokens, policies and roles (``tokenledger token|policy ...``), over HTTP."""
