"""The integrations dashboard ("Integrációk áttekintése"): charts of the event bus, the
webhook inbox, plugin action runs and health history, each linking to the filtered admin
list. Vendor-neutral: it reads only plugin-manager and event-bus tables, never a plugin's.

`figures` runs the queries (one per chart), `charts` shapes them for unfold's Chart.js
components, `views` is the admin page.
"""
