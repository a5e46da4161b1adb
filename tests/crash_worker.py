"""A process that runs one durable 3-step workflow; the crash test kills it mid-way and restarts it."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

from dbos import DBOS, SetWorkflowID

from binelek.kit.jobs import JobEngine
from binelek.kit.settings import load_settings

JOURNAL = Path(os.environ["CRASH_JOURNAL"])
WORKFLOW_ID = "crash-test-workflow"


def note(line: str) -> None:
    with JOURNAL.open("a") as handle:
        handle.write(line + "\n")


@DBOS.step()
async def first_step() -> str:
    note("step1")
    return "one"


@DBOS.step()
async def slow_step(value: str) -> str:
    note("step2-start")
    marker = JOURNAL.with_suffix(".crashed")
    if not marker.exists():
        marker.write_text("1")
        note("step2-waiting-for-kill")
        time.sleep(120)  # the test kills the process here
    note("step2-done")
    return value + "-two"


@DBOS.step()
async def last_step(value: str) -> str:
    note("step3")
    return value + "-three"


@DBOS.workflow()
async def three_steps() -> str:
    value = await first_step()
    value = await slow_step(value)
    result = await last_step(value)
    note("workflow-complete")
    return result


async def main() -> None:
    engine = JobEngine(load_settings(jobs_enabled=True))
    await engine.start()  # DBOS.launch() recovers the workflow left pending by a killed process
    with SetWorkflowID(WORKFLOW_ID):
        handle = await DBOS.start_workflow_async(three_steps)
    result = await handle.get_result()
    print(f"RESULT {result}", flush=True)
    await engine.stop()


if __name__ == "__main__":
    asyncio.run(main())
    sys.exit(0)
