"""jreg.penalties (under construction)."""

__all__: list[str] = []
