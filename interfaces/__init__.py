"""Ways in: HTTP API and pages, CLI, scheduler. They call application; infra only via infra.wiring."""
