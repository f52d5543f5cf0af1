"""``python -m reviewtool`` runs the ``review`` command line."""

from reviewtool.cli import main

if __name__ == "__main__":
    main()
