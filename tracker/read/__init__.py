"""The read layer: every number a reader sees, computed once (pages, exports, API, staff views).

Modules, from the bottom up:

- ``texts``: the text in the reader's language, else English (the one fallback rule);
- ``loaders``: the shared queries (the checklist, coverage judgements and their links, counts,
  texts), each written once with a fixed query count;
- ``figures``: ``CountrySummary`` and ``CoverageItem``, the scored objects every format shows;
- ``pages``: the public pages' reports; ``rows``: the CSV exports' rows; ``api``: the JSON
  API's answers; ``workspace``: the staff pages' read models.

Where to change things: how a figure is computed in ``tracker.scoring``; a page in its view
(``tracker.web.public``), its report in ``pages`` and its template; an export's columns in
``tracker.formats.tables`` and its rows in ``rows``; an API answer's shape in
``tracker.formats.api_models`` and its values in ``api``. Nothing here touches ``request``,
``session`` or ``g``, and nothing here writes: writes go through ``tracker.write``.
"""
