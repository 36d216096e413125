"""``python -m gdlab`` (also what ``torchrun -m gdlab`` runs)."""

from .cli import main

if __name__ == "__main__":
    main()
