"""OMS services and adapters (built in the services issue)."""
