"""The public JSON API of DESIGN.md §5 (feeds, cards, comments, likes)."""
