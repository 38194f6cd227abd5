"""The documented JSON API under ``/api``: stable, described by the OpenAPI document."""
