"""Domain logic over the workflow engine and the database; knows nothing of HTTP."""
