// The gossip core (issue #5): see docs/architecture.md. Files are added by the work on #5.
