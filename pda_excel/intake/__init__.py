"""The files we receive: a safety gate per container format, typed numbers, the key reader."""
