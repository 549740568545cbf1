"""Instructions one API task completion costs the worker, counted by valgrind (callgrind).

Throughput on a shared two-core machine moves by 10-20% from one run to the next with what
the host is doing; an instruction count does not (the same total to within 0.1% run after
run), so it shows what a change to the request's code saves. The count is the worker's own:
PostgreSQL runs in its own processes and is not counted.

A scratch PostgreSQL database gets 60 complaints at the minor resolution; then a child
process completes tasks through the JSON API in-process (`POST /api/v1/tasks/{id}/complete`
with bearer tokens, the Flask test client), each on another complaint with the workflow cache
emptied first, as when completions arrive at random: resolve the minor complaint, then, as
the manager, send the sign-off back. Ten completions warm the caches; valgrind counts the
next `--completions` only (each on a complaint of its own; the open tasks are read before).
Needs valgrind (Debian's package) and BENCH_DATABASE_URL.

    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \\
        .venv/bin/python benchmarks/instructions.py [--completions 30]
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import scratch  # noqa: E402

COMPLAINTS = 60
WARM = 10


def child(url: str, meta_file: str, completions: int) -> None:
    """Run under callgrind with counting off; count only the timed completions."""
    from sqlalchemy import create_engine

    from app import create_app
    from benchmarks.http_completions import _answer, _config, open_tasks
    from services import engine

    meta = json.loads(Path(meta_file).read_text())
    app = create_app(_config(url))
    client = app.test_client()
    reader = create_engine(url, isolation_level="AUTOCOMMIT")
    ids = meta["ids"]

    def complete(task_id: str, name: str) -> None:
        who, body = _answer(name)
        engine.WORKFLOWS.clear()  # a cache miss, as for a completion on another worker
        response = client.post(
            f"/api/v1/tasks/{task_id}/complete",
            json=body,
            headers={"Authorization": f"Bearer {meta['tokens'][who]}"},
        )
        assert response.status_code == 200, response.get_data(as_text=True)

    with reader.connect() as conn:
        open_now = open_tasks(conn, ids)  # read before counting: each is completed once
    reader.dispose()
    for complaint_id in ids[:WARM]:
        complete(*open_now[complaint_id])
    toggle = [shutil.which("callgrind_control") or "callgrind_control", "--instr"]
    subprocess.run([*toggle, "on", str(os.getpid())], check=True, capture_output=True)  # noqa: S603
    for complaint_id in ids[WARM : WARM + completions]:
        complete(*open_now[complaint_id])
    subprocess.run([*toggle, "off", str(os.getpid())], check=True, capture_output=True)  # noqa: S603


def main() -> None:
    parser = scratch.arguments(__doc__)
    parser.add_argument("--completions", type=int, default=30)
    args = parser.parse_args()
    if not 1 <= args.completions <= COMPLAINTS - WARM:
        parser.error(f"--completions: from 1 to {COMPLAINTS - WARM}")
    scratch.require_postgres()
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        raise SystemExit("valgrind is not installed (apt-get install valgrind)")
    from benchmarks.http_completions import prepare

    with scratch.postgres_database("cf_ir") as url, tempfile.TemporaryDirectory() as tmp:
        ids, tokens = prepare(url, COMPLAINTS)
        meta = Path(tmp) / "meta.json"
        meta.write_text(json.dumps({"ids": ids, "tokens": tokens}))
        out = Path(tmp) / "callgrind.out"
        subprocess.run(  # noqa: S603 - valgrind on this script, fixed arguments
            [
                shutil.which("valgrind") or "valgrind",
                "--tool=callgrind",
                "--instr-atstart=no",
                f"--callgrind-out-file={out}",
                sys.executable,
                __file__,
                "--child",
                url,
                str(meta),
                str(args.completions),
            ],
            check=True,
            capture_output=True,
        )
        totals = next(line for line in out.read_text().splitlines() if line.startswith("totals:"))
        instructions = int(totals.split()[1]) / args.completions
    print(
        f"{instructions / 1e6:.2f} M instructions per API completion (the worker's, "
        f"{args.completions} completions, each a workflow cache miss)"
    )


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        main()
