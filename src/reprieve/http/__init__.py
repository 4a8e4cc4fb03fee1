"""What the API (``api``) and the console (``web``) share: request dependencies and who may see what."""
