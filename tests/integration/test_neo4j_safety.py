"""The dev server reads files for LOAD CSV from its own import folder only."""

from __future__ import annotations

import pytest
from neo4j import Driver
from neo4j.exceptions import Neo4jError

pytestmark = pytest.mark.neo4j


def test_load_csv_cannot_read_system_files(neo4j_driver: Driver, neo4j_database: str) -> None:
    with pytest.raises(Neo4jError) as caught:
        neo4j_driver.execute_query(
            "LOAD CSV FROM 'file:///etc/passwd' AS row RETURN count(row) AS rows",
            database_=neo4j_database,
        )
    # resolved inside the import folder, where no etc/passwd exists
    assert "etc/passwd" in str(caught.value)


def test_import_folder_is_under_the_data_folder(neo4j_driver: Driver) -> None:
    records, _, _ = neo4j_driver.execute_query(
        "CALL dbms.listConfig('server.directories.import') YIELD name, value RETURN value",
        database_="system",
    )
    assert records
    assert records[0]["value"].endswith("/import")
