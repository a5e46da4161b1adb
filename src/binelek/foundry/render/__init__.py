"""Mini Foundry's rendered documents, built in Python with escaping (no template engine): value
formatting, SVG charts, the dashboard page a PDF is printed from, and the report e-mails."""
