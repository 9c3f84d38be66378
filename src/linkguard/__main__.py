"""``python -m linkguard`` runs the command-line interface."""

from linkguard.cli import main

if __name__ == "__main__":
    main()
