"""The host a benchmark ran on, as its reports name it."""


def cpu_model():
    """/proc/cpuinfo's first "model name", or "unknown"."""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return "unknown"
