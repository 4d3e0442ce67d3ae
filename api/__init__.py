"""The Order Ingestion API (built in the services issue)."""
