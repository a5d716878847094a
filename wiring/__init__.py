"""Process wiring: settings, the composition root, the HTTP server and the expiry sweeper."""
