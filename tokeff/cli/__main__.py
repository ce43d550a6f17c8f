"""`python -m tokeff.cli`."""

from tokeff.cli import run

run()
