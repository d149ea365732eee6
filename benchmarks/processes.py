"""Child processes of the benchmark scripts: stopped the way ``labweb bench`` stops them."""

from twisted_wsgi_lab.bench.processes import stop_process

__all__ = ["stop_process"]
