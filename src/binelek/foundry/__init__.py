"""Mini Foundry: the metrics layer over the common business schema, dashboards, insights, forecasts
and questions in plain language."""
