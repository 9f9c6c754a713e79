"""jreg.prox (under construction)."""

__all__: list[str] = []
