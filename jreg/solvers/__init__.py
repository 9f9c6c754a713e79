"""jreg.solvers (under construction)."""

__all__: list[str] = []
