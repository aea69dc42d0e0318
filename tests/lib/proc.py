"""What /proc says about a process the tests started."""


def status_kb(pid, field):
    """A kB field of /proc/PID/status (VmRSS, VmHWM, ...), or None once
    the process is gone."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None
