"""The ALFRED benchmark: ``vagent eval alfred`` — SR, GC and their path-length-weighted forms."""
