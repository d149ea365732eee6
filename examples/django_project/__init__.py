"""A Django project with the example routes; ``wsgi.py`` holds the application."""
