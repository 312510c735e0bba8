"""``python -m monitor`` runs the ``tosmon`` command line."""

from .cli import main

main()
