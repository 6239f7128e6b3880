"""Click commands, one module per command group (imported by `s2dcli.cli`)."""
