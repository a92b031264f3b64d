"""aurorax.client: the library's verbs against a server URL or a local repository file.

A thin re-export of :mod:`aurorax.api`'s client (see ``docs/api.md``)::

    from aurorax.client import connect
    aurorax = connect("http://127.0.0.1:5006", api_key="axk_...")   # or connect("aurorax.duckdb")
    result = aurorax.search_conjunctions(json_copied_from_the_conjunction_page)
"""

from aurorax.api import HttpClient, LocalClient, RemoteConjunctionResult, connect

__all__ = ["connect", "HttpClient", "LocalClient", "RemoteConjunctionResult"]
