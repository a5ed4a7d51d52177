"""``python -m nnlesson ...`` runs the command line (see :mod:`nnlesson.tools.cli`)."""
from nnlesson.tools.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
