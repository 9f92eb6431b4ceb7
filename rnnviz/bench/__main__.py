import sys

from rnnviz.runtime import keep_freed_memory, prefer_one_blas_thread

# Measure what the app runs with: the same settings as the ``rnnviz`` command.
prefer_one_blas_thread()  # before NumPy is imported
keep_freed_memory()

if sys.argv[1:2] == ["frames"]:
    from rnnviz.bench.frames import main

    raise SystemExit(main(sys.argv[2:]))
elif sys.argv[1:2] == ["jacobians"]:
    from rnnviz.bench.jacobians import main

    raise SystemExit(main(sys.argv[2:]))
elif sys.argv[1:2] == ["adding"]:
    from rnnviz.bench.adding import main

    raise SystemExit(main(sys.argv[2:]))
else:
    from rnnviz.bench.engine import main

    raise SystemExit(main())
