"""One flask-smorest blueprint per resource of API.md."""
