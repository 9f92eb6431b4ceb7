import sys

from rnnviz.runtime import keep_freed_memory, prefer_one_blas_thread

# Measure what the app runs with: the same settings as the ``rnnviz`` command.
prefer_one_blas_thread()  # before NumPy is imported
keep_freed_memory()

if sys.argv[1:2] == ["frames"]:
    from rnnviz.bench.frames import main

    raise SystemExit(main(sys.argv[2:]))
elif sys.argv[1:2] == ["stack"]:
    from rnnviz.bench.stack import main

    raise SystemExit(main(sys.argv[2:]))
elif sys.argv[1:2] == ["floor"]:
    from rnnviz.bench.floor import main

    raise SystemExit(main(sys.argv[2:]))
elif sys.argv[1:2] == ["joint"]:
    from rnnviz.bench.joint import main

    raise SystemExit(main(sys.argv[2:]))
elif sys.argv[1:2] == ["step"]:
    from rnnviz.bench.step import main

    raise SystemExit(main(sys.argv[2:]))
elif sys.argv[1:2] == ["soak"]:
    from rnnviz.bench.soak import main

    raise SystemExit(main(sys.argv[2:]))
elif sys.argv[1:2] == ["stalls"]:
    from rnnviz.bench.stalls import main

    raise SystemExit(main(sys.argv[2:]))
elif sys.argv[1:2] == ["jacobians"]:
    from rnnviz.bench.jacobians import main

    raise SystemExit(main(sys.argv[2:]))
elif sys.argv[1:2] == ["adding"]:
    from rnnviz.bench.adding import main

    raise SystemExit(main(sys.argv[2:]))
elif sys.argv[1:2] == ["training"]:
    from rnnviz.bench.training import main

    raise SystemExit(main(sys.argv[2:]))
elif sys.argv[1:2] == ["sweep"]:
    from rnnviz.bench.sweep import main

    raise SystemExit(main(sys.argv[2:]))
elif sys.argv[1:2] == ["gated"]:
    from rnnviz.bench.engine import main

    raise SystemExit(main(["--gated", *sys.argv[2:]]))
else:
    from rnnviz.bench.engine import main

    raise SystemExit(main(sys.argv[2:] if sys.argv[1:2] == ["engine"] else sys.argv[1:]))
