"""The deployable service: options shared by twistd and ``labweb``, and makeService."""
