"""linkguard's Neo4j adapter: load a market, write findings back, read the graph, query it.

Small single-purpose modules, imported on use (nothing here imports the driver eagerly):

- :mod:`.driver` -- :func:`~.driver.connect` from ``NEO4J_*`` settings;
  :class:`~.driver.GraphRunner` runs statements in managed transactions that retry transient
  errors;
- :mod:`.queries` -- the named ``.cypher`` files shipped with linkguard, loaded by name;
- :mod:`.loader` -- :func:`~.loader.load_market`: batched, idempotent, resumable load;
- :mod:`.writeback` -- :func:`~.writeback.write_findings`: a snapshot's findings onto the graph;
- :mod:`.engine` -- :func:`~.engine.read_market`: the graph back into a market, so the
  in-memory detectors run on it (``analyze --engine neo4j``);
- :mod:`.guide_server` -- serves the Neo4j Browser guide and style with CORS;
- :mod:`.devserver` -- a local Neo4j 5.26 for development, tests and CI (a package: config,
  Maven build, process control).
"""
