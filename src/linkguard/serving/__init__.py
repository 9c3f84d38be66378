"""Answers from a snapshot: the flag index the API and ``linkguard account`` serve, and queues.

- :mod:`.lookup`: :class:`~linkguard.serving.lookup.FlagIndex`, every account's answer built
  once from a snapshot (:mod:`.answer_build`, :mod:`.flag_json`, :mod:`.account_view`) and kept
  in a compact store (:mod:`.answers`);
- :mod:`.browser_links`: Neo4j Browser links that show an account's neighbourhood;
- :mod:`.review_queue`: flagged accounts ranked for investigators (``linkguard flags``).

Nothing is re-exported here, so that each door loads only what it serves.
"""
