"""``python -m acsa``: the ``acsa`` command."""

from acsa.cli import main

if __name__ == "__main__":
    main()
