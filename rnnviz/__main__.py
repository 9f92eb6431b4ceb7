from rnnviz.cli import main

# Only when run: a process started by multiprocessing's "spawn" imports this module again.
if __name__ == "__main__":
    raise SystemExit(main())
