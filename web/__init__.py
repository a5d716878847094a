"""HTTP: the Flask app factory, the blueprints, and Vault's request and response shapes."""
