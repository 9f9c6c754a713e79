"""jreg.augment (under construction)."""

__all__: list[str] = []
