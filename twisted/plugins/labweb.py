"""The twistd dropin: ``twistd -n labweb --app module:app``.

Only a module name is given, so ``twistd --help`` imports nothing of labweb's.
"""

from twisted.application.service import ServiceMaker

labweb = ServiceMaker(
    "labweb",
    "twisted_wsgi_lab.service.tap",
    "An HTTP/1.1 server for WSGI apps, built to be read, measured and bent.",
    "labweb",
)
