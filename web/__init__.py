"""HTTP and command-line adapters: the Flask app factory, the token blueprint, the server."""
