// Node identity (issue #5): see docs/architecture.md.
