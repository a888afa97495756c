"""The `mediation` command's subcommands, by concern (cases, actions, supervision, operations, ...)."""
