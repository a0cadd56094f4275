"""The `brief` commands, one module per part of the editor's week (see `brief.cli`)."""
