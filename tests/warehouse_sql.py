"""Reading the warehouse the way an analyst would: a read-only connection per question."""

import duckdb


def query(warehouse, sql, *params):
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return connection.execute(sql, list(params)).fetchall()
