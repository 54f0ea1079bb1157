"""Batch grading of submitted notebooks: gradebook and feedback, robust to any input.

``python -m coursework grade SUBMISSIONS --out RESULTS`` (see
:mod:`coursework.grading.cli`).

Reading order
=============

Imports run one way, from the leaves up:

- leaves: :mod:`~coursework.grading.records` (the ``Status`` enum and the
  typed records), :mod:`~coursework.grading.signing` (HMAC and atomic
  writes), :mod:`~coursework.grading.wire` (checker <-> child messages),
  :mod:`~coursework.grading.oscalls` (Landlock, capabilities, user ids),
  :mod:`~coursework.grading.integrity` (the package's hashes);
- :mod:`~coursework.grading.sandbox` (limits, then the OS calls, then
  ``exec``) and :mod:`~coursework.grading.probe` (which layers work here);
- the job: :mod:`~coursework.grading.submissions` (folder or zip intake,
  student ids), :mod:`~coursework.grading.execute` (the notebook in a
  limited kernel), :mod:`~coursework.grading.definitions`,
  :mod:`~coursework.grading.child`, :mod:`~coursework.grading.remote` and
  :mod:`~coursework.grading.collect` (the checks, out of the student's
  reach), :mod:`~coursework.grading.worker` (one process per submission);
- the batch: :mod:`~coursework.grading.batch` (workers, signed state),
  :mod:`~coursework.grading.report` (CSV files and feedback) and
  :mod:`~coursework.grading.cli`.

Threat model
============

A submission is assumed hostile. Its code, in the kernel and in the checks
child, may: read any file the OS lets it read; write, fork, double-fork and
``setsid`` to outlive its job; allocate memory and start processes until the
machine runs out; open sockets, including to other students' kernels on the
same machine; signal any process it is allowed to; print anything, including
text that looks like a verdict, Markdown, HTML or a spreadsheet formula;
and submit files that are not notebooks (broken or deeply nested JSON,
symlinks, archives that unpack to gigabytes). It is not assumed able to
break out of the Linux kernel's own isolation (namespaces, Landlock, user
ids): a kernel exploit is out of scope.

What each layer stops:

- Checks outside the kernel (:mod:`~coursework.grading.collect`): the
  grade never comes from the student's kernel; definitions are rebuilt from
  source in a separate child that knows no expected value, so redefining
  ``check``, monkeypatching or printing "PASS" earns nothing.
- Signed results (:mod:`~coursework.grading.signing`): a worker's result
  and the resumable state are signed with secrets student code never sees.
- Resource limits (:mod:`~coursework.grading.sandbox`): CPU seconds, file
  size, open files, no core dumps; a memory watch kills a job over its cap.
- OS isolation, the strongest the machine allows, probed at start and
  announced on screen and in every feedback file
  (:mod:`~coursework.grading.probe`): a user id of its own per job (as
  root), Landlock (reads only the installation and its scratch folder,
  writes only that folder; from ABI 6 signals only its own processes).
- Integrity (:mod:`~coursework.grading.integrity`): the package and the
  checks are hashed before any student code runs and verified around every
  kernel and checks process; a change stops the batch (exit status 3).
- Data, never markup or paths: student ids are reduced to safe file names,
  student text in feedback sits in code spans rendered with raw HTML off.
"""
