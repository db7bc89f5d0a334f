"""Collections: the tree, its group permissions, the Trash, refusals, moderation."""
