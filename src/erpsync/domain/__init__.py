"""The rules of erpsync as pure Python: no I/O, no clock reads, time passed in as ``now``."""
