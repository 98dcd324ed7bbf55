"""Market data in and out: importers, validation, the Parquet/DuckDB catalog, providers."""
