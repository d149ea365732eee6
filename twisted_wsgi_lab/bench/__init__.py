"""``labweb bench``: serve one app under each serving model and load it the same way.

This layer sits beside the service and uses only labweb's public API, so what it
measures is what a user runs.
"""
