"""pda-excel: KPI evaluation rounds of Thai provincial Community Development Offices.

The package follows the pipeline:

* :mod:`pda_excel.core` -- the rubric, inputs, scoring, findings and Thai words; no Excel here.
* :mod:`pda_excel.workbooks` -- the workbooks we write: templates, the summary, annotated copies.
* :mod:`pda_excel.intake` -- the files we receive: the safety gate per format, numbers, the reader.
* :mod:`pda_excel.round` -- one evaluation round: roster, assessment, consolidation, check, mail.
* :mod:`pda_excel.surfaces` -- what a person uses: the command line and the demo.
"""
