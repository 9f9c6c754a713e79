"""jreg.nn (under construction)."""

__all__: list[str] = []
