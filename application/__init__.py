"""The application layer: the event-sourced ledger, the services that turn commands into events,
revocation, and the ports the read models implement."""
