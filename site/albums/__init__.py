"""Albums: a member's ordered selections of their own images (public or unlisted),
keyset-paged on position; hidden images drop out of every album at once."""
