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
  ``check``, monkeypatching or printing "PASS" earns nothing. A function
  that hands back the package's reference is found in its source
  (:mod:`~coursework.grading.definitions`) and, however it reached it
  (``importlib``, ``getattr``), when it runs (:mod:`~coursework.grading.child`).
- Signed results (:mod:`~coursework.grading.signing`): a worker's result
  and the resumable state are signed with secrets student code never sees.
- Resource limits (:mod:`~coursework.grading.sandbox`): CPU seconds, file
  size, open files, no core dumps, processes (``RLIMIT_NPROC``, which does
  not bind root, so as root a pids cgroup per job as well); a memory watch
  kills a job whose processes together pass its cap. Statement limits in
  the checks child count CPU seconds, so a busy machine changes no grade.
- Namespaces (:func:`~coursework.grading.oscalls.unshare_command`): each
  kernel and checks child is the init of user, process and network
  namespaces of its own. No network: a classmate's kernel, the grader's
  sockets and the internet are out of reach (``--network`` opens it, and
  every feedback file says so); the kernel talks to the grader over ipc
  sockets in the job's own folder. ``/proc`` lists only the job; every
  process of the job, double-forked or ``setsid``, is a descendant of that
  init, so the memory watch sees it and it dies with the job.
- File isolation, the strongest the machine allows, probed at start and
  announced on screen and in every feedback file
  (:mod:`~coursework.grading.probe`): a user id of its own per job (as
  root, when the Python installation is open to other users), Landlock
  (reads only the installation and its scratch folder, writes only that
  folder; from ABI 4 opens no TCP connection unless ``--network``, which
  closes the network where namespaces are refused; from ABI 6 signals only
  its own processes).
- Integrity (:mod:`~coursework.grading.integrity`): the package and the
  checks are hashed before any student code runs and verified around every
  kernel and checks process; a change stops the batch (exit status 3).
- Data, never markup or paths (:mod:`~coursework.grading.submissions`,
  :mod:`~coursework.grading.report`): student ids are reduced to safe file
  names; links in a submission are not copied or followed, and the grader
  writes its own files fresh (never through a link); a zip is checked entry
  by entry before anything is written, and temporary folders go on every
  return path; any file that is not a readable notebook is
  ``invalid-notebook``; student text in feedback sits in code spans
  rendered with raw HTML off, a CSV cell never starts a formula, and a
  hidden case shows its verdict and hint, never its values.

What is left: with process-only isolation (no namespaces, no Landlock, no
root) student code can read and write what the grader can, and only the
integrity check guards the package; a folder student code may read (the
package, the Python installation) must not hold the hidden checks; the
run-time reference watch lives in the student's own process, so code that
removes the profile hook first is caught only by the source check; a unix
socket is reachable by any process that knows its path and may pass through
its folders, so a job's ipc sockets are guarded only by their folder's
random, unlistable name (and, with a user of its own, its permissions).
"""
