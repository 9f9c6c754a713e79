"""jreg.linear_model (under construction)."""

__all__: list[str] = []
