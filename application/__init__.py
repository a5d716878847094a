"""The application layer: the event-sourced ledger, the services that turn commands into events,
revocation, the ports the read models implement, and the formats the API and the command line
share."""
