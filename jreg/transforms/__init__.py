"""jreg.transforms (under construction)."""

__all__: list[str] = []
