"""Build examples/bugreport-example.zip: a small bugreport in the real dumpstate layout.

It tells one story a support engineer meets every week: `com.example.syncapp` (a WorkManager
sync) on a Xiaomi phone runs late or never. The text mixes
- real captured lines from tests/samples/android/ (their sources are named below), and
- lines constructed to the exact AOSP formats of docs/formats.md (dumpstate
  section headers, ActivityManager, lmkd 11+, Zygote, event log, JobServiceContext,
  WM-WorkerWrapper, dumpsys jobscheduler / deviceidle / activity exit-info).
Run `python examples/make_example_bugreport.py` to rebuild it; the output is deterministic.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

OUT = Path(__file__).with_name("bugreport-example.zip")
MAIN = "bugreport-venus-TKQ1.221114.001-2024-10-30-13-35-12.txt"
APP = "com.example.syncapp"
WM_SERVICE = "androidx.work.impl.background.systemjob.SystemJobService"

HEADER = """========================================================
== dumpstate: 2024-10-30 13:35:12
========================================================

Build: TKQ1.221114.001 test-keys
Build fingerprint: 'Xiaomi/venus_eea/venus:13/TKQ1.221114.001/V14.0.6.0.TKBEUXM:user/release-keys'
Bootloader: unknown
Radio: unknown
Network: (unknown)
Kernel: Linux version 5.4.210-qgki-g5ad27f6ea8c6 (builder@localhost) #1 SMP PREEMPT
Uptime: up 3 days, 4 hours, 12 minutes
Bugreport format version: 2.0
Dumpstate info: id=1 pid=21333 dry_run=0 parallel_run=1 args=-SR extra_options=bugreportfull

"""

# -v threadtime -v printable -v uid: the uid column sits before pid.
SYSTEM_LOG = [
    "--------- beginning of main",
    # constructed: app start for its WorkManager job (AOSP ProcessList "Start proc" format)
    f"10-30 13:01:12.004  1000  1702  1970 I ActivityManager: Start proc 23456:{APP}/u0a245 for service {{{APP}/{WM_SERVICE}}}",
    f"10-30 13:01:14.521 10245 23456 23490 I WM-WorkerWrapper: Worker result RETRY for Work [ id=5b8f3e21-6a0c-4d52-9b8e-2f1c9a7d4e10, tags={{ {APP}.SyncWorker }} ]",
    # constructed: JobServiceContext newest time-out text (JS JobServiceContext.java)
    f"10-30 13:11:12.010  1000  1702  1988 I JobServiceContext: Client timed out while executing (no jobFinished received). Sending onStop: 8e21c4f #u0a245/7 {APP}/.ImageUploadJobService",
    # real (termux-app#2366, Android 12 Pixel): stock "empty" kills of other apps
    "10-30 13:27:55.958  1000  1702  1970 I ActivityManager: Killing 14231:com.google.android.cellbroadcastreceiver/u0a227 (adj 975): empty #33",
    "10-30 13:28:01.908  1000  1702  2006 I ActivityManager: Killing 14249:com.niksoftware.snapseed/u0a234 (adj 975): empty #33",
    # constructed: Xiaomi cleaner kill (reason text as in dontkillmyapp's xiaomi sample) + Zygote reap
    f"10-30 13:29:40.117  1000  1702  1970 I ActivityManager: Killing 23456:{APP}/u0a245 (adj 905): OneKeyClean",
    "10-30 13:29:40.139  1000   850   850 I Zygote  : Process 23456 exited due to signal 9 (Killed)",
    f"10-30 13:29:40.141  1000  1702  2006 I ActivityManager: Process {APP} (pid 23456) has died: cch+5 CEM",
    # constructed: second run, an ANR in the job, then memory pressure kills it (lmkd 11+ format)
    f"10-30 13:31:02.300  1000  1702  1970 I ActivityManager: Start proc 24810:{APP}/u0a245 for service {{{APP}/.ImageUploadJobService}}",
    f"10-30 13:31:20.512  1000  1702 24901 E ActivityManager: ANR in {APP}",
    "10-30 13:31:20.512  1000  1702 24901 E ActivityManager: PID: 24810",
    "10-30 13:31:20.512  1000  1702 24901 E ActivityManager: Reason: executing service com.example.syncapp/.ImageUploadJobService",
    f"10-30 13:33:45.870  1069   710   710 I lowmemorykiller: Kill '{APP}' (24810), uid 10245, oom_score_adj 900 to free 183412kB rss, 40210kB swap; reason: device is low on swap (210172kB < 314572kB) and thrashing (53%)",
    f"10-30 13:33:45.902  1000  1702  2006 I ActivityManager: Process {APP} (pid 24810) has died: cch CEM",
    # real (crdroid issue_tracker#809): an lmkd kill of another app
    "10-30 13:34:26.342  1069   710   710 I lowmemorykiller: Kill 'com.google.android.gms.unstable' (17933), uid 10446, oom_score_adj 0 to free 140528kB rss, 37404kB swap; reason: device is not responding",
]

EVENT_LOG = [
    # constructed: event-log text of the kills above (AM EventLogTags: am_kill User,PID,Name,OomAdj,Reason,Rss)
    "10-30 13:27:55.958  1000  1702  1970 I am_kill : [0,14231,com.google.android.cellbroadcastreceiver,975,empty #33,18832]",
    f"10-30 13:29:40.117  1000  1702  1970 I am_kill : [0,23456,{APP},905,OneKeyClean,61324]",
    f"10-30 13:29:40.141  1000  1702  2006 I am_proc_died: [0,23456,{APP},905,17]",
    f"10-30 13:31:20.512  1000  1702 24901 I am_anr  : [0,24810,{APP},952680516,executing service {APP}/.ImageUploadJobService]",
]

JOBSCHEDULER = f"""JOB SCHEDULER SERVICE (dumpsys jobscheduler)
  Registered 3 jobs:
    JOB #u0a245/1042: 5c2f1a0 {APP}/{WM_SERVICE}
      u0a245 tag=*job*/{APP}/{WM_SERVICE}#1042
      Source: uid=u0a245 user=0 pkg={APP}
      JobInfo:
        Service: {APP}/{WM_SERVICE}
        Requires: charging=false batteryNotLow=false deviceIdle=false
        Backoff: policy=1 initial=+30s0ms
        Has early constraint
      Required constraints: TIMING_DELAY CONNECTIVITY [0x90000000]
      Dynamic constraints:
      Satisfied constraints: TIMING_DELAY DEVICE_NOT_DOZING BACKGROUND_NOT_RESTRICTED TARE_WEALTH [0x8a400000]
      Unsatisfied constraints: CONNECTIVITY WITHIN_QUOTA [0x11000000]
      Standby bucket: RARE
      Enqueue time: -34m0s0ms
      Run time: earliest=-29m0s0ms, latest=none, original latest=none
      Num failures: 2
      Last failed run: 2024-10-30 13:01:14
      Ready: false (job=false user=true !restricted=true !pending=true !active=true !backingup=true comp=true)
    JOB #u0a245/7: 8e21c4f {APP}/.ImageUploadJobService
      u0a245 tag=*job*/{APP}/.ImageUploadJobService
      Source: uid=u0a245 user=0 pkg={APP}
      JobInfo:
        Service: {APP}/.ImageUploadJobService
        Requires: charging=true batteryNotLow=false deviceIdle=false
        PERSISTED
      Required constraints: CHARGING [0x1]
      Dynamic constraints:
      Satisfied constraints: DEVICE_NOT_DOZING BACKGROUND_NOT_RESTRICTED TARE_WEALTH WITHIN_QUOTA [0xb400000]
      Unsatisfied constraints: CHARGING [0x1]
      Standby bucket: RARE
      Enqueue time: -2h4m0s0ms
      Run time: earliest=none, latest=none, original latest=none
      Num failures: 1
      Last failed run: 2024-10-30 13:11:12
      Ready: false (job=false user=true !restricted=true !pending=true !active=true !backingup=true comp=true)
    JOB #u0a112/3: 1d0e9aa com.example.notes/.BackupJob
      u0a112 tag=*job*/com.example.notes/.BackupJob
      Source: uid=u0a112 user=0 pkg=com.example.notes
      Required constraints: BATTERY_NOT_LOW [0x2]
      Satisfied constraints: BATTERY_NOT_LOW DEVICE_NOT_DOZING BACKGROUND_NOT_RESTRICTED TARE_WEALTH WITHIN_QUOTA [0xb400002]
      Unsatisfied constraints:
      Standby bucket: ACTIVE
      Enqueue time: -1m2s0ms
      Run time: earliest=none, latest=none, original latest=none
      Ready: true (job=true user=true !restricted=true !pending=true !active=true !backingup=true comp=true)
"""

ACTIVITY = f"""ACTIVITY MANAGER SETTINGS (dumpsys activity settings) activity_manager_constants:
  max_cached_processes=32

ACTIVITY MANAGER PROCESS EXIT INFO (dumpsys activity exit-info)
  Last Timestamp of Persistence Into Persistent Storage: 2024-10-30 13:34:00.000
    package: {APP}
      Historical Process Exit for uid=10245
          ApplicationExitInfo #0:
            timestamp=2024-10-30 13:33:45.871
            pid=24810
            realUid=10245
            packageUid=10245
            definingUid=10245
            user=0
            process={APP}
            reason=3 (LOW_MEMORY)
            subreason=0 (UNKNOWN)
            status=0
            importance=400
            pss=142MB
            rss=179MB
            description=null
            state=empty
            trace=null
          ApplicationExitInfo #1:
            timestamp=2024-10-30 13:29:40.118
            pid=23456
            realUid=10245
            packageUid=10245
            definingUid=10245
            user=0
            process={APP}
            reason=13 (OTHER KILLS BY SYSTEM)
            subreason=0 (UNKNOWN)
            status=0
            importance=400
            pss=48MB
            rss=60MB
            description=OneKeyClean
            state=empty
            trace=null

ACTIVITY MANAGER RUNNING PROCESSES (dumpsys activity processes)
  All known processes:
"""

DEVICEIDLE = """  Settings:
    light_after_inactive_to=+3m0s0ms
    inactive_to=+30m0s0ms
    idle_to=+1h0m0s0ms
  mLightEnabled=true  mDeepEnabled=true
  mForceIdle=false
  mScreenOn=false
  mCharging=false
  mNetworkConnected=false
  mState=IDLE mLightState=OVERRIDE
"""

SEPARATOR = "-" * 79


def bugreport_text() -> str:
    parts = [HEADER]
    parts.append("------ SYSTEM LOG (logcat -v threadtime -v printable -v uid -d *:v) ------\n")
    parts.append("\n".join(SYSTEM_LOG) + "\n")
    parts.append("------ 0.512s was the duration of 'SYSTEM LOG' ------\n")
    parts.append("------ EVENT LOG (logcat -b events -v threadtime -v printable -v uid -d *:v) ------\n")
    parts.append("\n".join(EVENT_LOG) + "\n")
    parts.append("------ 0.101s was the duration of 'EVENT LOG' ------\n")
    for service, body in (("jobscheduler", JOBSCHEDULER), ("activity", ACTIVITY), ("deviceidle", DEVICEIDLE)):
        parts.append(f"{SEPARATOR}\nDUMP OF SERVICE {service}:\n{body}")
        parts.append(f"--------- 0.034s was the duration of dumpsys {service}, ending at: 2024-10-30 13:35:40\n")
    return "".join(parts)


def persistent_logcat() -> str:
    # logpersist keeps the last lines of the same buffers: they overlap SYSTEM LOG on purpose.
    return "\n".join(SYSTEM_LOG[-4:]) + "\n"


def main() -> None:
    with zipfile.ZipFile(OUT, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name, text in (
            ("main_entry.txt", MAIN),
            (MAIN, bugreport_text()),
            ("version.txt", "2.0"),
            ("FS/data/misc/logd/logcat", persistent_logcat()),
        ):
            info = zipfile.ZipInfo(name, date_time=(2024, 10, 30, 13, 35, 12))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, text)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
