#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def die_with_parent() -> None:
    """Under `make run` (scripts/dev.py sets DEV_DIE_WITH_PARENT), end when the process that
    started this one dies: runserver's autoreloader serves from a child process of its own,
    which would otherwise outlive a dev.py killed outright (PR_SET_PDEATHSIG, Linux only)."""
    if os.environ.get("DEV_DIE_WITH_PARENT") and sys.platform.startswith("linux"):
        import ctypes
        import signal

        ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGTERM), 0, 0, 0)


def main() -> None:
    die_with_parent()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
