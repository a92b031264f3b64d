"""aurorax.api."""

__all__: list[str] = []
