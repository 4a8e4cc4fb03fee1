"""One module per resource; each route calls one service and nothing else."""
