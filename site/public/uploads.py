"""The upload page and POST/DELETE /api/images."""
