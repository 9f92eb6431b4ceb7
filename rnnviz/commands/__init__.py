"""Subcommands of the ``rnnviz`` command line; one module per subcommand."""
