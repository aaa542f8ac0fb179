"""Read-side shapes, one module per context: what queries return."""
