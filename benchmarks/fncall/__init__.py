"""Function calling from images: dataset format, metrics, the example set and the runner."""
