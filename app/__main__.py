"""`python -m app` is the `followup` command."""

from app.cli import main

main()
