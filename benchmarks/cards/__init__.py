"""The RL4VLM card-game benchmark: ``vagent eval cards``."""
