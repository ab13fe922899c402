// The network shell (#5); see docs/architecture.md.
