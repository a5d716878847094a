"""The ``tokenledger`` command line: the server command, the auditors' and operators' commands, and a
Vault-style client (``tokenledger token|policy``)."""
