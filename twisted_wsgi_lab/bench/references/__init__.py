"""Reference servers for ``labweb bench``: small, plain, each one serving model.

Each runs as ``python -m twisted_wsgi_lab.bench.references.<name> PORT [module:app]``
and listens on 127.0.0.1 only.
"""
