"""The VLN benchmark (R2R, REVERIE): loaders, metrics, the runner and ``vagent eval vln``."""
