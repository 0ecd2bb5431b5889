"""Live Android devices over adb: transport, device facts, jobs and trigger, state with its journal, log watch."""
