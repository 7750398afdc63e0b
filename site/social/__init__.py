"""Social: comments and likes between members and images."""
