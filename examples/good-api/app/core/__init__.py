"""Cross-cutting concerns: settings, logging, security, rate limiting."""
