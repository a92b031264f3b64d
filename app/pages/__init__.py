"""One module per dashboard page; each has a State, a Page and a ``create_page()`` factory."""
