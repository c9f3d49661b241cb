"""Data-subject requests (GDPR access and erasure) across the ERP and every connector.

Each connector adds its part through one manifest field, ``privacy_handlers``
(``handlers.py`` defines the protocol); the steps run as event-bus deliveries
(``runner.py``). See docs/privacy.md.
"""
