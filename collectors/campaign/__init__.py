"""Campaigns (`bgprobe run`): scenario, plan and shards, per-device workers, the results directory."""
