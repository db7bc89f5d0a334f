"""Background work: jobs in bounded batches, the purge, the sweeper, their cursors."""
