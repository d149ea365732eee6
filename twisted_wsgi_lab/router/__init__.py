"""The native App: routes, requests, responses, handlers on the reactor."""
