"""labweb: an HTTP/1.1 server on Twisted, built to be read, measured and bent."""

__version__ = "0.1.0"
