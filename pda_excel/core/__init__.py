"""The core: rubric model, input kinds, the pure scoring engine, findings and Thai words.

Nothing here reads or writes a spreadsheet.
"""
