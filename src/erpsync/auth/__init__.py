"""Sign-in: password hashing, API tokens, the session secret and the login throttle."""
