"""The inbound webhook inbox: source contract, registry, endpoint and processing."""
