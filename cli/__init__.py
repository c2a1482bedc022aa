"""The ``vagent`` command line: one typer app, each command group in its own module."""
