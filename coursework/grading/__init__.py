"""Batch grading of submitted notebooks: gradebook and feedback, robust to any input.

``python -m coursework grade SUBMISSIONS --out RESULTS`` (see
:mod:`coursework.grading.cli`). The pieces, in the order a submission meets
them: :mod:`~coursework.grading.submissions` (folder or zip intake, student
ids), :mod:`~coursework.grading.worker` (one process per submission),
:mod:`~coursework.grading.execute` with :mod:`~coursework.grading.sandbox`
(the notebook in a limited kernel), :mod:`~coursework.grading.definitions`,
:mod:`~coursework.grading.collect` and :mod:`~coursework.grading.child` (the
checks, out of the student's reach), :mod:`~coursework.grading.report`
(CSV files and feedback).
"""
