"""Process wiring: settings, the Connexion app, auth, errors, metrics, logging, lifespan."""
