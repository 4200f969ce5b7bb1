"""The ``hubbub`` command: hubbub's own verbs, with Django's behind them.

hubbub serve        migrate, then run the web server, a worker and streaming
hubbub web          run only the WSGI web server
hubbub streaming    run only the streaming server (ASGI)
hubbub worker       run only a task worker (with the fan-out sweeper)
hubbub demo         seed the demo community into an empty database
hubbub createuser   create an account
hubbub bench        run the benchmark suite (from a source checkout)
hubbub <anything>   any Django management command (migrate, shell, ...)
"""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hubbub.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv if argv is None else argv)
    args[0] = "hubbub"
    if len(args) < 2 or args[1] in {"-h", "--help", "help"}:
        print(__doc__)
        if len(args) < 2:
            return
    execute_from_command_line(args)


if __name__ == "__main__":
    main()
