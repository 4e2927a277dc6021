"""The workbooks we write: district templates, the committee's summary, annotated copies."""
