"""One module per format; the list lives in ``app.io.registry``."""
