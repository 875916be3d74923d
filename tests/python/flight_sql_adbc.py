"""Runs one statement against a Flight SQL server through the ADBC Flight SQL driver,
the way an analyst's notebook or a BI tool would, and prints the result as JSON.

    flight_sql_adbc.py URI TOKEN|- query SQL   -> {"columns": [...], "rows": [[...], ...]}
    flight_sql_adbc.py URI TOKEN|- tables      -> {"tables": ["alerts", ...]}

A token of `-` connects without credentials. Errors go to stderr, with exit status 1.
"""

import json
import sys

import adbc_driver_flightsql.dbapi as flightsql
from adbc_driver_flightsql import DatabaseOptions


def main() -> int:
    uri, token, mode = sys.argv[1:4]
    options = {}
    if token != "-":
        options[DatabaseOptions.AUTHORIZATION_HEADER.value] = f"Bearer {token}"
    try:
        with flightsql.connect(uri, db_kwargs=options, autocommit=True) as conn:
            if mode == "tables":
                objects = conn.adbc_get_objects(depth="tables").read_all().to_pylist()
                tables = sorted(
                    table["table_name"]
                    for catalog in objects
                    for schema in catalog["catalog_db_schemas"] or []
                    for table in schema["db_schema_tables"] or []
                )
                print(json.dumps({"tables": tables}))
                return 0
            with conn.cursor() as cursor:
                cursor.execute(sys.argv[4])
                result = cursor.fetch_arrow_table()
                print(json.dumps({
                    "columns": result.column_names,
                    "rows": [list(row.values()) for row in result.to_pylist()],
                }, default=str))
                return 0
    except Exception as err:  # noqa: BLE001 - every failure is reported to the caller
        print(f"{type(err).__name__}: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
