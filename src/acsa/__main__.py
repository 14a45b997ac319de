"""``python -m acsa``: the ``acsa`` command."""

from acsa.entry import main

if __name__ == "__main__":
    main()
