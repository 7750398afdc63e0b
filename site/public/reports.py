"""POST /api/reports: members report images and comments."""
