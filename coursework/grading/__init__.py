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

What each layer stops (issue 28's cases in brackets):

- Isolated interpreters (:func:`~coursework.grading.sandbox.python`,
  :func:`~coursework.grading.integrity.foreign_imports`): every grader-side
  Python (the sandbox, the checks child, the kernel, the worker) starts with
  ``-P -s`` and a scrubbed environment whose ``PYTHONPATH`` names only the
  hashed package, from outside the job's folder, which the sandbox enters
  last, after every limit and layer. A ``coursework/``, ``sitecustomize.py``,
  ``usercustomize.py`` or ``.pth`` file that a submission carries, or that
  its code writes (a cell, a class body run by the checks rebuild), is never
  imported, as root or not; the sandbox, the checks child and the worker
  check, before any student code runs, that every ``coursework`` module
  they imported lies in the hashed package and nothing they imported lies
  in the job's folder, and a failure is tampering (1). The kernel checks
  too, in its first cell, but once started it is the student's process (an
  IPython startup file in its home runs first), so a finding there is only
  reported: a student cannot stop the batch with it. An editable install
  resolves ``coursework`` through its finder in site-packages, after
  ``PYTHONPATH``: the same folder.
- Checks outside the kernel (:mod:`~coursework.grading.collect`): the
  grade never comes from the student's kernel; definitions are rebuilt from
  source in a separate child that knows no expected value, so redefining
  ``check``, monkeypatching or printing "PASS" earns nothing. A function
  that hands back the package's reference is found in its source
  (:mod:`~coursework.grading.definitions`) and, in the child
  (:mod:`~coursework.grading.child`), by identity (the name bound to the
  reference by any route: a decorator, a list, a lambda, unpacking, a class
  attribute, ``getattr``) and by any run of the reference's code while the
  student's function runs, whoever calls it (2). Every reply is checked
  before the checker computes with it (:func:`~coursework.grading.remote.
  checked_reply`): its size against the expected output's, its storage
  (a stride-0 view is materialised within that limit), its shape and dtype;
  its bytes are capped on the wire, and the checker's own address space is
  capped (:func:`~coursework.grading.sandbox.cap_own_memory`) (3).
- Signed results (:mod:`~coursework.grading.signing`): a worker's result
  and the resumable state are signed with secrets student code never sees.
- Resource limits (:mod:`~coursework.grading.sandbox`): CPU seconds, file
  size, open files, no core dumps, processes (``RLIMIT_NPROC``, which does
  not bind root, so as root a pids cgroup per job as well); a memory watch
  kills a job whose processes together pass its cap. Statement limits in
  the checks child count CPU seconds, so a busy machine changes no grade.
  The job's scratch folder is a tmpfs of ``--disk-mb``, which the worker
  mounts: as root directly, as an ordinary user as root of user and mount
  namespaces of the job's own that the batch starts it in
  (:func:`~coursework.grading.oscalls.quota_namespace_command`; root there
  only, and the student processes it starts keep none of that root's
  capabilities, so they cannot unmount or resize it). Many files below the
  per-file limit then fail, in that job alone, with the message "stored
  more than N MB on disk, the job's quota" (5). The probe mounts one by
  use; where it fails (no ``unshare``, user namespaces refused) only the
  per-file limit holds, and the isolation line says so.
- Namespaces (:func:`~coursework.grading.oscalls.unshare_command`): each
  kernel and checks child is the init of user, process, IPC and network
  namespaces of its own. No network: a classmate's kernel, the grader's
  sockets and the internet are out of reach (``--network`` opens it, says
  so in every feedback file, and then grades one submission at a time:
  no ``--jobs`` above 1, no Dask, so there is no classmate's socket or
  scheduler to find (6, 7)); the kernel talks to the grader over ipc
  sockets in the job's own folder. ``/proc`` lists only the job; every
  process of the job, double-forked or ``setsid``, is a descendant of that
  init, so the memory watch sees it and it dies with the job; SysV shared
  memory, semaphores and queues live in the job's IPC namespace and go
  with it (5).
- File isolation, the strongest the machine allows, probed at start and
  announced on screen and in every feedback file
  (:mod:`~coursework.grading.probe`): a user id of its own per job (as
  root, when the Python installation is open to other users), Landlock
  (reads only the installation and its scratch folder, writes only that
  folder; from ABI 4 opens no TCP connection unless ``--network``, which
  closes the network where namespaces are refused; from ABI 6 signals only
  its own processes). Student processes keep no capability.
- Integrity (:mod:`~coursework.grading.integrity`): the package and the
  checks are hashed before any student code runs and verified around every
  kernel and checks process; a change stops the batch (exit status 3).
- Data, never markup or paths (:mod:`~coursework.grading.submissions`,
  :mod:`~coursework.grading.report`): student ids are Unicode-normalised,
  reduced to safe file names and unique (a repeat gets the first free
  suffix, never another file's id), and ``grades.csv`` names each
  student's file (4); links in a submission are not copied or followed,
  and the grader writes its own files fresh (never through a link); a zip
  is checked entry by entry before anything is written, and temporary
  folders go on every return path, the hidden checks' copies on Dask too
  (each task's folder goes with it; a worker that died leaves its folder
  to the next task there, or to the coordinator of a local cluster) (8);
  any file that is not a readable notebook is ``invalid-notebook``; student
  text in feedback sits in code spans rendered with raw HTML off, a CSV
  cell never starts a formula, and a hidden case shows its verdict and
  hint, never its values.
- The cluster (:mod:`~coursework.grading.cluster`): a local cluster that
  the grader starts speaks TLS with keys made for the run and listens on
  the loopback device only; without the keys nothing can submit work to it
  (6). A ``--scheduler`` cluster is the instructor's to secure.

Root is not needed: run as an ordinary user, the grader gets the namespaces,
Landlock and the disk quota, and that is the recommended deployment. Root
adds a user id per job and the pids cgroup; the processes that run student
code keep no capability either way.

Issue 28's cases, and what stops each as an ordinary user (the recommended
deployment: Landlock, namespaces of the job's own, the quota in a user
namespace) and as root (the same, plus a user of its own per job and a pids
cgroup); the hostile battery runs both ways (``tests/grading``):

1. code in the job's folder run by a grader-side Python: isolated
   interpreters and the import check, the same either way;
2. the reference under another name: the identity check and the run-time
   watch in the checks child, the same either way;
3. a reply that balloons: :func:`~coursework.grading.remote.checked_reply`
   and the checker's address-space cap, the same either way;
4. two students, one id: :mod:`~coursework.grading.submissions`, the same;
5. SysV memory: the job's IPC namespace (either way); disk: the job's
   tmpfs, mounted by the root worker, or by the ordinary user's worker in
   its own user namespace;
6. Dask with ``--network``: refused, either way (``--network`` grades one
   job at a time, without Dask), and a local cluster speaks TLS on the
   loopback device;
7. a classmate's sockets with ``--network``: there is no classmate running
   (one job at a time), either way; without ``--network`` the job's network
   namespace hides them, and Landlock (as root also the job's own user id)
   keeps a job out of a classmate's folder;
8. hidden checks left on disk: removed on every path, either way.

What is left: with process-only isolation (no namespaces, no Landlock, no
root) student code can read and write what the grader can, and only the
integrity check guards the package; a folder student code may read (the
package, the Python installation) must not hold the hidden checks; the
run-time reference watch lives in the student's own process, so code that
removes the profile hook first is caught only by the source check and the
identity check; a unix socket is reachable by any process that knows its
path and may pass through its folders, so a job's ipc sockets are guarded
only by their folder's random, unlistable name (and, with a user of its
own, its permissions); as an ordinary user a job's disk use is bounded
per file only where no tmpfs can be mounted (the isolation line says so),
and a tmpfs is memory (and swap) of the machine, not counted in the job's
memory cap, so ``--jobs`` times ``--disk-mb`` must fit in memory; the
grader's own processes that run as root keep capabilities: the coordinator
all of root's, the worker those it uses to hand folders to a job's user,
mount its quota and kill its processes.
"""
