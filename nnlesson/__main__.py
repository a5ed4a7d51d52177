"""``python -m nnlesson ...`` runs the command line (see :mod:`nnlesson.cli`)."""
from nnlesson.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
