"""The AWS entry points: S3 events, scheduled jobs and the Lambda task backend."""
